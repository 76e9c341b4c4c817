"""Recovery of placements whose order POST may or may not have reached Dr Green.

Dr Green has no idempotency keys, so the truth is read back from Dr Green itself (facts
§4.5, §7.4): a successful order empties the client's cart in the same transaction, and the
order shows up first in the client's orders sorted ``desc``. The decision table:

========================================  =====================================
evidence                                  decision
========================================  =====================================
exactly one new order with our USD total   adopt it → ``placed`` (several: the one
                                           whose lines are ours, read from its detail),
                                           unless the cart still holds our lines: then
                                           the order is not ours (see below)
cart empty, no such order                  an order landed but is not visible yet:
                                           look again later, then ``needs_staff``
cart holds exactly our lines, no order     nothing landed → ``retry_safe`` (once the
                                           POST had time to finish) → place again
anything else (other lines, two matches)   ``needs_staff`` with the evidence
Dr Green unreachable                       stay ``unknown``, look again later
========================================  =====================================
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.drgreen import DrGreenError
from integration.models import OrderPlacement, PlacementAttempt, PlacementState
from integration.services.drgreen_api import correlation_scope, drgreen_client, ledger_deferred, ledger_flush
from integration.services.mirror import orders_upsert_from_client_orders
from integration.services.mirror.order_mapping import map_line
from integration.services.mirror.parsing import parse_decimal, parse_uuid, parse_when
from integration.services.webhooks.facts import placement_moved

from .calls import cart_snapshot, client_orders_newest, lines_as_cart
from .claims import backoff, lock, lock_placement, mark_placed, require_no_transaction
from .placement import placement_execute
from .validation import lines_from_json, quantity_text

logger = logging.getLogger("integration.checkout")


@dataclass
class Decision:
    kind: str  # "adopt", "retry_safe", "unknown", "needs_staff"
    reason: str
    code: str = ""
    order: dict[str, Any] | None = None
    next_at: datetime | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class _RecoveryClaim:
    placement: OrderPlacement
    number: int
    rounds: int
    unknown_since: datetime


def _claim_for_recovery(placement_id: int) -> _RecoveryClaim | None:
    conf = drgreen_settings.checkout
    now = timezone.now()
    with transaction.atomic():
        placement = lock(placement_id)
        unknown_since = None
        if placement.state == PlacementState.SUBMITTING:
            if placement.next_recovery_at is not None and placement.next_recovery_at > now:
                return None  # its worker still holds the lease
            # The worker that claimed it is gone (killed, timed out): its POST may have been
            # sent. Dr Green may even be finishing it now, so the settle time starts here.
            PlacementAttempt.objects.filter(
                placement=placement, number=placement.attempt_count, finished_at__isnull=True
            ).update(finished_at=now, outcome="abandoned", error="lease expired; worker presumed dead")
            placement.state = PlacementState.UNKNOWN
            unknown_since = now
        elif placement.state != PlacementState.UNKNOWN:
            return None
        elif placement.next_recovery_at is not None and placement.next_recovery_at > now:
            return None  # another recoverer holds it, or its back-off has not elapsed
        if unknown_since is None:
            last_place = placement.attempts.filter(kind="place").order_by("-number").first()
            unknown_since = (last_place.finished_at if last_place else None) or placement.updated_at
        rounds = placement.attempts.filter(kind="recover").count() + 1
        number = placement.attempt_count + 1
        placement.attempt_count = number
        placement.next_recovery_at = now + timedelta(seconds=conf.lease_s)
        placement.save(update_fields=["state", "attempt_count", "next_recovery_at", "updated_at"])
        PlacementAttempt.objects.create(placement=placement, number=number, kind="recover", started_at=now)
    return _RecoveryClaim(placement, number, rounds, unknown_since)


def _order_facts(item: dict[str, Any]) -> tuple[uuid.UUID | None, datetime | None, Decimal | None]:
    return (
        parse_uuid(item.get("id"), field="order.id"),
        parse_when(item.get("createdAt"), field="order.createdAt"),
        parse_decimal(item.get("totalAmount"), places=2, field="order.totalAmount"),
    )


def recovery_decide(
    *,
    placement: OrderPlacement,
    cart: dict[str, str] | None,
    orders: list[dict[str, Any]],
    unknown_since: datetime,
    rounds: int,
    now: datetime,
    order_lines: dict[str, dict[str, str]] | None = None,
) -> Decision:
    """The decision table of the module docstring, as a pure function of the evidence.
    ``cart`` is ``None`` in docs body mode, where Dr Green leaves the cart alone.
    ``order_lines`` (order id → ``{strain id: quantity}``, read from order details) narrows
    several orders with our total down to those holding exactly our lines."""
    conf = drgreen_settings.checkout
    tolerance = Decimal(conf.total_tolerance)
    window_start = placement.created_at - timedelta(seconds=conf.clock_skew_s)
    ids = [i for i, _, _ in map(_order_facts, orders) if i is not None]
    taken = set(
        OrderPlacement.objects.filter(order_drgreen_id__in=ids)
        .exclude(pk=placement.pk)
        .values_list("order_drgreen_id", flat=True)
    )
    candidates = []
    seen = []
    for item in orders:
        order_id, created, total = _order_facts(item)
        seen.append({"id": str(order_id), "createdAt": item.get("createdAt"), "totalAmount": str(total)})
        if order_id is None or created is None or total is None or placement.expected_total is None:
            continue
        if (
            created >= window_start
            and order_id not in taken
            and abs(total - placement.expected_total) <= tolerance
        ):
            candidates.append(item)
    our_lines = lines_as_cart(lines_from_json(placement.lines))
    not_ours: list[str] = []
    if cart is not None and cart and cart == our_lines:
        # A landed order empties the cart in the same transaction (facts §7.4), and while
        # this placement is unknown no other placement of the client may fill the cart:
        # a cart still holding exactly our lines proves that our order did not land. An
        # order with our total is then someone else's (an older one inside the clock-skew
        # window, one from Dr Green's own UI), never to be adopted.
        not_ours, candidates = [str(c.get("id")) for c in candidates], []
    if order_lines is not None and len(candidates) > 1:
        # Same total, different lines: an order someone else placed for this client (in
        # Dr Green's own UI, say) within the window. Only ours holds exactly our lines.
        candidates = [c for c in candidates if order_lines.get(str(c.get("id"))) == our_lines]
    evidence = {
        "cart": cart,
        "our_lines": our_lines,
        "newest_orders": seen,
        "window_start": window_start.isoformat(),
        "expected_total": str(placement.expected_total),
        "candidates": [str(c.get("id")) for c in candidates],
        "not_ours": not_ours,
        "candidate_lines": order_lines,
        "adopted_elsewhere": sorted(str(t) for t in taken),
        "round": rounds,
    }
    if len(candidates) == 1:
        return Decision("adopt", "the order landed", order=candidates[0], evidence=evidence)
    if len(candidates) > 1:
        return Decision(
            "needs_staff",
            "several new orders match this placement",
            code="ambiguous_orders",
            evidence=evidence,
        )
    settled_at = unknown_since + timedelta(seconds=conf.settle_s)
    if cart is not None and not cart:
        if rounds >= conf.recovery_max_rounds:
            return Decision(
                "needs_staff",
                "the cart was emptied but no matching order can be found",
                code="order_not_found",
                evidence=evidence,
            )
        wait = backoff(conf.recovery_backoff_s, rounds, conf.recovery_backoff_max_s)
        return Decision(
            "unknown",
            "the cart is empty but the order is not visible yet",
            next_at=now + wait,
            evidence=evidence,
        )
    if cart is None or cart == evidence["our_lines"]:
        if now >= settled_at:
            return Decision(
                "retry_safe", "no order landed and the cart still holds our lines", evidence=evidence
            )
        return Decision(
            "unknown",
            "no order yet; waiting for Dr Green to finish the request",
            next_at=settled_at,
            evidence=evidence,
        )
    return Decision(
        "needs_staff",
        "the cart holds something other than this placement's lines",
        code="cart_mismatch",
        evidence=evidence,
    )


def placement_recover(*, placement_id: int) -> OrderPlacement:
    """Settle an ``unknown`` placement (or a ``submitting`` one whose lease expired) from
    Dr Green's records; places again only when they prove nothing landed. Safe to call
    concurrently and repeatedly: one caller at a time holds the recovery claim."""
    require_no_transaction("placement_recover")
    claim = _claim_for_recovery(placement_id)
    if claim is None:
        return OrderPlacement.objects.get(pk=placement_id)
    conf = drgreen_settings.checkout
    placement = claim.placement
    client = placement.client  # selected with the claim
    # The reads' ledger rows are written with the decision (see ledger_deferred).
    with ledger_deferred():
        try:
            with correlation_scope(str(placement.correlation_id)):
                cart = cart_snapshot(drgreen_client(), client) if conf.order_body_mode == "cart" else None
                orders = client_orders_newest(client=client, take=conf.recovery_take)
        except DrGreenError as exc:
            wait = backoff(conf.recovery_backoff_s, claim.rounds, conf.recovery_backoff_max_s)
            decision = Decision(
                "unknown",
                f"Dr Green could not be read: {exc}"[:500],
                next_at=timezone.now() + wait,
                evidence={"round": claim.rounds},
            )
        else:
            decide = partial(
                recovery_decide,
                placement=placement,
                cart=cart,
                orders=orders,
                unknown_since=claim.unknown_since,
                rounds=claim.rounds,
            )
            decision = decide(now=timezone.now())
            if decision.code == "ambiguous_orders":
                lines = _candidate_lines(placement, decision.evidence["candidates"])
                if lines is not None:
                    decision = decide(now=timezone.now(), order_lines=lines)
        placement = _record_recovery(placement_id=placement_id, claim=claim, decision=decision)
    if placement.state == PlacementState.RETRY_SAFE:
        return placement_execute(placement_id=placement_id)
    return placement


def _candidate_lines(placement: OrderPlacement, order_ids: list[str]) -> dict[str, dict[str, str]] | None:
    """The lines of a few matching orders, from their details (the lists carry none).
    ``None`` when they cannot all be read: the decision then stays with staff."""
    if len(order_ids) > drgreen_settings.checkout.recovery_detail_max:
        return None
    out: dict[str, dict[str, str]] = {}
    try:
        with correlation_scope(str(placement.correlation_id)):
            for order_id in order_ids:
                lines: dict[str, Decimal] = {}
                for i, raw in enumerate(drgreen_client().get_order(order_id).get("orderLines") or []):
                    line = map_line(i, raw)
                    key = str(line.strain_drgreen_id)
                    lines[key] = lines.get(key, Decimal(0)) + (line.quantity or Decimal(0))
                out[order_id] = {sid: quantity_text(qty) for sid, qty in lines.items()}
    except DrGreenError as exc:
        logger.warning("checkout %s: order details unreadable (%s)", placement.correlation_id, exc)
        return None
    return out


def _record_recovery(*, placement_id: int, claim: _RecoveryClaim, decision: Decision) -> OrderPlacement:
    order_pk = order_id = None
    if decision.kind == "adopt":
        assert decision.order is not None
        result = orders_upsert_from_client_orders(
            client_drgreen_id=claim.placement.client.drgreen_id, items=[decision.order]
        )
        order_id = uuid.UUID(str(decision.order["id"]))
        order_pk = result.pks.get(order_id)
    now = timezone.now()
    with transaction.atomic():
        ledger_flush()
        placement = lock_placement(placement_id, with_client=False)
        PlacementAttempt.objects.filter(placement=placement, number=claim.number).update(
            finished_at=now, outcome=decision.kind, error=decision.reason, evidence=decision.evidence
        )
        if placement.state != PlacementState.UNKNOWN or placement.attempt_count != claim.number:
            return placement
        if decision.kind == "adopt":
            return mark_placed(placement, order_pk=order_pk, order_drgreen_id=order_id, now=now)
        fields = ["state", "next_recovery_at", "updated_at"]
        if decision.kind == "retry_safe":
            placement.state = PlacementState.RETRY_SAFE
            placement.next_recovery_at = now
        elif decision.kind == "needs_staff":
            placement.state = PlacementState.NEEDS_STAFF
            placement.rejection_code = decision.code
            placement.rejection_message = decision.reason
            placement.next_recovery_at = None
            fields += ["rejection_code", "rejection_message"]
        else:
            placement.next_recovery_at = decision.next_at
        placement.save(update_fields=fields)
        placement_moved(placement, at=now)
    logger.info(
        "checkout %s: recovery round %s → %s (%s)",
        placement.correlation_id,
        claim.rounds,
        placement.state,
        decision.reason,
    )
    return placement
