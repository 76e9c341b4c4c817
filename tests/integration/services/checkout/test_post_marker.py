"""The POST marker: a worker that stops between its claim and its order POST (killed,
timed out) leaves an attempt without ``posted_at``; recovery takes it as "nothing sent"
at once, whatever the cart holds, and the placement ends with exactly one order. One
that stops after the marker is recovered from Dr Green's records as before. Real HTTP."""

from __future__ import annotations

import pytest
from django.utils import timezone

from integration.models import OrderPlacement, PlacementAttempt, PlacementState
from integration.services.checkout import driver as checkout_driver
from integration.services.checkout import order_place, placements_sweep
from integration.services.checkout.locks import attempt_mark_posted, claim_for_place
from integration.services.drgreen_api import drgreen_client

from .helpers import attempt_kinds, checkout_settings, placement_lines, remote_lines
from .sandbox_fixtures import ORDERS_PATH

pytestmark = pytest.mark.django_db(transaction=True)


def _lease_expired(placement):
    OrderPlacement.objects.filter(pk=placement.pk).update(next_recovery_at=timezone.now())


@pytest.fixture
def client_id(seeded):
    return seeded.verified_client_ids()[0]


@pytest.fixture
def client(seeded, client_id):
    return seeded.mirror_client(client_id)


@pytest.mark.parametrize("cart", ["never filled", "emptied", "other lines"])
def test_a_worker_killed_before_its_post_is_placed_again_at_once(seeded, client_id, client, settings, cart):
    # The chaos stall: "cart empty, no order" after a kill before the POST was read as
    # "landed but not visible yet" and looked at again for 20 minutes. Without the marker
    # nothing was sent; no settle time is waited for either (it is an hour here).
    checkout_settings(settings, settle_s=3600)
    placement, _ = order_place(
        client=client, idempotency_key="k", lines=placement_lines(seeded, 2), execute="defer"
    )
    claim = claim_for_place(placement.pk)
    assert claim.action == "place"
    api = drgreen_client()
    if cart == "emptied":
        api.empty_cart(str(client.cart_id))
    elif cart == "other lines":  # killed halfway through someone's add, say
        api.add_to_cart(str(client.cart_id), [(seeded.strain_ids[1], 3)])
    # ... and the worker is gone. Its lease runs out; the sweep takes over.
    assert placements_sweep() == {}
    _lease_expired(placement)
    assert placements_sweep() == {PlacementState.PLACED: 1}
    placement.refresh_from_db()
    assert attempt_kinds(placement) == [
        ("place", "abandoned"),
        ("recover", "retry_safe"),
        ("place", "placed"),
    ]
    recover = placement.attempts.get(kind="recover")
    assert recover.evidence["posted"] is False
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 2}]  # once, with exactly our lines


def test_docs_body_mode_without_the_marker_is_placed_again_at_once(seeded, client_id, client, settings):
    seeded.sandbox.set_config(orderBodyMode="docs")
    settings.DRGREEN = {**settings.DRGREEN, "ORDER_BODY_MODE": "docs"}
    checkout_settings(settings, settle_s=3600)
    placement, _ = order_place(
        client=client, idempotency_key="d", lines=placement_lines(seeded, 1), execute="defer"
    )
    assert claim_for_place(placement.pk).action == "place"
    _lease_expired(placement)
    assert placements_sweep() == {PlacementState.PLACED: 1}
    placement.refresh_from_db()
    assert attempt_kinds(placement) == [
        ("place", "abandoned"),
        ("recover", "retry_safe"),
        ("place", "placed"),
    ]
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 1}]


def test_a_worker_killed_after_the_marker_with_its_order_landed_is_adopted(seeded, client_id, client):
    placement, _ = order_place(
        client=client, idempotency_key="a", lines=placement_lines(seeded, 2), execute="defer"
    )
    claim = claim_for_place(placement.pk)
    api = drgreen_client()
    api.empty_cart(str(client.cart_id))
    api.add_to_cart(str(client.cart_id), [(seeded.strain_ids[0], 2)])
    assert attempt_mark_posted(placement_id=placement.pk, number=claim.number)
    api.create_order(client_id)  # landed; then the worker was killed
    _lease_expired(placement)
    assert placements_sweep() == {PlacementState.PLACED: 1}
    placement.refresh_from_db()
    assert attempt_kinds(placement) == [("place", "abandoned"), ("recover", "adopt")]
    assert str(placement.order_drgreen_id) == seeded.remote_orders(client_id)[0]["id"]
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 2}]  # never a second order


def test_a_worker_killed_after_the_marker_with_an_empty_cart_is_not_placed_again(
    seeded, client_id, client, settings
):
    # After the marker the POST may have been sent: the decision table holds (an empty cart
    # and no order is "not visible yet", never a blind second POST).
    checkout_settings(settings, recovery_max_rounds=2)
    placement, _ = order_place(
        client=client, idempotency_key="e", lines=placement_lines(seeded, 2), execute="defer"
    )
    claim = claim_for_place(placement.pk)
    drgreen_client().empty_cart(str(client.cart_id))
    assert attempt_mark_posted(placement_id=placement.pk, number=claim.number)
    _lease_expired(placement)
    assert placements_sweep() == {PlacementState.UNKNOWN: 1}
    assert seeded.remote_orders(client_id) == []


def test_only_the_latest_attempt_counts(seeded, client_id, client, settings):
    # Attempt 1 sent its POST (a 502 that never reached the handler), recovery proved
    # nothing landed; attempt 2 was claimed, then its worker died before the POST.
    checkout_settings(settings, settle_s=3600)
    seeded.sandbox.add_fault(method="POST", path=ORDERS_PATH, kind="status", status=502, count=1)
    placement, _ = order_place(
        client=client, idempotency_key="m", lines=placement_lines(seeded, 1), execute="defer"
    )
    assert checkout_driver.placement_execute(placement_id=placement.pk).state == PlacementState.UNKNOWN
    checkout_settings(settings, settle_s=0)
    _lease_expired(placement)
    assert checkout_driver._recover(placement.pk).state == PlacementState.RETRY_SAFE
    assert claim_for_place(placement.pk).action == "place"
    drgreen_client().empty_cart(str(client.cart_id))
    _lease_expired(placement)
    assert placements_sweep() == {PlacementState.PLACED: 1}
    placement.refresh_from_db()
    assert attempt_kinds(placement) == [
        ("place", "unknown"),
        ("recover", "unknown"),
        ("recover", "retry_safe"),
        ("place", "abandoned"),
        ("recover", "retry_safe"),
        ("place", "placed"),
    ]
    posted = dict(placement.attempts.filter(kind="place").values_list("number", "posted_at"))
    assert posted[1] is not None and posted[4] is None and posted[6] is not None
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 1}]


def test_a_late_worker_cannot_post_once_recovery_took_its_attempt_over(seeded, client_id, client):
    placement, _ = order_place(
        client=client, idempotency_key="l", lines=placement_lines(seeded, 1), execute="defer"
    )
    stale = claim_for_place(placement.pk)
    _lease_expired(placement)
    assert placements_sweep() == {PlacementState.PLACED: 1}
    # The first worker was only slow: it reaches its POST now, and may not send it.
    assert attempt_mark_posted(placement_id=placement.pk, number=stale.number) is False
    assert PlacementAttempt.objects.get(placement=placement, number=stale.number).posted_at is None
    assert len(seeded.remote_orders(client_id)) == 1


def test_a_marker_that_cannot_be_committed_sends_no_post(seeded, client_id, client, monkeypatch):
    # The database refused the marker's UPDATE once (attempt_mark_posted answers False).
    real, calls = checkout_driver.attempt_mark_posted, []

    def marker(**kw):
        calls.append(kw)
        return len(calls) > 1 and real(**kw)

    monkeypatch.setattr(checkout_driver, "attempt_mark_posted", marker)
    placement, _ = order_place(
        client=client, idempotency_key="f", lines=placement_lines(seeded, 3), execute="inline"
    )
    assert placement.state == PlacementState.PLACED
    assert attempt_kinds(placement) == [("place", "retry_safe"), ("place", "placed")]
    first = placement.attempts.get(number=1)
    assert first.posted_at is None and first.outcome == "retry_safe:post_marker"
    assert remote_lines(seeded, client_id) == [{seeded.strain_ids[0]: 3}]
