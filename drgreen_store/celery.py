"""The Celery application.

Exactly one beat process runs the schedule declared in code
(``integration.schedule.BEAT_SCHEDULE``); workers scale out freely.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drgreen_store.settings")

app = Celery("drgreen_store")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
