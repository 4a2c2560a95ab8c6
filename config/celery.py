"""The background queue: Celery, with Redis as its broker in production.

    celery -A config worker      # as many, on as many machines, as the city needs
    celery -A config beat        # one, for the periodic work (CELERY_BEAT_SCHEDULE)

Tasks live in the app whose data they touch (`evaluations/tasks.py`); the console
enqueues them after its transaction commits. On a laptop (`make run`) and in the
tests there is no broker: CELERY_TASK_ALWAYS_EAGER runs each task in the process
that enqueued it. Why Celery and not django-tasks: docs/architecture.md.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("manyi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
