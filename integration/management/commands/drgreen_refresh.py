"""Re-read one order or client from Dr Green now.

    manage.py drgreen_refresh <Dr Green id or local pk> [--kind order|client]

Without ``--kind`` a local pk or Dr Green id is looked up in the mirror (orders first),
and an id the mirror does not know is asked of Dr Green. Exits non-zero when Dr Green does
not know the id or could not be reached.
"""

from __future__ import annotations

import sys
import uuid

from django.core.management.base import BaseCommand, CommandError

from integration.drgreen import DrGreenError
from integration.models import Client, Order
from integration.services.polling.refresh import mirror_refresh


class Command(BaseCommand):
    help = "Refresh one order or client from Dr Green (by Dr Green id or local pk)."

    def add_arguments(self, parser):
        parser.add_argument("id", help="Dr Green UUID, or a local primary key with --kind")
        parser.add_argument("--kind", choices=("order", "client"), help="what the id names")

    def handle(self, *args, **options):
        raw, kind = options["id"].strip(), options["kind"]
        if raw.isdigit():
            if kind is None:
                raise CommandError("a local pk needs --kind order or --kind client")
            model = Order if kind == "order" else Client
            target = model.objects.filter(pk=int(raw)).values_list("drgreen_id", flat=True).first()
            if target is None:
                raise CommandError(f"no local {kind} with pk {raw}")
        else:
            try:
                target = uuid.UUID(raw)
            except ValueError:
                raise CommandError(f"not a Dr Green id: {raw!r}") from None
        try:
            outcome = mirror_refresh(
                drgreen_id=target, kind=kind, worker="manage.py drgreen_refresh", use_breaker=False
            )
        except DrGreenError as exc:
            self.stderr.write(f"Dr Green could not be read: {exc}")
            sys.exit(1)
        what = outcome.kind.removeprefix("refresh.")
        if not outcome.stats.get("found"):
            self.stderr.write(f"Dr Green does not know {what} {target}")
            sys.exit(1)
        self.stdout.write(
            f"refreshed {what} {target}: {outcome.calls} calls, {outcome.stats.get('status_changes', 0)} "
            f"status changes, {outcome.stats.get('updated', 0)} rows updated (run #{outcome.run_id})"
        )
