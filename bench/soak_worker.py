"""A Celery worker on the soak's accelerated clock: ``python -m bench.soak_worker [celery args]``."""

from __future__ import annotations

import os
import sys

from bench import soak_clock


def main(argv: list[str]) -> None:
    soak_clock.install()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "drgreen_store.settings")
    import django

    django.setup()
    from django.conf import settings

    # The serverless broker polls its folder once a second by default: at 60x that is a
    # simulated minute per hop. Poll more often (Redis needs nothing).
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None)
    if isinstance(options, dict):
        options["polling_interval"] = 0.05

    from drgreen_store.celery import app

    app.conf.broker_transport_options = {**(app.conf.broker_transport_options or {}), **(options or {})}
    app.worker_main(argv=["worker", *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
