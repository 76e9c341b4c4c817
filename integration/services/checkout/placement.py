"""Order placement: commit the intent, then place it with Dr Green exactly once.

The order of things is the whole design (DESIGN.md flow 1, facts §7.4):

1. validate against the mirror, re-reading stale data from Dr Green (no transaction open);
2. commit an ``OrderPlacement`` (correlation id, idempotency key + request hash) — the
   unique constraint on (client, key) is what makes a double click one placement;
3. claim it in a short transaction (client row locked first, then the placement): one
   placement per client talks to Dr Green at a time, because a client has exactly one
   Dr Green cart and the order is built from it;
4. with no transaction or lock held: empty the cart, add the lines once, POST once;
5. record the outcome in another short transaction; ambiguous → ``unknown`` → recovery.

An inline checkout whose client has nothing else in flight does 2 and 3 in one transaction.
The claims and outcome writes live in ``claims.py``, recovery in ``recovery.py``.

The customer waits for all of it, so the common path is five round trips to the database
besides the three calls to Dr Green: one read (the key, the client, the strains), the
claim's flight and its commit, the outcome's flight and its commit (``statements.py``,
``services/sql.py``). Only the two commits wait for the disk.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.models import Client, OrderPlacement, PlacementState
from integration.services.drgreen_api import ledger_deferred
from integration.services.errors import ServiceError

from .calls import placement_calls
from .claims import IN_FLIGHT, Claim, claim_for_place, placement_record, require_no_transaction
from .statements import placement_by_key, placement_insert, placement_insert_claimed, placement_key_and_client
from .validation import lines_hash, lines_normalize, order_validate

logger = logging.getLogger("integration.checkout")

EXECUTE_MODES = ("task", "inline", "defer")


class PlacementBusy(Exception):
    """Another placement of the same client is in flight; try again shortly."""


def _existing(*, held: tuple[int, str] | None, request_hash: str) -> OrderPlacement | None:
    """The placement ``held`` (pk, request hash) names, or a 409 if its body differs."""
    if held is None:
        return None
    pk, held_hash = held
    placement = OrderPlacement.objects.get(pk=pk)
    if held_hash != request_hash:
        raise ServiceError(
            "idempotency_key_reused",
            "This idempotency key was already used for a different order.",
            details={"correlation_id": str(placement.correlation_id)},
            status=409,
        )
    return placement


def order_place(
    *, client: Client, idempotency_key: str, lines: list, execute: str = "task"
) -> OrderPlacement:
    """Place an order for ``client`` once per ``idempotency_key``.

    The same key with the same lines returns the same placement (whatever its state); the
    same key with other lines raises ``idempotency_key_reused`` (409). Validation failures
    raise :class:`ServiceError` with a stable code and leave nothing behind. ``execute``:
    ``"task"`` hands the Dr Green calls to a Celery task after commit; ``"inline"`` makes
    them in this call (still with no transaction open) and returns the outcome; ``"defer"``
    only commits the placement (the caller enqueues it, or the sweep runs it after
    ``new_grace_s``).
    """
    if execute not in EXECUTE_MODES:
        raise ValueError(f"execute must be one of {EXECUTE_MODES}")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 255:
        raise ServiceError(
            "invalid_idempotency_key", "An idempotency key of 1 to 255 characters is required."
        )
    normalized = lines_normalize(lines=lines)
    request_hash = lines_hash(normalized)

    # The key's placement and what the checks read first, in one round trip.
    held, row, strains_in = placement_key_and_client(
        client_id=client.pk, idempotency_key=key, strain_ids=[line.strain_id for line in normalized]
    )
    placement = _existing(held=held, request_hash=request_hash)
    if placement is not None:
        return placement

    require_no_transaction("order_place")
    checked = order_validate(client=row, lines=normalized, read=True, strains_in=strains_in)
    conf = drgreen_settings.checkout
    try:
        placement, claim = _create(
            client=checked.client,
            key=key,
            request_hash=request_hash,
            lines=[line.as_json() for line in normalized],
            expected_total=checked.expected_total,
            claim_now=execute == "inline",
            lease_s=conf.lease_s,
        )
    except IntegrityError:
        # A concurrent submit of the same key won the insert: answer with its placement.
        held = placement_by_key(client_id=client.pk, idempotency_key=key)
        placement = _existing(held=held, request_hash=request_hash)
        if placement is None:
            raise
        return placement
    logger.info(
        "checkout %s: placement committed (client %s, total %s USD)",
        placement.correlation_id,
        client.drgreen_id,
        placement.expected_total,
    )

    if execute == "inline":
        try:
            return _execute(placement.pk, deadline=time.monotonic() + conf.inline_wait_s, first=claim)
        except PlacementBusy:
            logger.info("checkout %s: client busy; left for the sweep", placement.correlation_id)
            placement.refresh_from_db()
            return placement
    if execute == "task":
        placement_enqueue(placement_id=placement.pk)
    return placement


def _create(
    *,
    client: Client,
    key: str,
    request_hash: str,
    lines: list,
    expected_total,
    claim_now: bool,
    lease_s: float,
) -> tuple[OrderPlacement, Claim | None]:
    """Commit the placement. For an inline checkout whose client has nothing else in flight,
    the same transaction also claims it (client row locked first, as in every claim), which
    saves a second round of locks and a commit on the path every customer waits on."""
    now = timezone.now()
    placement = OrderPlacement(
        client=client,
        idempotency_key=key,
        request_hash=request_hash,
        lines=lines,
        expected_total=expected_total,
        state=PlacementState.NEW,
    )
    with transaction.atomic():
        if not claim_now:
            placement_insert(placement)
            return placement, None
        claimed = placement_insert_claimed(
            placement, now=now, lease_until=now + timedelta(seconds=lease_s), in_flight=IN_FLIGHT
        )
    return placement, (Claim("place", placement, 1) if claimed else None)


def placement_enqueue(*, placement_id: int, countdown: float | None = None) -> None:
    """Send ``placement_execute`` to a worker once the current transaction (if any) commits."""
    from integration.tasks.checkout import placement_execute as task  # tasks import services

    def send() -> None:
        task.apply_async(args=[placement_id], countdown=countdown)

    transaction.on_commit(send)


def placement_execute(*, placement_id: int, wait_s: float = 0.0) -> OrderPlacement:
    """Run the Dr Green calls of a ``new`` or ``retry_safe`` placement.

    Safe to call any number of times, from anywhere: only the caller that claims the
    placement talks to Dr Green; every other caller gets the placement as it stands. A
    placement whose worker died mid-call (lease expired) is handed to recovery.

    ``wait_s`` is how long the caller may wait: for another placement of the same client
    to finish (else :class:`PlacementBusy`), and for the back-off of a ``retry_safe``
    outcome, after which the placement is run again. ``retry_safe`` only ever comes from
    evidence that no order exists (a refusal before the POST, a gateway answer, or recovery
    reading Dr Green), so running it again can never make a second order.
    """
    require_no_transaction("placement_execute")
    return _execute(placement_id, deadline=time.monotonic() + wait_s)


def _execute(placement_id: int, *, deadline: float, first: Claim | None = None) -> OrderPlacement:
    claim = first
    while True:
        claim = claim or _claim_waiting(placement_id, deadline)
        if claim.action == "recover":
            from .recovery import placement_recover

            return placement_recover(placement_id=placement_id)
        if claim.action == "done":
            return claim.placement
        placement = claim.placement
        mode = drgreen_settings.checkout.order_body_mode
        client = placement.client  # selected with the claim
        if mode == "docs":
            client = Client.objects.prefetch_related("shipping_addresses").get(pk=client.pk)
        # The calls' ledger rows are written with the outcome: one commit, not four.
        with ledger_deferred():
            outcome = placement_calls(placement=placement, client=client, mode=mode)
            placement = placement_record(
                placement_id=placement_id, number=claim.number, outcome=outcome, claimed=placement
            )
        claim = None
        if placement.state == PlacementState.UNKNOWN:
            from .recovery import placement_recover

            placement = placement_recover(placement_id=placement_id)
        if placement.state != PlacementState.RETRY_SAFE or placement.next_recovery_at is None:
            return placement
        pause = max(0.0, (placement.next_recovery_at - timezone.now()).total_seconds())
        if time.monotonic() + pause >= deadline:
            return placement  # the sweep (or the task's next run) picks it up
        time.sleep(pause)


def _claim_waiting(placement_id: int, deadline: float) -> Claim:
    delay = 0.02
    while True:
        claim = claim_for_place(placement_id)
        if claim.action != "busy":
            return claim
        if time.monotonic() >= deadline:
            raise PlacementBusy(str(claim.placement.correlation_id))
        time.sleep(delay)
        delay = min(delay * 2, 0.5)


__all__ = [
    "EXECUTE_MODES",
    "PlacementBusy",
    "order_place",
    "placement_enqueue",
    "placement_execute",
]
