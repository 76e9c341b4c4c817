"""Walk the whole Dr Green account into the mirror, now (the nightly task's service).

    manage.py drgreen_reconcile [--dry-run] [--only clients,orders,sales,strains] [--no-progress]
                                [--ignore-breaker]

Prints a progress line per page, then a counted summary per resource. A page or re-check
that fails is reported and skipped (per-item isolation); the command exits non-zero when
anything failed, when the walk was skipped (lease held, breaker open) or when a resource
could not be walked to the end.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from integration.services.sync.reconcile import RESOURCES, mirror_reconcile


class Command(BaseCommand):
    help = "Reconcile the local mirror with Dr Green (clients, orders, sales, strains)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")
        parser.add_argument("--only", default=",".join(RESOURCES), help="comma-separated resources")
        parser.add_argument("--no-progress", action="store_true", help="no per-page progress output")
        parser.add_argument(
            "--ignore-breaker", action="store_true", help="run even while the circuit breaker is open"
        )

    def handle(self, *args, **options):
        resources = tuple(r.strip() for r in options["only"].split(",") if r.strip())
        unknown = set(resources) - set(RESOURCES)
        if unknown:
            raise CommandError(f"unknown resources: {', '.join(sorted(unknown))}")
        show_progress = not options["no_progress"]
        tty = show_progress and getattr(self.stdout, "isatty", lambda: False)()

        def progress(event: dict) -> None:
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

        outcome = mirror_reconcile(
            dry_run=options["dry_run"],
            progress=progress,
            resources=resources,
            worker="manage.py drgreen_reconcile",
            use_breaker=not options["ignore_breaker"],
        )
        if outcome.skipped:
            raise CommandError(f"reconcile skipped: {outcome.skipped} {outcome.stats}")
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
