"""The tracearr Django project.

The Celery app lives in tracearr.celery and is loaded only by the worker
(`python -m tracearr.worker`, which also runs the schedule): the web and the supervisor never send
tasks, and not importing Celery keeps them smaller.
"""
