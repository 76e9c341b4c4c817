"""The issue's acceptance scenario, over real HTTP end to end.

Orders are placed through the checkout against the sandbox, approved and paid there (as Dr
Green's admin and the payment processor would), and found by the mirror's list sweep. An
independent receiver, verifying every request with the Standard Webhooks reference library,
is down for the first deliveries and then answers 500 at random: in the end it has seen
every status change exactly once (one webhook-id per change), correctly signed.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from integration.models import Order, OrderPlacement, PlacementState, StatusChange, WebhookEvent
from integration.services import webhooks
from integration.services.checkout import order_place
from integration.services.drgreen_api import drgreen_client
from integration.services.mirror import orders_upsert_from_list

from ..checkout.sandbox_fixtures import eager_tasks, holder, seeded  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _sweep() -> None:
    """One full status check of the holder's orders (the list is the only page with all
    three statuses), as the beat sweep does."""
    page = drgreen_client().list_orders(take=100)
    orders_upsert_from_list(items=page.items)


def _drain(clock, rounds: int = 40):
    """Send every due event, round after round, on an injected clock two seconds apart."""
    for _ in range(rounds):
        pending = list(WebhookEvent.objects.filter(state="pending").values_list("pk", flat=True))
        if not pending:
            return clock
        clock += timedelta(seconds=2)
        for pk in pending:
            webhooks.event_deliver(event_id=pk, now=clock)
    raise AssertionError("events still pending after the drain")


def test_every_status_change_reaches_the_receiver_once_through_an_outage_and_random_500s(
    seeded,  # noqa: F811
    eager_tasks,  # noqa: F811
    receiver,
    allow_private,
    settings,
):
    settings.DRGREEN_WEBHOOK_RETRY_SCHEDULE = ",".join(["1"] * 30)
    created = webhooks.endpoint_create(url=receiver.url(), description="independent receiver")
    rng = random.Random(16)
    receiver.decide = lambda got: 500 if rng.random() < 0.35 else 200
    receiver.stop()  # the outage: the first sends (queued on commit, run eagerly) are refused

    clients = [seeded.mirror_client(cid) for cid in seeded.verified_client_ids()[:3]]
    placements = [
        order_place(
            client=c,
            idempotency_key=f"wh-{i}",
            lines=[{"strain_id": seeded.strain_ids[0], "quantity": 1}],
            execute="inline",
        )[0]
        for i, c in enumerate(clients)
    ]
    assert all(p.state == PlacementState.PLACED for p in placements)
    assert WebhookEvent.objects.filter(type="order.created").count() == 3
    assert WebhookEvent.objects.filter(attempts__gt=0, last_status__isnull=True).exists()  # refused

    for p in placements:
        seeded.sandbox.approve_order(str(p.order_drgreen_id))
    _sweep()
    for p in placements:
        seeded.sandbox.pay_order(str(p.order_drgreen_id))
    _sweep()
    _sweep()  # nothing new: no new event either

    receiver.start()
    _drain(timezone.now())

    changes = StatusChange.objects.select_related("order")
    expected = {(str(c.order.drgreen_id), c.sequence) for c in changes}
    assert len(expected) == 6  # approved, then paid, for each of the 3 orders

    seen: dict[tuple, set[str]] = defaultdict(set)
    types: dict[str, set[str]] = defaultdict(set)
    for got in receiver.received:
        payload = got.verify(created.secret)  # raises unless correctly signed
        assert payload == json.loads(got.body)
        types[payload["type"]].add(got.msg_id)
        if payload["type"] == "order.status_changed":
            seen[(payload["data"]["orderId"], payload["data"]["sequence"])].add(got.msg_id)
    assert set(seen) == expected
    assert all(len(ids) == 1 for ids in seen.values())  # one webhook-id per change
    assert len(receiver.received) > len({r.msg_id for r in receiver.received})  # 500s were retried
    assert {k: len(v) for k, v in types.items()} == {
        "order.created": 3,
        "placement.placed": 3,
        "order.status_changed": 6,
    }

    # What the receiver saw of one order, in the vendor's words, with our ids.
    placement = OrderPlacement.objects.get(pk=placements[0].pk)
    order = Order.objects.get(pk=placement.order_id)
    bodies = [got.verify(created.secret) for got in receiver.received]
    last = max(
        (
            b
            for b in bodies
            if b["type"] == "order.status_changed" and b["data"]["orderId"] == str(order.drgreen_id)
        ),
        key=lambda b: b["data"]["sequence"],
    )
    assert last["data"]["paymentStatus"] == "PAID" and last["data"]["adminApproval"] == "VERIFIED"
    assert last["data"]["correlationId"] == str(placement.correlation_id)
    assert last["data"]["customerId"] == clients[0].user_id
    assert last["data"]["displayStatus"] == "paid"
    placed = next(
        b for b in bodies if b["type"] == "placement.placed" and b["data"]["orderId"] == str(order.drgreen_id)
    )
    assert placed["data"]["correlationId"] == str(placement.correlation_id)
    created_body = next(
        b for b in bodies if b["type"] == "order.created" and b["data"]["orderId"] == str(order.drgreen_id)
    )
    assert created_body["data"]["correlationId"] == str(placement.correlation_id)
    assert created_body["data"]["origin"] == "checkout"
