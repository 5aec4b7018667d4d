"""The Celery app: scheduled jobs around the supervisor (never its restart loop).

`celery -A tracearr.celery worker --beat-thread` runs the schedule inside the
worker as a thread. Celery's own `-B` forks a second full Python process for
it (about 35 MB more on a small box) to do one thing an hour; a thread in the
solo worker does the same, and stops with it. Only one worker may carry the
schedule, as with `-B`: the Procfile starts exactly one.
"""

import os

from celery import Celery, bootsteps
from click import Option

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracearr.settings")
# Celery's Django fixup runs the system checks at worker start, which loads the
# URLconf and the whole web stack (~15 MB) into a process that never serves a
# page. The entrypoint's `migrate` has run them already.
os.environ.setdefault("CELERY_SKIP_CHECKS", "true")

app = Celery("tracearr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class ScheduleThread(bootsteps.StartStopStep):
    """Run celery beat's scheduler in a thread of this worker (`--beat-thread`)."""

    label = "ScheduleThread"
    conditional = True

    def __init__(self, worker, beat_thread=False, **kwargs):
        self.enabled = bool(beat_thread)
        super().__init__(worker, **kwargs)

    def create(self, worker):
        from celery.beat import EmbeddedService

        return EmbeddedService(
            worker.app,
            thread=True,
            schedule_filename=worker.schedule_filename,
            scheduler_cls=worker.scheduler,
        )


app.user_options["worker"].add(
    Option(
        ["--beat-thread"],
        is_flag=True,
        default=False,
        help="Run the beat schedule in a thread of this worker (one worker only).",
    )
)
app.steps["worker"].add(ScheduleThread)
