"""Polling tasks: beat's sweeps, heartbeat, KYC sweep and reconcile, and the id-taking refreshes.

Beat-driven sweeps do not retry (the next tick is the retry, the breaker decides whether Dr
Green is called); the refreshes are GET-only and retry upstream failures (``tasks.base``).
"""

from __future__ import annotations

from celery import shared_task

from integration.models import Client, Order
from integration.services.polling import heartbeat, kyc, reconcile_process, refresh, sweeps
from integration.tasks.base import READ_RETRY_ERRORS, IdempotentTask, ReadTask, retry_countdown, worker_name


@shared_task(bind=True, base=IdempotentTask, name="integration.orders_sweep")
def orders_sweep(self) -> dict:
    return sweeps.orders_sweep(worker=worker_name(self)).as_dict()


@shared_task(bind=True, base=IdempotentTask, name="integration.orders_heartbeat")
def orders_heartbeat(self) -> dict:
    return heartbeat.orders_heartbeat(worker=worker_name(self)).as_dict()


@shared_task(bind=True, base=IdempotentTask, name="integration.clients_kyc_sweep")
def clients_kyc_sweep(self) -> dict:
    return kyc.clients_kyc_sweep(worker=worker_name(self)).as_dict()


RECONCILE_LIMIT_S = 4 * 3600


# Long: a full walk of a large account takes minutes; the lease (renewed every page) keeps
# a redelivered copy from running alongside.
@shared_task(
    bind=True,
    base=IdempotentTask,
    name="integration.mirror_reconcile",
    time_limit=RECONCILE_LIMIT_S,
    soft_time_limit=RECONCILE_LIMIT_S - 60,
)
def mirror_reconcile(self, dry_run: bool = False) -> dict:
    # The child is killed a minute before the soft limit, so the task reports it itself.
    return reconcile_process.mirror_reconcile_nightly(
        dry_run=dry_run, worker=worker_name(self), timeout_s=RECONCILE_LIMIT_S - 120
    )


def _drgreen_id(model, value) -> str:
    """Tasks take ids: a local pk (what the admin passes) or a Dr Green UUID."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return str(model.objects.values_list("drgreen_id", flat=True).get(pk=int(value)))
    return str(value)


@shared_task(bind=True, base=ReadTask, name="integration.order_refresh")
def order_refresh(self, order_id: int | str) -> dict:
    """Re-read one order (local pk or Dr Green id) from Dr Green."""
    drgreen_id = _drgreen_id(Order, order_id)
    try:
        return refresh.mirror_refresh(drgreen_id=drgreen_id, kind="order", worker=worker_name(self)).as_dict()
    except READ_RETRY_ERRORS as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(exc, self.request.retries)) from exc


@shared_task(bind=True, base=ReadTask, name="integration.client_refresh")
def client_refresh(self, client_id: int | str) -> dict:
    """Re-read one client (local pk or Dr Green id) and its orders from Dr Green."""
    drgreen_id = _drgreen_id(Client, client_id)
    try:
        return refresh.mirror_refresh(
            drgreen_id=drgreen_id, kind="client", worker=worker_name(self)
        ).as_dict()
    except READ_RETRY_ERRORS as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(exc, self.request.retries)) from exc
