"""The recovery decision: what Dr Green's records say about a placement whose order POST
may or may not have landed, as a pure function of the evidence (no I/O).

Dr Green has no idempotency keys, so the truth is read back from Dr Green itself (facts
§4.5, §7.4): a successful order empties the client's cart in the same transaction, and the
order shows up first in the client's orders sorted ``desc``.

========================================  =====================================
evidence                                  decision
========================================  =====================================
the latest attempt never committed its     nothing was sent → ``retry_safe`` at
POST marker (its worker stopped first)     once, whatever the cart holds
exactly one new order with our USD total   ``adopt`` it (several: the one whose
                                           lines are ours), unless the cart still
                                           holds our lines: then it is not ours
cart empty, no such order                  landed but not visible yet: ``unknown``,
                                           look again later, then ``needs_staff``
cart holds exactly our lines, no order     nothing landed → ``retry_safe`` (once the
                                           POST had time to finish)
anything else (other lines, two matches)   ``needs_staff`` with the evidence
========================================  =====================================
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from integration.conf import drgreen_settings
from integration.models import OrderPlacement
from integration.services.mirror.parsing import parse_decimal, parse_uuid, parse_when

from .calls import lines_as_cart
from .validation import lines_from_json


def backoff(seconds: float, rounds: int, cap: float) -> timedelta:
    return timedelta(seconds=min(cap, seconds * (2 ** max(0, rounds - 1))))


@dataclass
class Decision:
    kind: str  # "adopt", "retry_safe", "unknown", "needs_staff"
    reason: str
    code: str = ""
    order: dict[str, Any] | None = None
    next_at: datetime | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def order_facts(item: dict[str, Any]) -> tuple[uuid.UUID | None, datetime | None, Decimal | None]:
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
    taken: set[uuid.UUID] = frozenset(),
    order_lines: dict[str, dict[str, str]] | None = None,
    posted: bool = True,
) -> Decision:
    """The decision table of the module docstring. ``cart`` is ``None`` in docs body mode,
    where Dr Green leaves the cart alone. ``taken``: ids among ``orders`` that other
    placements already claim (never adopted twice). ``order_lines`` (order id → ``{strain
    id: quantity}``, from order details) narrows several orders with our total down to those
    holding exactly our lines. ``posted``: whether the latest attempt committed its POST
    marker; without it no order of ours can exist (earlier attempts were settled before
    it was claimed), and the next attempt empties the cart before anything else."""
    conf = drgreen_settings.checkout
    tolerance = Decimal(conf.total_tolerance)
    window_start = placement.created_at - timedelta(seconds=conf.clock_skew_s)
    candidates = []
    seen = []
    for item in orders:
        order_id, created, total = order_facts(item)
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
        "posted": posted,
    }
    if not posted:
        return Decision("retry_safe", "the order POST was never sent", evidence=evidence)
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
