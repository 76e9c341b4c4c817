"""Ambiguous outcomes over real HTTP: every fault ends with exactly one remote order (or
none, with a reason), never two, and never a doubled cart."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integration.models import Order, OrderPlacement, PlacementState, Strain
from integration.services.checkout import order_place, placements_sweep
from integration.services.checkout.driver import RUN_EXECUTIONS
from integration.services.checkout.locks import attempt_mark_posted, claim_for_place
from integration.services.checkout.validation import strains_refresh
from integration.services.drgreen_api import drgreen_client

from .helpers import attempt_kinds, checkout_settings, placement_lines, remote_lines
from .sandbox_fixtures import CARTS_PATH, ORDERS_PATH

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client_id(seeded):
    return seeded.verified_client_ids()[0]


@pytest.fixture
def client(seeded, client_id):
    return seeded.mirror_client(client_id)


def test_connection_dropped_after_the_order_committed_adopts_that_order(seeded, client_id, client):
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="drop_after_commit", count=1)
    placement, _ = order_place(
        client=client, idempotency_key="drop", lines=placement_lines(seeded, 2, 1), execute="inline"
    )
    assert placement.state == PlacementState.PLACED
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 2, seeded.strain_ids[1]: 1}]
    assert str(placement.order_drgreen_id) == seeded.remote_orders(client_id)[0]["id"]
    assert attempt_kinds(placement) == [("place", "unknown"), ("recover", "adopt")]
    first = placement.attempts.order_by("number").first()
    assert first.maybe_delivered is True and first.http_status is None
    assert Order.objects.get(pk=placement.order_id).drgreen_id == placement.order_drgreen_id


def test_a_5xx_that_never_reached_the_handler_is_placed_again_once(seeded, client_id, client):
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="status", status=502, count=1)
    placement, _ = order_place(
        client=client, idempotency_key="502", lines=placement_lines(seeded, 3), execute="inline"
    )
    assert placement.state == PlacementState.PLACED
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 3}]
    assert attempt_kinds(placement) == [("place", "unknown"), ("recover", "retry_safe"), ("place", "placed")]
    evidence = placement.attempts.get(kind="recover").evidence
    assert evidence["cart"] == {seeded.strain_ids[0]: "3"} and evidence["candidates"] == []


def test_no_second_post_before_the_first_one_had_time_to_finish(seeded, client_id, client, settings):
    checkout_settings(settings, settle_s=3600)
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="status", status=504, count=1)
    placement, _ = order_place(
        client=client, idempotency_key="504", lines=placement_lines(seeded, 1), execute="inline"
    )
    assert placement.state == PlacementState.UNKNOWN
    assert placement.next_recovery_at > timezone.now() + timedelta(minutes=50)
    # A sweep before the settle time does nothing at all.
    placements_sweep(now=timezone.now() + timedelta(minutes=5))
    placement.refresh_from_db()
    assert placement.state == PlacementState.UNKNOWN and seeded.remote_orders(client_id) == []
    checkout_settings(settings, settle_s=0)
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())
    assert placements_sweep() == {PlacementState.PLACED: 1}
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 1}]


def test_an_ambiguous_cart_add_that_landed_is_not_added_twice(seeded, client_id, client):
    seeded.sandbox.add_fault(method="POST", path=CARTS_PATH, kind="drop_after_commit", count=1)
    placement, _ = order_place(
        client=client, idempotency_key="cart", lines=placement_lines(seeded, "2.5"), execute="inline"
    )
    assert placement.state == PlacementState.PLACED
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: Decimal("2.5")}]
    assert attempt_kinds(placement) == [("place", "placed")]


def test_an_ambiguous_cart_add_that_did_not_land_is_redone_from_an_empty_cart(seeded, client_id, client):
    seeded.sandbox.add_fault(method="POST", path=CARTS_PATH, kind="status", status=503, count=1)
    placement, _ = order_place(
        client=client, idempotency_key="c503", lines=placement_lines(seeded, 1, 1), execute="inline"
    )
    # Nothing was ordered, so the request itself starts over (within its time budget).
    assert placement.state == PlacementState.PLACED
    assert attempt_kinds(placement) == [("place", "retry_safe"), ("place", "placed")]
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 1, seeded.strain_ids[1]: 1}]


def test_a_retry_safe_placement_beyond_the_time_budget_is_left_to_the_sweep(
    seeded, client_id, client, settings
):
    checkout_settings(settings, inline_wait_s=0)
    seeded.sandbox.add_fault(method="POST", path=CARTS_PATH, kind="status", status=503, count=1)
    placement, _ = order_place(
        client=client, idempotency_key="later", lines=placement_lines(seeded, 1), execute="inline"
    )
    assert placement.state == PlacementState.RETRY_SAFE
    assert seeded.remote_orders(client_id) == []
    assert placements_sweep() == {PlacementState.PLACED: 1}
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 1}]


def test_a_429_on_the_order_is_retried_after_retry_after(seeded, client_id, client):
    seeded.sandbox.add_fault(
        method="POST", path=ORDERS_PATH, kind="status", status=429, retry_after=30, count=1
    )
    placement, _ = order_place(
        client=client, idempotency_key="429", lines=placement_lines(seeded, 1), execute="inline"
    )
    assert placement.state == PlacementState.RETRY_SAFE
    assert placement.next_recovery_at >= timezone.now() + timedelta(seconds=25)
    assert placements_sweep() == {}  # not due yet
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())  # 30 s later
    assert placements_sweep() == {PlacementState.PLACED: 1}
    assert len(seeded.remote_orders(client_id)) == 1


def test_dr_green_refusing_the_cart_rejects_with_a_stable_code(seeded, client_id, client):
    order_place(client=client, idempotency_key="warm", lines=placement_lines(seeded, 1), execute="inline")
    # The mirror is fresh (so not re-read); the stock ran out at Dr Green meanwhile.
    seeded.sandbox.set_stock(seeded.strain_ids[1], countryCode="GBR", stockQuantity=1)
    placement, _ = order_place(
        client=client, idempotency_key="late", lines=placement_lines(seeded, 0, 5)[1:], execute="inline"
    )
    assert placement.state == PlacementState.REJECTED
    assert placement.rejection_code == "insufficient_stock"
    assert len(seeded.remote_orders(client_id)) == 1


def test_a_cart_holding_other_lines_goes_to_staff_with_the_evidence(seeded, client_id, client, settings):
    checkout_settings(settings, settle_s=3600)
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="status", status=502, count=1)
    placement, _ = order_place(
        client=client, idempotency_key="mix", lines=placement_lines(seeded, 1), execute="inline"
    )
    assert placement.state == PlacementState.UNKNOWN
    drgreen_client().add_to_cart(str(client.cart_id), [(seeded.strain_ids[2], 7)])  # someone else's add
    checkout_settings(settings, settle_s=0)
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())
    assert placements_sweep() == {PlacementState.NEEDS_STAFF: 1}
    placement.refresh_from_db()
    assert placement.rejection_code == "cart_mismatch"
    evidence = placement.attempts.filter(kind="recover").last().evidence
    assert evidence["cart"] == {seeded.strain_ids[0]: "1", seeded.strain_ids[2]: "7"}
    assert seeded.remote_orders(client_id) == []


def test_an_emptied_cart_without_a_matching_order_goes_to_staff_after_a_few_looks(
    seeded, client_id, client, settings
):
    checkout_settings(settings, settle_s=3600, recovery_max_rounds=3)
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="status", status=502, count=1)
    placement, _ = order_place(
        client=client, idempotency_key="gone", lines=placement_lines(seeded, 1), execute="inline"
    )
    assert placement.state == PlacementState.UNKNOWN  # round 1: cart full, waiting for the settle time
    drgreen_client().empty_cart(str(client.cart_id))
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())
    assert placements_sweep() == {PlacementState.UNKNOWN: 1}
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())
    assert placements_sweep() == {PlacementState.NEEDS_STAFF: 1}
    placement.refresh_from_db()
    assert placement.rejection_code == "order_not_found"
    assert seeded.remote_orders(client_id) == []  # and never a blind re-POST


def test_a_worker_that_died_after_posting_is_recovered_by_the_sweep(seeded, client_id, client):
    placement, _ = order_place(
        client=client, idempotency_key="dead", lines=placement_lines(seeded, 2), execute="defer"
    )
    # What the dead worker did: it claimed the placement and made the calls, then vanished
    # before it could record anything.
    claim = claim_for_place(placement.pk)
    assert claim.action == "place"
    api = drgreen_client()
    api.empty_cart(str(client.cart_id))
    api.add_to_cart(str(client.cart_id), [(seeded.strain_ids[0], 2)])
    assert attempt_mark_posted(placement_id=placement.pk, number=claim.number)
    api.create_order(client_id)
    assert placements_sweep() == {}  # its lease still runs
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())
    assert placements_sweep() == {PlacementState.PLACED: 1}
    placement.refresh_from_db()
    assert attempt_kinds(placement) == [("place", "abandoned"), ("recover", "adopt")]
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 2}]


def test_a_worker_that_died_before_posting_is_placed_once(seeded, client_id, client):
    placement, _ = order_place(
        client=client, idempotency_key="dead2", lines=placement_lines(seeded, 2), execute="defer"
    )
    assert claim_for_place(placement.pk).action == "place"
    drgreen_client().add_to_cart(str(client.cart_id), [(seeded.strain_ids[0], 2)])
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())
    assert placements_sweep() == {PlacementState.PLACED: 1}
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 2}]


def test_recovery_never_adopts_an_order_another_placement_owns(seeded, client_id, client):
    first, _ = order_place(
        client=client, idempotency_key="one", lines=placement_lines(seeded, 1), execute="inline"
    )
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="drop_after_commit", count=1)
    second, _ = order_place(
        client=client, idempotency_key="two", lines=placement_lines(seeded, 1), execute="inline"
    )
    assert first.state == second.state == PlacementState.PLACED
    assert first.order_drgreen_id != second.order_drgreen_id
    assert {o["id"] for o in seeded.remote_orders(client_id)} == {
        str(first.order_drgreen_id),
        str(second.order_drgreen_id),
    }
    evidence = second.attempts.get(kind="recover").evidence
    assert evidence["adopted_elsewhere"] == [str(first.order_drgreen_id)]


def _outside_order(client, lines):
    """An order for the same client placed around us (Dr Green's own UI, say)."""
    api = drgreen_client()
    api.empty_cart(str(client.cart_id))
    api.add_to_cart(str(client.cart_id), lines)
    return api.create_order(str(client.drgreen_id))["id"]


def _same_total_other_strain(seeded):
    """(strain, quantity) pairs for two different strains whose USD totals agree within a cent."""
    strains_refresh(country_code="GBR")
    prices = dict(
        Strain.objects.filter(drgreen_id__in=seeded.strain_ids).values_list("drgreen_id", "retail_price")
    )
    s0, s1 = seeded.strain_ids[0], seeded.strain_ids[1]
    p0, p1 = prices[uuid.UUID(s0)], prices[uuid.UUID(s1)]
    q1 = (Decimal(2) * p0 / p1).quantize(Decimal("0.001"))
    assert abs(q1 * p1 - 2 * p0) <= Decimal("0.01") and p0 != p1
    return (s0, 2), (s1, q1)


def test_two_orders_with_our_total_are_told_apart_by_their_lines(seeded, client_id, client):
    (s0, q0), (s1, q1) = _same_total_other_strain(seeded)
    outside = _outside_order(client, [(s0, q0)])
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="drop_after_commit", count=1)
    placement, _ = order_place(
        client=client,
        idempotency_key="twin",
        lines=[{"strain_id": s1, "quantity": str(q1)}],
        execute="inline",
    )
    assert placement.state == PlacementState.PLACED
    remote = {o["id"] for o in seeded.remote_orders(client_id)}
    assert len(remote) == 2 and outside in remote
    assert str(placement.order_drgreen_id) in remote - {outside}
    evidence = placement.attempts.get(kind="recover").evidence
    assert sorted(evidence["candidate_lines"]) == sorted(remote)
    assert evidence["candidates"] == [str(placement.order_drgreen_id)]


def test_two_orders_with_our_total_and_our_lines_go_to_staff(seeded, client_id, client):
    outside = _outside_order(client, [(seeded.strain_ids[0], 2)])
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="drop_after_commit", count=1)
    placement, _ = order_place(
        client=client, idempotency_key="twins", lines=placement_lines(seeded, 2), execute="inline"
    )
    assert placement.state == PlacementState.NEEDS_STAFF
    assert placement.rejection_code == "ambiguous_orders"
    evidence = placement.attempts.get(kind="recover").evidence
    assert outside in evidence["candidates"] and len(evidence["candidates"]) == 2
    assert len(seeded.remote_orders(client_id)) == 2  # both exist; a human picks


def test_a_cart_still_holding_our_lines_proves_an_order_with_our_total_is_not_ours(seeded, client_id, client):
    # An order of the same client with the same total, a minute before the checkout (inside
    # the clock-skew window): the bench's earlier phases, or Dr Green's own UI.
    outside = _outside_order(client, [(seeded.strain_ids[0], 2)])
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="status", status=502, count=1)
    placement, _ = order_place(
        client=client, idempotency_key="not-ours", lines=placement_lines(seeded, 2), execute="inline"
    )

    # The 502 never reached the handler: the cart still held our lines, so nothing of ours
    # had landed, and the outside order was not adopted; the placement was placed again.
    assert placement.state == PlacementState.PLACED
    assert str(placement.order_drgreen_id) != outside
    assert len(seeded.remote_orders(client_id)) == 2
    assert attempt_kinds(placement) == [("place", "unknown"), ("recover", "retry_safe"), ("place", "placed")]
    evidence = placement.attempts.get(kind="recover").evidence
    assert evidence["candidates"] == [] and evidence["not_ours"] == [outside]


def test_a_burst_of_gateway_errors_does_not_use_up_the_budget_while_the_customer_waits(
    seeded, client_id, client, settings
):
    # The chaos flake: with no back-off, one request ran the calls again and again through a
    # burst of gateway errors until ``max_executions`` rejected a placement nothing was wrong
    # with. One driver call runs them at most RUN_EXECUTIONS times; the rest is the sweep's.
    checkout_settings(settings, max_executions=4)
    seeded.sandbox.add_fault(method="POST", path=CARTS_PATH, kind="status", status=503, count=8)
    placement, _ = order_place(
        client=client, idempotency_key="burst", lines=placement_lines(seeded, 1), execute="inline"
    )
    assert placement.state == PlacementState.RETRY_SAFE
    assert attempt_kinds(placement) == [("place", "retry_safe")] * RUN_EXECUTIONS
    seeded.sandbox.clear_faults()
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())  # backed off
    placements_sweep()
    placement.refresh_from_db()
    assert placement.state == PlacementState.PLACED
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 1}]
