"""Named database leases: whoever holds an unexpired ``SyncLease`` row runs the job.

Why a row and not a Redis lock: the embedded default has no Redis, and a row works the
same on SQLite and PostgreSQL, is visible in the admin and can be broken by hand.

Acquiring is one conditional UPDATE (``WHERE name = … AND expires_at < now``); when the row
does not exist yet, an INSERT whose primary key makes exactly one of two racers win (the
loser's IntegrityError is caught in a savepoint). No lock is held between statements, so
nothing here ever waits on the network.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from integration.models import SyncLease

logger = logging.getLogger("integration.sync")


def lease_acquire(*, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Take ``name`` for ``ttl`` if nobody holds it (or their lease expired)."""
    now = now or timezone.now()
    taken = SyncLease.objects.filter(name=name, expires_at__lte=now).update(
        holder=holder[:128], expires_at=now + ttl, acquired_at=now
    )
    if taken:
        return True
    if SyncLease.objects.filter(name=name).exists():
        return False
    try:
        with transaction.atomic():
            SyncLease.objects.create(name=name, holder=holder[:128], expires_at=now + ttl, acquired_at=now)
    except IntegrityError:
        return False  # someone inserted it between our UPDATE and INSERT: theirs
    return True


def lease_renew(*, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
    """Extend our own lease; ``False`` means we lost it (expired and taken by another)."""
    now = now or timezone.now()
    return bool(SyncLease.objects.filter(name=name, holder=holder[:128]).update(expires_at=now + ttl))


def lease_release(
    *, name: str, holder: str, now: datetime | None = None, cooldown_until: datetime | None = None
) -> bool:
    """Give the lease back. ``cooldown_until`` keeps it unavailable until then (a rate limit
    that survives worker restarts, e.g. one KYC list walk per group every 5 minutes)."""
    now = now or timezone.now()
    return bool(
        SyncLease.objects.filter(name=name, holder=holder[:128]).update(
            holder="", expires_at=cooldown_until or now
        )
    )


@contextlib.contextmanager
def lease_held(*, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> Iterator[bool]:
    """``with lease_held(...) as acquired:`` — released on exit when it was acquired."""
    acquired = lease_acquire(name=name, holder=holder, ttl=ttl, now=now)
    try:
        yield acquired
    finally:
        if acquired:
            lease_release(name=name, holder=holder, now=now)
