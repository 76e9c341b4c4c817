"""Celery task the staff console owns: the snapshot of Dr Green's summaries for the dashboard.

Thin on purpose: fetch by id / call the service; the service records its own outcome.
"""

from __future__ import annotations

from celery import shared_task


# A read with nothing to undo: safe to run again if a worker dies mid-way (late ack).
@shared_task(
    name="integration.summaries_snapshot", ignore_result=True, acks_late=True, reject_on_worker_lost=True
)
def summaries_snapshot(requested_by: int | None = None) -> int:
    """Fetch Dr Green's summary endpoints into a snapshot for the dashboard (see
    ``integration.services.summaries``). ``requested_by`` is the staff user id, for the log."""
    from integration.services.summaries import summaries_snapshot_fetch

    holder = f"admin user {requested_by}" if requested_by else "beat"
    return summaries_snapshot_fetch(holder=holder).pk
