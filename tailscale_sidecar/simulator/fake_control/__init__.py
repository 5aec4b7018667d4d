"""fake-tailscale-control: a tiny coordination server for the simulator."""
