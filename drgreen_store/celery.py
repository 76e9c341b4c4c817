"""The Celery application.

Tasks are found by autodiscovery alone (the ``integration.tasks`` package). Exactly one
beat process runs the schedule declared in code (``integration.schedule``); workers scale
out freely.
"""

import os

from celery import Celery, signals
from kombu.transport import TRANSPORT_ALIASES

# ``filesystem://`` (the embedded default broker) names kombu's transport with atomic
# writes and takes (drgreen_store/broker.py); the URL alone still picks the transport.
TRANSPORT_ALIASES["filesystem"] = "drgreen_store.broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drgreen_store.settings")

app = Celery("drgreen_store")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def _production_guard(sender=None, **kwargs) -> None:
    """Workers and beat of this app refuse to start where the web would (DEBUG off and an
    embedded secret key, demo pages on, a per-process cache under several web processes)."""
    if getattr(sender, "app", None) is not app:
        return  # another Celery app in the same process (a test's own)
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from django.core.exceptions import ImproperlyConfigured

    from integration.checks import production_guard

    try:
        production_guard()
    except ImproperlyConfigured as exc:
        # Celery logs and swallows a handler's Exception; SystemExit stops the process.
        raise SystemExit(str(exc)) from None
