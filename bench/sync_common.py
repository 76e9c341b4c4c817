"""Shared plumbing of the benchmarks (Django boot, throwaway databases, Celery worker
processes, statement counting, peak RSS)."""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_POSTGRES = ("postgres://", "postgresql://")
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def boot_django(*, api_url: str, keys: dict, var_dir: str | None = None) -> str:
    """Point the settings at the sandbox holder and start Django (production-like: DEBUG off,
    so no query log grows in memory). Returns the var dir (SQLite file lives there)."""
    var_dir = var_dir or tempfile.mkdtemp(prefix="drgreen-bench-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "drgreen_store.settings",
            "DRGREEN_VAR_DIR": var_dir,
            "DRGREEN_API_URL": api_url,
            "DRGREEN_API_KEY": keys["apiKey"],
            "DRGREEN_SECRET_KEY": keys["secretKey"],
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        }
    )
    import django

    django.setup()
    # One log line per Dr Green call is right for production, noise for a benchmark.
    logging.getLogger("integration").setLevel(logging.WARNING)
    return var_dir


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A migrated database that is dropped afterwards: PostgreSQL → ``test_<name>`` next to
    ``DATABASE_URL``'s database (never that database itself); SQLite → the var dir's file."""
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        old = connection.settings_dict["NAME"]
        # A name of our own: other suites' ``test_<name>`` may be in use right now.
        connection.settings_dict.setdefault("TEST", {})["NAME"] = f"bench_{os.getpid()}_{old}"[:63]
        name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
        try:
            yield f"postgresql:{name}"
        finally:
            connection.creation.destroy_test_db(old, verbosity=0)
        return
    call_command("migrate", verbosity=0, interactive=False)
    yield f"{connection.vendor}:{connection.settings_dict['NAME']}"


def throwaway_database_url(*, prefix: str) -> None:
    """For benchmarks whose workers are processes of their own (soak, webhooks), before Django
    loads: point ``DATABASE_URL`` at a new, empty PostgreSQL database ``<prefix>_<pid>`` next
    to the one named (never that one), which the workers then inherit. SQLite: unchanged."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(_POSTGRES):
        return
    base = url.rpartition("/")[0]
    name = f"{prefix}_{os.getpid()}"
    with _server_connection(base) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = f"{base}/{name}"


def throwaway_database_drop(*, prefix: str) -> None:
    """Drop the database :func:`throwaway_database_url` made (only one named ``<prefix>_…``)."""
    url = os.environ.get("DATABASE_URL", "")
    base, _, name = url.rpartition("/")
    if not (url.startswith(_POSTGRES) and name.startswith(f"{prefix}_")):
        return
    from django.db import connections

    connections.close_all()
    with _server_connection(base) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_connection(base: str):
    import psycopg

    return psycopg.connect(f"{base}/postgres".replace("postgres://", "postgresql://", 1), autocommit=True)


def workers_start(*, count: int, log_dir: Path, command: list[str], node: str) -> list[subprocess.Popen]:
    """``count`` solo-pool Celery workers started with ``python -m <command>``, named
    ``<node><i>@host``, each logging to ``log_dir/worker<i>.log``; they inherit the environment."""
    procs = []
    for i in range(count):
        log = open(log_dir / f"worker{i + 1}.log", "wb")  # noqa: SIM115 - lives as long as the worker
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    *command,
                    "--pool",
                    "solo",
                    "-n",
                    f"{node}{i + 1}@%h",
                    "--loglevel",
                    "WARNING",
                    "--without-mingle",
                    "--without-gossip",
                ],
                cwd=ROOT,
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        )
    return procs


class StatementCounter:
    """Counts SQL statements (not transaction control) without keeping them in memory."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        if not sql.lstrip().upper().startswith(_CONTROL):
            self.count += 1
        return execute(sql, params, many, context)


@contextlib.contextmanager
def counting_statements() -> Iterator[StatementCounter]:
    """Count statements on every connection opened while active (the reconcile's fetch
    thread writes the call ledger on its own connection)."""
    from django.db import connections
    from django.db.backends.signals import connection_created

    counter = StatementCounter()
    wrapped = []

    def attach(sender, connection, **kwargs):
        # ``connection_created`` fires on every reconnect of the same wrapper (the fetch
        # thread closes its connection after each page): attach once, or every statement
        # on that wrapper is counted once per reconnect so far.
        if counter not in connection.execute_wrappers:
            connection.execute_wrappers.append(counter)
            wrapped.append(connection)

    for conn in connections.all():
        conn.execute_wrappers.append(counter)
        wrapped.append(conn)
    connection_created.connect(attach)
    try:
        yield counter
    finally:
        connection_created.disconnect(attach)
        for conn in wrapped:
            with contextlib.suppress(ValueError):
                conn.execute_wrappers.remove(counter)


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _proc_cpu_s(pid: int) -> float:
    """utime + stime of a process from /proc, in seconds (0 when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # After the command, state is field 3 and utime/stime are fields 14/15.
    return (int(fields[11]) + int(fields[12])) / _TICKS


class _PostgresCpu:
    """CPU of the PostgreSQL backends serving one database, found by their process title
    (``postgres: … <user> <database> …``), from /proc (Linux; 0 elsewhere). Backends come
    and go (the reconcile's fetch and writer threads open theirs per walk), so a thread
    samples them every 0.2 s and keeps each one's last reading: a backend that exited is
    still counted, short of its last 0.2 s. Other databases on the server are not."""

    def __init__(self) -> None:
        self.database: str | None = None
        self.seen: dict[int, float] = {}
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def _sample(self) -> None:
        needle = f" {self.database} ".encode()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    title = f.read()
            except OSError:
                continue
            if title.startswith(b"postgres:") and needle in title:
                cpu = _proc_cpu_s(int(name))
                with self.lock:
                    self.seen[int(name)] = max(cpu, self.seen.get(int(name), 0.0))

    def _run(self) -> None:
        while True:
            self._sample()
            time.sleep(0.2)

    def total(self) -> float:
        from django.db import connection

        if connection.vendor != "postgresql" or not os.path.isdir("/proc"):
            return 0.0
        if self.database != connection.settings_dict["NAME"]:
            self.database = connection.settings_dict["NAME"]
            with self.lock:
                self.seen.clear()
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="bench-pg-cpu", daemon=True)
            self.thread.start()
        self._sample()
        with self.lock:
            return sum(self.seen.values())


_postgres_cpu = _PostgresCpu()


def postgres_cpu_s() -> float:
    """CPU so far of the PostgreSQL backends of this connection's database (the bench's
    own throwaway one), see ``_PostgresCpu``."""
    return _postgres_cpu.total()


def cpu_snapshot(sandbox_pid: int | None) -> dict[str, float]:
    """CPU seconds so far of this process, the sandbox and our PostgreSQL backends."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "self": usage.ru_utime + usage.ru_stime,
        "sandbox": _proc_cpu_s(sandbox_pid) if sandbox_pid else 0.0,
        "postgres": postgres_cpu_s(),
    }


def cpu_since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: round(after[k] - before[k], 1) for k in before}
