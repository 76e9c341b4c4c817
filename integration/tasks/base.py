"""What the idempotent tasks share: late-ack base classes and the read retry back-off.

Delivery rules (anchors §5.6): an idempotent task acks late and is rejected on worker loss,
so a killed worker means a redelivery, never a lost tick (leases and claims make the
duplicate skip). GET-only tasks retry upstream failures with full-jitter exponential
back-off, never sooner than a 429's ``Retry-After``.
"""

from __future__ import annotations

from celery import Task
from celery.utils.time import get_exponential_backoff_interval

from integration.drgreen import RateLimited, ServerError, TransportError, UpstreamUnavailable

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


def worker_name(task: Task) -> str:
    """``host:task id`` of the running task, recorded as the holder of leases and runs."""
    return f"{task.request.hostname or 'local'}:{task.request.id or '-'}"
