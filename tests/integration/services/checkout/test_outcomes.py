"""Recording an attempt's success: the order mirrored and the outcome written in one
transaction, and the raced, late and doubly claimed cases with nothing lost or doubled.
Real HTTP: each test makes a real order in the sandbox, then records it."""

from __future__ import annotations

from functools import partial

import pytest
from django.db import connection

from integration.models import ApiCall, Order, OrderPlacement, PlacementState
from integration.services.checkout import order_place
from integration.services.checkout.calls import PLACED, placement_calls
from integration.services.checkout.locks import attempt_mark_posted, claim_for_place, placement_record
from integration.services.drgreen_api import ledger_deferred
from integration.services.mirror import order_upsert_from_create

pytestmark = pytest.mark.django_db(transaction=True)


def _claimed(seeded, key: str, *, client_index: int = 0):
    client = seeded.mirror_client(seeded.verified_client_ids()[client_index])
    lines = [{"strain_id": seeded.strain_ids[0], "quantity": "2"}]
    placement, _ = order_place(client=client, idempotency_key=key, lines=lines, execute="defer")
    claim = claim_for_place(placement.pk)
    assert claim.action == "place"
    return claim


def _calls_of(claim):
    """The attempt's Dr Green calls, its POST marker committed before the POST."""
    marker = partial(attempt_mark_posted, placement_id=claim.placement.pk, number=claim.number)
    return placement_calls(
        placement=claim.placement, client=claim.placement.client, mode="cart", before_post=marker
    )


def _record(claim):
    """The attempt's calls and its outcome, as ``placement_execute`` runs them."""
    with ledger_deferred():
        outcome = _calls_of(claim)
        assert outcome.kind == PLACED, outcome
        placement = placement_record(placement_id=claim.placement.pk, number=claim.number, outcome=outcome)
    return outcome, placement


_ATTEMPT_CALLS = [("DELETE", "/dapp/carts/{cartId}"), ("POST", "/dapp/carts"), ("POST", "/dapp/orders")]


def _calls(placement) -> list[tuple[str, str]]:
    """The attempt's ledger rows (the sale refresh after commit shares the correlation id)."""
    rows = ApiCall.objects.filter(correlation_id=str(placement.correlation_id)).exclude(route="/dapp/sales")
    return sorted(rows.values_list("method", "route"))


def test_a_success_is_recorded_in_one_go(seeded):
    claim = _claimed(seeded, "one-go")
    outcome, placement = _record(claim)

    held = OrderPlacement.objects.get(pk=placement.pk)
    assert held.state == placement.state == PlacementState.PLACED
    assert held.order_id == placement.order_id and str(held.order_drgreen_id) == outcome.order["id"]
    assert held.placed_at == placement.placed_at and held.next_recovery_at is None
    assert Order.objects.get(pk=held.order_id).origin == "checkout"
    attempt = held.attempts.get()
    assert attempt.outcome == "placed:create_order" and attempt.http_status == 201 and attempt.finished_at
    assert _calls(held) == _ATTEMPT_CALLS  # one ledger row each, written with the outcome


def test_the_order_and_the_outcome_are_written_in_one_transaction(seeded):
    claim = _claimed(seeded, "one-transaction")
    transactions = {}  # table → the transaction of its first write (the sale link comes after)

    def note(execute, sql, params, many, context):
        for table in ("integration_order", "integration_orderplacement", "integration_apicall"):
            if sql.startswith((f'INSERT INTO "{table}"', f'UPDATE "{table}"')):
                outer = id(connection.atomic_blocks[0]) if connection.in_atomic_block else None
                transactions.setdefault(table, outer)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        _record(claim)
    assert set(transactions) == {"integration_order", "integration_orderplacement", "integration_apicall"}
    assert None not in transactions.values() and len(set(transactions.values())) == 1


def test_an_order_a_sweep_mirrored_first_is_linked_not_doubled(seeded):
    claim = _claimed(seeded, "swept")
    with ledger_deferred():
        outcome = _calls_of(claim)
        # The /recent heartbeat adopted the new order between the POST and the outcome.
        order_upsert_from_create(payload=outcome.order, client_drgreen_id=claim.placement.client.drgreen_id)
        placement = placement_record(placement_id=claim.placement.pk, number=claim.number, outcome=outcome)

    assert placement.state == PlacementState.PLACED
    assert Order.objects.filter(drgreen_id=outcome.order["id"]).count() == 1
    assert (
        OrderPlacement.objects.get(pk=placement.pk).order_id
        == Order.objects.get(drgreen_id=outcome.order["id"]).pk
    )
    assert _calls(placement) == _ATTEMPT_CALLS  # the rolled-back shortcut lost and doubled none


def test_a_late_success_after_losing_the_lease_is_still_kept(seeded):
    claim = _claimed(seeded, "late")
    # Recovery took over while the POST was running (the lease ran out).
    OrderPlacement.objects.filter(pk=claim.placement.pk).update(state=PlacementState.UNKNOWN, attempt_count=2)
    outcome, placement = _record(claim)

    held = OrderPlacement.objects.get(pk=placement.pk)
    assert held.state == PlacementState.PLACED and str(held.order_drgreen_id) == outcome.order["id"]
    assert held.attempt_count == 2  # the other attempt's number stands
    assert held.attempts.get(number=1).outcome == "placed:create_order"
    assert _calls(held) == _ATTEMPT_CALLS


def test_an_order_claimed_by_another_placement_goes_to_staff(seeded):
    claim = _claimed(seeded, "mine")
    with ledger_deferred():
        outcome = _calls_of(claim)
        other, _ = order_place(
            client=claim.placement.client,
            idempotency_key="theirs",
            lines=[{"strain_id": seeded.strain_ids[1], "quantity": "1"}],
            execute="defer",
        )
        OrderPlacement.objects.filter(pk=other.pk).update(order_drgreen_id=outcome.order["id"])
        placement = placement_record(placement_id=claim.placement.pk, number=claim.number, outcome=outcome)

    held = OrderPlacement.objects.get(pk=placement.pk)
    assert held.state == PlacementState.NEEDS_STAFF and held.rejection_code == "order_claimed_twice"
    assert Order.objects.filter(drgreen_id=outcome.order["id"]).count() == 1  # mirrored all the same
    assert _calls(held) == _ATTEMPT_CALLS
