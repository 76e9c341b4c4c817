"""The soak's processes and database: environment, Django on the simulated clock, a throwaway
PostgreSQL database when ``DATABASE_URL`` points at one, and the Celery workers (see ``bench.soak``)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from sandbox.testing import SandboxProcess

from . import soak_clock


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
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg

        base, _, _name = url.rpartition("/")
        name = f"soak_{os.getpid()}"
        with psycopg.connect(
            f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True
        ) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}"')
            c.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = f"{base}/{name}"
    soak_clock.install()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    return connection.vendor


def drop_database() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")) and url.rsplit("/", 1)[1].startswith("soak_"):
        import psycopg
        from django.db import connections

        connections.close_all()
        base, _, name = url.rpartition("/")
        with psycopg.connect(
            f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True
        ) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_workers(n: int, tmp: Path) -> list[subprocess.Popen]:
    procs = []
    for i in range(n):
        log = open(tmp / f"worker{i + 1}.log", "wb")  # noqa: SIM115 - lives as long as the worker
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.soak_worker",
                    "--pool",
                    "solo",
                    "-n",
                    f"soak{i + 1}@%h",
                    "--loglevel",
                    "WARNING",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=Path(__file__).resolve().parent.parent,
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        )
    return procs
