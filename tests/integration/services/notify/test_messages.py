"""The transition table: one message per change, by precedence; nothing for the unknown."""

from __future__ import annotations

import pytest

from integration.models import StatusChange
from integration.services.notify import message_for_change


def change(*moves: tuple[str, str, str]) -> StatusChange:
    return StatusChange(fields_changed=[{"field": f, "before": b, "after": a} for f, b, a in moves])


@pytest.mark.parametrize(
    "move,key",
    [
        (("admin_approval", "PENDING", "VERIFIED"), "approved"),
        (("admin_approval", "PENDING", "REJECTED"), "rejected"),
        (("admin_approval", "VERIFIED", "REJECTED"), "rejected"),
        (("payment_status", "PENDING", "PAID"), "paid"),
        (("payment_status", "PENDING", "COMPLETED"), "paid"),
        (("order_status", "PENDING", "PROCESSING"), "processing"),
        (("order_status", "PROCESSING", "SHIPPED"), "shipped"),
        (("order_status", "PENDING", "SHIPPED"), "shipped"),
        (("order_status", "SHIPPED", "DELIVERED"), "delivered"),
    ],
)
def test_each_known_transition_has_its_message(move, key):
    choice = message_for_change(change(move))
    assert choice.rule is not None and choice.rule.key == key
    assert choice.template == f"integration/email/{key}"


@pytest.mark.parametrize(
    "move",
    [
        ("order_status", "PENDING", "CANCELLED"),  # in the docs, never sent by the backend
        ("payment_status", "PENDING", "FAILED"),
        ("payment_status", "PAID", "REFUNDED"),
        ("order_status", "PROCESSING", "ON_HOLD"),  # a value nobody has seen yet
        ("payment_status", "PAID", "PENDING"),  # a correction backwards
        ("admin_approval", "VERIFIED", "PENDING"),
        ("payment_status", "COMPLETED", "PAID"),  # paid both before and after
    ],
)
def test_unknown_values_and_moves_back_send_nothing_and_say_why(move):
    choice = message_for_change(change(move))
    assert choice.rule is None and choice.template == ""
    assert move[1] in choice.reason and move[2] in choice.reason


@pytest.mark.parametrize(
    "moves,key",
    [
        # approved and paid between two polls: the customer must not be asked to pay
        ([("admin_approval", "PENDING", "VERIFIED"), ("payment_status", "PENDING", "PAID")], "paid"),
        ([("payment_status", "PENDING", "PAID"), ("order_status", "PENDING", "PROCESSING")], "processing"),
        ([("order_status", "PENDING", "SHIPPED"), ("payment_status", "PENDING", "COMPLETED")], "shipped"),
        ([("order_status", "SHIPPED", "DELIVERED"), ("payment_status", "PENDING", "PAID")], "delivered"),
        # a rejection beats everything
        ([("payment_status", "PENDING", "PAID"), ("admin_approval", "PENDING", "REJECTED")], "rejected"),
        # an unknown value next to a known one: the known one is told
        ([("order_status", "PENDING", "ON_HOLD"), ("admin_approval", "PENDING", "VERIFIED")], "approved"),
    ],
)
def test_combined_changes_pick_the_most_significant(moves, key):
    assert message_for_change(change(*moves)).rule.key == key
    assert message_for_change(change(*reversed(moves))).rule.key == key


def test_an_empty_or_malformed_change_sends_nothing():
    assert message_for_change(StatusChange(fields_changed=[])).rule is None
    assert message_for_change(StatusChange(fields_changed=["garbage", {"field": "x"}])).rule is None
