"""Daily housekeeping tasks: prune the sync logs and the data kept past its retention."""

from __future__ import annotations

from celery import shared_task

from integration.services import ledger
from integration.tasks.base import IdempotentTask


@shared_task(bind=True, base=IdempotentTask, name="integration.logs_prune")
def logs_prune(self) -> dict:
    return ledger.logs_prune()


@shared_task(bind=True, base=IdempotentTask, name="integration.privacy_prune")
def privacy_prune(self) -> dict:
    """Registrations past their retention period, then the staff access log."""
    from integration.services.privacy import retention

    return retention.privacy_prune()
