"""fake-tailscaled: a userspace tailscaled stand-in that speaks the real LocalAPI."""
