"""A reusable Django app that puts its host app on the owner's tailnet.

It supervises a userspace-networking tailscaled as a child process, keeps the
node's state encrypted in the database, and gives the owner a settings page and
an API to connect, disconnect and reset the node.
"""
