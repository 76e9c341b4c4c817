"""How the console hands work to Celery: after commit, by id, and never in the request.

Admin actions only *queue* a task and tell the user so; the task talks to Dr Green. A slow or
down Dr Green therefore never holds a staff member's browser (dj-stripe's synchronous resync
is the anti-pattern, anchors §1.2/§1.4).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils.module_loading import import_string

logger = logging.getLogger("integration.admin")

# At most this many rows per action: each row is one task and, for refreshes, at least one
# Dr Green call; a "select all 40,000" click should not become 40,000 calls.
MAX_ROWS_PER_ACTION = 100


class TaskUnavailable(Exception):
    """The task module is not importable (a deployment without that feature)."""


@dataclass(frozen=True)
class TaskRef:
    """A Celery task named by dotted path and the keyword its id goes in.

    Resolved at call time so the admin still loads (and says why an action cannot run) if an
    optional task module is missing, instead of failing at import.
    """

    path: str
    id_kwarg: str

    def resolve(self):
        try:
            return import_string(self.path)
        except ImportError as exc:
            raise TaskUnavailable(self.path) from exc


@dataclass
class EnqueueResult:
    queued: int = 0
    failed: int = 0


def enqueue(ref: TaskRef, ids, **extra) -> EnqueueResult:
    """Queue ``ref`` once per id, passing ids only.

    Inside a transaction the send waits for the commit (the worker must see what the request
    wrote); in autocommit it happens now, so a broker that is down is reported to the user as
    a failure instead of a cheerful "queued".
    """
    task = ref.resolve()
    in_atomic = transaction.get_connection().in_atomic_block
    result = EnqueueResult()
    for pk in ids:
        kwargs = {ref.id_kwarg: pk, **extra}
        if in_atomic:
            # robust: a broker hiccup for one row is logged and does not drop the others.
            transaction.on_commit(partial(_send, task, kwargs), robust=True)
            result.queued += 1
            continue
        try:
            _send(task, kwargs)
        except Exception:  # noqa: BLE001 - any broker error is reported, not raised at staff
            logger.exception("admin could not queue %s(%s)", ref.path, kwargs)
            result.failed += 1
        else:
            result.queued += 1
    return result


def _send(task, kwargs: dict) -> None:
    task.apply_async(kwargs=kwargs)
    logger.info("admin queued %s(%s)", getattr(task, "name", task), kwargs)
