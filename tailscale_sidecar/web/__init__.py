"""The owner's side: the Settings page, the API, tokens and access rules.

It writes only DesiredConfig (through tailscale_sidecar.actions) and reads
ObservedStatus; it never touches tailscaled.
"""
