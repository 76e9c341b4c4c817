"""Walk the whole Dr Green account into the mirror, now (the nightly task's service).

    manage.py drgreen_reconcile [--dry-run] [--only clients,orders,sales,strains] [--no-progress]
                                [--ignore-breaker] [--json] [--worker NAME] [--parent-pid PID]

Prints a progress line per page, then a counted summary per resource. A page or re-check
that fails is reported and skipped (per-item isolation); the command exits non-zero when
anything failed, when the walk was skipped (lease held, breaker open) or when a resource
could not be walked to the end. ``--json`` prints only the outcome, as one JSON line (the
nightly task runs the command so and reads it: ``polling/reconcile_process.py``).

``--parent-pid`` ends the command when that process is gone, even killed with SIGKILL: the
nightly task's child must not walk on after its worker (its lease would keep the next out).

This command, and only it, tunes its own process for the walk (``process_tuned``): the
nightly task runs the same service inside a Celery worker, where such settings would change
every other task of that process.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator

from django.core.management.base import BaseCommand, CommandError

from integration.services.polling.reconcile import RESOURCES, mirror_reconcile

# One explicit collection every so many pages while the automatic collector is paused.
COLLECT_EVERY_PAGES = 20
# Short GIL switch interval: the writing thread gets the GIL back as each statement returns.
SWITCH_INTERVAL_S = 0.0005


@contextlib.contextmanager
def process_tuned() -> Iterator[None]:
    """This process, tuned for one walk, restored after: what exists is frozen (never scanned
    again) and automatic collection is off, because a page's short-lived objects pushed full
    collections over the whole heap (the caller collects every ``COLLECT_EVERY_PAGES`` pages);
    and a short switch interval. A collector already disabled is left alone."""
    interval = sys.getswitchinterval()
    owned = gc.isenabled()
    if owned:
        gc.disable()
        gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        sys.setswitchinterval(interval)
        if owned:
            gc.unfreeze()
            gc.enable()


def exit_with_parent(pid: int, *, every_s: float = 1.0) -> None:
    """End this process (SIGTERM to itself) once its parent ``pid`` is gone. A killed parent's
    children are handed to another process, so a changed parent id says it; checked now and
    then every ``every_s`` by a daemon thread. A transaction cut short is rolled back by the
    database; the run's lease expires."""

    def watch() -> None:
        while os.getppid() == pid:
            time.sleep(every_s)
        os.kill(os.getpid(), signal.SIGTERM)

    if os.getppid() != pid:
        os.kill(os.getpid(), signal.SIGTERM)
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Command(BaseCommand):
    help = "Reconcile the local mirror with Dr Green (clients, orders, sales, strains)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument("--only", default=",".join(RESOURCES), help="comma-separated resources")
        parser.add_argument("--no-progress", action="store_true", help="no per-page progress output")
        parser.add_argument(
            "--ignore-breaker", action="store_true", help="run even while the circuit breaker is open"
        )
        parser.add_argument("--json", action="store_true", help="print only the outcome, as one JSON line")
        parser.add_argument("--worker", default="manage.py drgreen_reconcile", help="the run's worker name")
        parser.add_argument("--parent-pid", type=int, help="end when this process is gone")

    def handle(self, *args, **options):
        if options["parent_pid"]:
            exit_with_parent(options["parent_pid"])
        resources = tuple(r.strip() for r in options["only"].split(",") if r.strip())
        unknown = set(resources) - set(RESOURCES)
        if unknown:
            raise CommandError(f"unknown resources: {', '.join(sorted(unknown))}")
        show_progress = not options["no_progress"] and not options["json"]
        tty = show_progress and getattr(self.stdout, "isatty", lambda: False)()

        walked = [0]

        def progress(event: dict) -> None:
            if not event.get("done"):
                walked[0] += 1
                if walked[0] % COLLECT_EVERY_PAGES == 0:
                    gc.collect()  # the cycles that did form (an exception's traceback, say)
            if not show_progress:
                return
            if event.get("done"):
                if tty:
                    self.stdout.write("")
                return
            pages = event.get("pages") or "?"
            line = f"{event['resource']:<14} page {event['page']}/{pages}  rows {event['rows']}"
            if tty:
                self.stdout.write("\r" + line, ending="")
                self.stdout.flush()
            else:
                self.stdout.write(line)

        with process_tuned():
            outcome = mirror_reconcile(
                dry_run=options["dry_run"],
                progress=progress,
                resources=resources,
                worker=options["worker"],
                use_breaker=not options["ignore_breaker"],
            )
        if options["json"]:
            self.stdout.write(json.dumps(outcome.as_dict(), default=str))
        if outcome.skipped:
            raise CommandError(f"reconcile skipped: {outcome.skipped} {outcome.stats}")
        if options["json"]:
            clean = (
                outcome.state != "failed"
                and not outcome.errors
                and all((outcome.stats.get(r) or {}).get("complete") for r in resources)
            )
            if not clean:
                sys.exit(1)
            return
        title = "Reconcile summary" + (" (dry run: nothing written)" if options["dry_run"] else "")
        self.stdout.write(self.style.MIGRATE_HEADING(title))
        incomplete = []
        for resource in resources:
            report = outcome.stats.get(resource)
            if report is None:
                incomplete.append(resource)
                self.stdout.write(f"  {resource:<8} not walked")
                continue
            tomb = report.get("tombstones") or {}
            verb = "would tombstone" if options["dry_run"] else "tombstoned"
            self.stdout.write(
                f"  {resource:<8} pages {report['pages']:>5}  rows {report['rows']:>7}  "
                f"created {report['created']:>6}  updated {report['updated']:>6}  "
                f"unchanged {report['unchanged']:>7}  errors {report['errors']:>3}  "
                f"complete {'yes' if report['complete'] else 'NO'}  "
                f"unseen {tomb.get('unseen', 0)}  {verb} {tomb.get('tombstoned', 0)}"
            )
            if not report["complete"]:
                incomplete.append(resource)
        self.stdout.write(
            f"  run #{outcome.run_id}: {outcome.state}, {outcome.calls} Dr Green calls, "
            f"{outcome.errors} errors"
        )
        if outcome.state == "failed" or outcome.errors or incomplete:
            detail = outcome.stats.get("upstream_error") or ""
            self.stderr.write(
                f"reconcile not clean: errors={outcome.errors} "
                f"incomplete={','.join(incomplete) or '-'} {detail}"
            )
            sys.exit(1)
