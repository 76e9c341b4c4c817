"""The recovery decision is a pure function of the evidence: no database, no HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from integration.models import OrderPlacement
from integration.services.checkout.decision import recovery_decide

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
STRAIN = str(uuid.uuid4())


def _placement() -> OrderPlacement:
    placement = OrderPlacement(
        lines=[{"strain_id": STRAIN, "quantity": "2"}], expected_total=Decimal("20.00")
    )
    placement.created_at = NOW - timedelta(minutes=1)
    return placement


def _order(total="20.00", minutes_ago=0.5) -> dict:
    created = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    return {"id": str(uuid.uuid4()), "createdAt": created, "totalAmount": total}


def _decide(**kw):
    args = {
        "placement": _placement(),
        "cart": {},
        "orders": [],
        "unknown_since": NOW,
        "rounds": 1,
        "now": NOW,
    }
    return recovery_decide(**{**args, **kw})


def test_one_new_order_with_our_total_is_adopted():
    order = _order()
    decision = _decide(orders=[order, _order(total="99.00")])
    assert decision.kind == "adopt" and decision.order == order


def test_an_order_another_placement_claims_is_never_adopted():
    order = _order()
    decision = _decide(orders=[order], taken={uuid.UUID(order["id"])}, cart={})
    assert decision.kind == "unknown"  # cart emptied, our order not visible yet


def test_a_cart_still_holding_our_lines_proves_nothing_landed():
    decision = _decide(orders=[_order()], cart={STRAIN: "2"}, unknown_since=NOW - timedelta(hours=1))
    assert decision.kind == "retry_safe"
    assert decision.evidence["not_ours"] and not decision.evidence["candidates"]


def test_a_cart_holding_other_lines_goes_to_staff():
    decision = _decide(cart={str(uuid.uuid4()): "1"})
    assert (decision.kind, decision.code) == ("needs_staff", "cart_mismatch")


@pytest.mark.parametrize("cart", [{}, None, {STRAIN: "2"}, {str(uuid.uuid4()): "1"}])
def test_an_attempt_that_never_committed_its_post_marker_is_retry_safe_at_once(cart):
    # Whatever the cart holds (docs mode: None), and before any settle time: nothing was sent.
    decision = _decide(cart=cart, posted=False, unknown_since=NOW)
    assert decision.kind == "retry_safe" and decision.evidence["posted"] is False


def test_without_the_marker_an_order_with_our_total_is_not_adopted():
    decision = _decide(orders=[_order()], posted=False)
    assert decision.kind == "retry_safe" and decision.order is None


def test_after_the_marker_an_empty_cart_without_an_order_is_still_looked_at_again():
    decision = _decide(cart={}, posted=True)
    assert decision.kind == "unknown" and decision.next_at > NOW
