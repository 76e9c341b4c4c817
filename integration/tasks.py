"""Celery tasks: thin wrappers that call services and pass ids, never objects.

Delivery rules (anchors §5.6):
- every task here is idempotent (sweeps take leases and claims, upserts are CAS-safe),
  so all use late acks + reject on worker loss: a killed worker means a redelivery, never
  a lost tick. On Redis a task that outlives the broker's visibility timeout is also
  redelivered; the lease makes the duplicate skip.
- beat-driven sweeps do not retry: the next tick is the retry, and the breaker decides
  whether Dr Green is called at all.
- id-taking refresh tasks are GET-only, so they retry upstream failures with exponential
  backoff and full jitter, never sooner than a 429's ``Retry-After``.
"""

from __future__ import annotations

from celery import Task, shared_task
from celery.utils.time import get_exponential_backoff_interval

from integration.drgreen import RateLimited, ServerError, TransportError, UpstreamUnavailable
from integration.models import Client, Order
from integration.services.ledger import logs_prune
from integration.services.polling import refresh
from integration.services.polling.heartbeat import orders_heartbeat
from integration.services.polling.kyc import clients_kyc_sweep
from integration.services.polling.reconcile import mirror_reconcile
from integration.services.polling.sweeps import orders_sweep_due

READ_RETRY_ERRORS = (TransportError, ServerError, RateLimited, UpstreamUnavailable)
RETRY_BACKOFF_BASE = 2
RETRY_BACKOFF_MAX = 600


def retry_countdown(exc: BaseException, retries: int) -> float:
    """Seconds before retry number ``retries + 1``: full-jitter exponential backoff, but
    never less than what a 429 asked for."""
    countdown = float(
        get_exponential_backoff_interval(
            factor=RETRY_BACKOFF_BASE, retries=retries, maximum=RETRY_BACKOFF_MAX, full_jitter=True
        )
    )
    retry_after = getattr(exc, "retry_after", None) if isinstance(exc, RateLimited) else None
    if retry_after:
        countdown = max(countdown, float(retry_after))
    return countdown


class IdempotentTask(Task):
    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    ignore_result = True


class ReadTask(IdempotentTask):
    """A GET-only task: retried on upstream failures (see :func:`retry_countdown`)."""

    abstract = True
    max_retries = 5


def _worker(task: Task) -> str:
    return f"{task.request.hostname or 'local'}:{task.request.id or '-'}"


@shared_task(bind=True, base=IdempotentTask, name="integration.orders_sweep")
def orders_sweep(self) -> dict:
    return orders_sweep_due(worker=_worker(self)).as_dict()


@shared_task(bind=True, base=IdempotentTask, name="integration.orders_heartbeat")
def orders_heartbeat_tick(self) -> dict:
    return orders_heartbeat(worker=_worker(self)).as_dict()


@shared_task(bind=True, base=IdempotentTask, name="integration.clients_kyc_sweep")
def clients_kyc_sweep_tick(self) -> dict:
    return clients_kyc_sweep(worker=_worker(self)).as_dict()


# Long: a full walk of a large account takes minutes; the lease (renewed every page) keeps
# a redelivered copy from running alongside.
@shared_task(
    bind=True,
    base=IdempotentTask,
    name="integration.mirror_reconcile",
    time_limit=4 * 3600,
    soft_time_limit=4 * 3600 - 60,
)
def mirror_reconcile_run(self, dry_run: bool = False) -> dict:
    return mirror_reconcile(dry_run=dry_run, worker=_worker(self)).as_dict()


@shared_task(bind=True, base=IdempotentTask, name="integration.logs_prune")
def logs_prune_run(self) -> dict:
    return logs_prune()


@shared_task(bind=True, base=IdempotentTask, name="integration.privacy_prune")
def privacy_prune_run(self) -> dict:
    """Registrations past their retention period, then the staff access log."""
    from integration.services.privacy.retention import privacy_prune

    return privacy_prune()


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
        return refresh.order_refresh(drgreen_id=drgreen_id, worker=_worker(self)).as_dict()
    except READ_RETRY_ERRORS as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(exc, self.request.retries)) from exc


@shared_task(bind=True, base=ReadTask, name="integration.client_refresh")
def client_refresh(self, client_id: int | str) -> dict:
    """Re-read one client (local pk or Dr Green id) and its orders from Dr Green."""
    drgreen_id = _drgreen_id(Client, client_id)
    try:
        return refresh.client_refresh(drgreen_id=drgreen_id, worker=_worker(self)).as_dict()
    except READ_RETRY_ERRORS as exc:
        raise self.retry(exc=exc, countdown=retry_countdown(exc, self.request.retries)) from exc
