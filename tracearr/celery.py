"""The Celery app: scheduled jobs around the supervisor (never its restart loop)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracearr.settings")

app = Celery("tracearr")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
