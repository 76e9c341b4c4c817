"""Placement against the sandbox: the happy path, idempotency keys, concurrency, docs mode."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, transaction

from integration.models import ApiCall, Order, OrderPlacement, PlacementState, Sale
from integration.selectors.placements import placement_get
from integration.services.checkout import order_place, placement_execute
from integration.services.errors import ServiceError

from .helpers import placement_lines

pytestmark = pytest.mark.django_db(transaction=True)


def _remote_lines(order):
    return {line["strainId"]: Decimal(str(line["quantity"])) for line in order["lines"]}


def test_inline_placement_creates_one_order_with_exactly_our_lines(seeded):
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)

    placement, _ = order_place(
        client=client, idempotency_key="k-1", lines=placement_lines(seeded, 2, "1.5"), execute="inline"
    )

    assert placement.state == PlacementState.PLACED
    remote = seeded.remote_orders(cid)
    assert len(remote) == 1
    assert _remote_lines(remote[0]) == {
        seeded.strain_ids[0]: Decimal(2),
        seeded.strain_ids[1]: Decimal("1.5"),
    }
    assert str(placement.order_drgreen_id) == remote[0]["id"]
    assert abs(Decimal(str(remote[0]["totalAmount"])) - placement.expected_total) <= Decimal("0.01")
    order = Order.objects.get(pk=placement.order_id)
    assert order.origin == "checkout" and order.client_id == client.pk
    # Dr Green moved the client's LEADS sale to ONGOING for this order; the mirror follows.
    sale = Sale.objects.get(order_drgreen_id=order.drgreen_id)
    assert sale.order_id == order.pk and sale.stage == "ONGOING"
    # The cart was consumed by the order: nothing left to double on a later checkout.
    assert seeded.sandbox.cart(cid)["items"] == []
    attempt = placement.attempts.get()
    assert attempt.kind == "place" and attempt.outcome.startswith("placed")


def test_same_key_same_body_returns_the_same_placement_and_never_posts_again(seeded):
    client = seeded.mirror_client(seeded.verified_client_ids()[0])
    first, _ = order_place(
        client=client, idempotency_key="dup", lines=placement_lines(seeded, 1), execute="inline"
    )
    posts = seeded.sandbox.stats()["requests"]
    again, _ = order_place(
        client=client,
        idempotency_key="dup",
        # Same body in another spelling: strainId key, quantity as a string, split in two.
        lines=[{"strainId": seeded.strain_ids[0], "quantity": "0.5"}, (seeded.strain_ids[0], 0.5)],
        execute="inline",
    )
    assert again.pk == first.pk
    assert len(seeded.remote_orders(str(client.drgreen_id))) == 1
    assert seeded.sandbox.stats()["requests"] == posts  # not even a validation GET


def test_same_key_other_body_is_a_conflict(seeded):
    client = seeded.mirror_client(seeded.verified_client_ids()[0])
    order_place(client=client, idempotency_key="k", lines=placement_lines(seeded, 1), execute="inline")
    with pytest.raises(ServiceError) as err:
        order_place(client=client, idempotency_key="k", lines=placement_lines(seeded, 2), execute="inline")
    assert err.value.code == "idempotency_key_reused" and err.value.status == 409
    assert OrderPlacement.objects.count() == 1


def test_the_key_is_per_client(seeded):
    a, b = (seeded.mirror_client(cid) for cid in seeded.verified_client_ids()[:2])
    pa, _ = order_place(client=a, idempotency_key="same", lines=placement_lines(seeded, 1), execute="inline")
    pb, _ = order_place(client=b, idempotency_key="same", lines=placement_lines(seeded, 3), execute="inline")
    assert pa.pk != pb.pk and pa.state == pb.state == PlacementState.PLACED


def test_concurrent_submits_of_one_key_make_one_placement_and_one_order(concurrent_db, seeded):
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    results, errors = [], []
    barrier = threading.Barrier(6)

    def submit():
        try:
            barrier.wait()
            results.append(
                order_place(
                    client=client, idempotency_key="click", lines=placement_lines(seeded, 3), execute="inline"
                )[0].pk
            )
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    placement = OrderPlacement.objects.get()
    assert placement.state == PlacementState.PLACED
    remote = seeded.remote_orders(cid)
    assert len(remote) == 1 and _remote_lines(remote[0]) == {seeded.strain_ids[0]: Decimal(3)}


def test_two_checkouts_of_one_client_take_turns_with_its_single_cart(concurrent_db, seeded):
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    seeded.sandbox.add_fault(method="POST", path="/api/v1/dapp/carts", kind="latency", ms=150)
    wanted = {"a": placement_lines(seeded, 1, 2), "b": placement_lines(seeded, 0, 0, 5)[2:]}
    errors = []

    def submit(key):
        try:
            order_place(client=client, idempotency_key=key, lines=wanted[key], execute="inline")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(k,)) for k in wanted]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    placements = {p.idempotency_key: p for p in OrderPlacement.objects.all()}
    assert {p.state for p in placements.values()} == {PlacementState.PLACED}
    remote = {o["id"]: _remote_lines(o) for o in seeded.remote_orders(cid)}
    assert len(remote) == 2
    for key, lines in wanted.items():
        expected = {ln["strain_id"]: Decimal(str(ln["quantity"])) for ln in lines}
        assert remote[str(placements[key].order_drgreen_id)] == expected


def test_docs_body_mode_posts_the_lines_and_leaves_the_cart_alone(seeded, settings):
    seeded.sandbox.set_config(orderBodyMode="docs")
    settings.DRGREEN = {**settings.DRGREEN, "ORDER_BODY_MODE": "docs"}
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    placement, _ = order_place(
        client=client, idempotency_key="docs", lines=placement_lines(seeded, 4), execute="inline"
    )
    assert placement.state == PlacementState.PLACED
    (remote,) = seeded.remote_orders(cid)
    assert _remote_lines(remote) == {seeded.strain_ids[0]: Decimal(4)}
    calls = set(
        ApiCall.objects.filter(correlation_id=str(placement.correlation_id)).values_list("method", "route")
    )
    assert ("POST", "/dapp/orders") in calls
    assert not {c for c in calls if c[1].startswith("/dapp/carts")}


def test_placement_get_is_scoped_to_the_client(seeded):
    a, b = (seeded.mirror_client(cid) for cid in seeded.verified_client_ids()[:2])
    placement, _ = order_place(
        client=a, idempotency_key="g", lines=placement_lines(seeded, 1), execute="inline"
    )
    assert placement_get(correlation_id=placement.correlation_id, client=a).pk == placement.pk
    for who, cid in ((b, placement.correlation_id), (a, "not-a-uuid")):
        with pytest.raises(ServiceError) as err:
            placement_get(correlation_id=cid, client=who)
        assert err.value.code == "placement_not_found" and err.value.status == 404


def test_services_refuse_to_call_dr_green_inside_a_transaction(seeded):
    client = seeded.mirror_client(seeded.verified_client_ids()[0])
    with transaction.atomic(), pytest.raises(RuntimeError):
        order_place(client=client, idempotency_key="tx", lines=placement_lines(seeded, 1), execute="inline")
    placement = OrderPlacement.objects.create(client=client, idempotency_key="x", request_hash="h", lines=[])
    with transaction.atomic(), pytest.raises(RuntimeError):
        placement_execute(placement_id=placement.pk)
    assert seeded.remote_orders(str(client.drgreen_id)) == []
