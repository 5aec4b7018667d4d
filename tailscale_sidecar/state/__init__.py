"""tailscaled's state file, the node identity: watched, encrypted, stored, restored.

Only the supervisor uses this package (the web only encrypts an auth key with
the same cipher).
"""
