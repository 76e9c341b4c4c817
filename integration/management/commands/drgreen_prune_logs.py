"""Delete old rows of the operational logs (also a nightly beat entry).

    manage.py drgreen_prune_logs [--days N] [--sync-run-days N] [--dry-run]

``--days`` is the ``ApiCall`` ledger retention (default ``DRGREEN_SYNC.API_CALL_RETENTION_DAYS``,
30); ``--sync-run-days`` the ``SyncRun`` one (default ``SYNC_RUN_RETENTION_DAYS``, 14).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from integration.services.ledger import logs_prune


class Command(BaseCommand):
    help = "Prune the Dr Green API-call ledger and sync-run log by age."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="keep ApiCall rows this many days")
        parser.add_argument("--sync-run-days", type=int, help="keep SyncRun rows this many days")
        parser.add_argument("--dry-run", action="store_true", help="count, delete nothing")

    def handle(self, *args, **options):
        try:
            counts = logs_prune(
                api_call_days=options["days"],
                sync_run_days=options["sync_run_days"],
                dry_run=options["dry_run"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        verb = "would delete" if options["dry_run"] else "deleted"
        self.stdout.write(f"{verb} {counts['api_calls']} API calls and {counts['sync_runs']} sync runs")
