"""The Procfile's Celery worker: `python -m tracearr.worker`.

The worker that `celery -A tracearr.celery worker --pool=solo --concurrency=1
--without-gossip --without-mingle --without-heartbeat --beat-thread` starts,
without Celery's command line: that one loads an interactive shell's libraries
(click-repl, prompt_toolkit, pygments: ~10 MB) into a process that runs for
months and never uses them. For any other set of options, run `celery`.
"""

from __future__ import annotations

import sys

from celery.utils.nodenames import default_nodename

from tracearr.celery import app

# One owner's housekeeping: one job at a time, no cluster chatter, and the
# hourly schedule in a thread (tracearr/celery.py).
WORKER_OPTIONS = {
    "pool_cls": "solo",
    "concurrency": 1,
    "without_gossip": True,
    "without_mingle": True,
    "without_heartbeat": True,
    "beat_thread": True,
    "loglevel": "INFO",
}


def main() -> int:
    if len(sys.argv) > 1:
        print("usage: python -m tracearr.worker (no options; see its docstring)", file=sys.stderr)
        return 2
    worker = app.Worker(hostname=default_nodename(None), **WORKER_OPTIONS)
    worker.start()
    return worker.exitcode


if __name__ == "__main__":
    raise SystemExit(main())
