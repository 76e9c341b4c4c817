"""The soak's processes and database: environment, Django on the simulated clock, a throwaway
PostgreSQL database when ``DATABASE_URL`` points at one, and the Celery workers (see ``bench.soak``)."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

from sandbox.testing import SandboxProcess

from . import soak_clock
from .sync_common import throwaway_database_drop, throwaway_database_url, workers_start


def boot(tmp: Path, sb: SandboxProcess, keys: dict) -> str:
    """Environment for the harness and the workers, then Django (on the sim clock)."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "drgreen_store.settings",
            "DRGREEN_VAR_DIR": str(tmp / "var"),
            "DRGREEN_API_URL": sb.api_url,
            "DRGREEN_API_KEY": keys["apiKey"],
            "DRGREEN_SECRET_KEY": keys["secretKey"],
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            # No web processes here (harness + workers): a per-process cache is allowed.
            "WEB_CONCURRENCY": "1",
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp / "mail"),
            "LOG_LEVEL": "WARNING",
        }
    )
    throwaway_database_url(prefix="soak")
    soak_clock.install()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    return connection.vendor


def drop_database() -> None:
    throwaway_database_drop(prefix="soak")


def start_workers(n: int, tmp: Path) -> list[subprocess.Popen]:
    return workers_start(count=n, log_dir=tmp, command=["bench.soak_worker"], node="soak")
