"""The staff access log: who saw which client's personal data, when, on which page or
endpoint. Append-only (``AccessLogEntry``), pruned by ``retention.access_log_prune``."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.utils import timezone

from integration.models import AccessLogEntry

logger = logging.getLogger("integration.privacy")


def access_log_record(*, staff, clients: Iterable, view: str, path: str = "", label: str = "") -> int:
    """One row per distinct client in ``clients`` (model instances, or ``(pk, drgreen_id)``
    pairs) seen by ``staff`` (a user; ``label`` names a caller without one, e.g. a staff
    token) on ``view``. Never raises: a logging failure must not turn a page into an error,
    but it is logged loudly."""
    seen: set = set()
    for client in clients:
        if client is None:
            continue
        seen.add((client.pk, client.drgreen_id) if hasattr(client, "drgreen_id") else tuple(client))
    if not seen:
        return 0
    now = timezone.now()
    staff_pk = getattr(staff, "pk", None)
    username = (staff.get_username() if staff_pk else label)[:150]
    rows = [
        AccessLogEntry(
            at=now,
            staff_id=staff_pk,
            staff_username=username,
            client_id=pk,
            client_drgreen_id=drgreen_id,
            view=view[:100],
            path=path[:500],
        )
        for pk, drgreen_id in sorted(seen, key=str)
    ]
    try:
        AccessLogEntry.objects.bulk_create(rows)
    except Exception:  # noqa: BLE001 - see the docstring
        logger.exception("privacy: the access log could not be written")
        return 0
    return len(rows)
