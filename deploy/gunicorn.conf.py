"""gunicorn settings. Every value can be overridden by the environment.

Binds to loopback by default: userspace tailscaled delivers tailnet traffic to
127.0.0.1:PORT, so the app is reachable on the tailnet with no published port.
Set TRACEARR_BIND=0.0.0.0 to serve the LAN too.
"""

import os

bind = f"{os.environ.get('TRACEARR_BIND', '127.0.0.1')}:{os.environ.get('PORT', '3000')}"
# One owner, a handful of requests a minute: one worker process with threads
# (each open status stream holds one thread; see web/stream.py). A second
# worker costs ~45 MB for capacity nobody uses.
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "5"))
keepalive = 5
accesslog = "-" if os.environ.get("WEB_ACCESS_LOG", "true").lower() == "true" else None
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# Trust no one's X-Forwarded-* by default: tailscaled hands every tailnet
# peer's connection to 127.0.0.1 unchanged, so "from loopback" proves nothing.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
wsgi_app = "tracearr.wsgi:application"
# gunicorn >= 24 opens a control socket under $HOME by default: one path per
# user, which two instances on one machine would fight over. Nothing uses it.
control_socket_disable = True
