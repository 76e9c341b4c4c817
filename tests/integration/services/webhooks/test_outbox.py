"""Events are written in the transaction of the fact they announce, once per fact and endpoint."""

from __future__ import annotations

import copy
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from integration.models import (
    Client,
    Order,
    OrderPlacement,
    PlacementState,
    StatusChange,
    WebhookEndpoint,
    WebhookEvent,
)
from integration.services import webhooks
from integration.services.mirror import clients_upsert_from_list, orders_upsert_from_list, rows
from integration.services.webhooks.facts import placement_moved

from ..mirror import payloads as p

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def events(type_: str | None = None):
    qs = WebhookEvent.objects.order_by("pk")
    return qs.filter(type=type_) if type_ else qs


@pytest.mark.django_db
class TestOrderFacts:
    def test_adoption_and_each_status_change_make_one_event_each(self, endpoint):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=T0)
        orders_upsert_from_list(items=[item], observed_at=later(1))  # nothing new
        orders_upsert_from_list(items=[dict(item, adminApproval="VERIFIED")], observed_at=later(2))
        orders_upsert_from_list(
            items=[dict(item, adminApproval="VERIFIED", paymentStatus="PAID")], observed_at=later(3)
        )
        order = Order.objects.get()
        assert [e.type for e in events()] == ["order.created", "order.status_changed", "order.status_changed"]
        created = events("order.created").get()
        assert created.data["orderId"] == str(order.drgreen_id)
        assert created.data["displayStatus"] == "in_review"
        assert created.order_drgreen_id == order.drgreen_id
        first, second = events("order.status_changed")
        assert first.data == {
            "orderId": str(order.drgreen_id),
            "invoiceNumber": order.invoice_number,
            "sequence": 1,
            "orderStatus": "PENDING",
            "adminApproval": "VERIFIED",
            "paymentStatus": "PENDING",
            "displayStatus": "awaiting_payment",
            "changed": [{"field": "adminApproval", "before": "PENDING", "after": "VERIFIED"}],
            "correlationId": None,
            "customerId": None,
        }
        assert second.data["sequence"] == 2 and second.data["paymentStatus"] == "PAID"
        assert second.data["changed"] == [{"field": "paymentStatus", "before": "PENDING", "after": "PAID"}]
        assert first.occurred_at == StatusChange.objects.get(sequence=1).detected_at
        # One webhook-id per event, distinct between facts.
        assert len({e.msg_id for e in events()}) == 3

    def test_customer_and_correlation_ids_come_from_the_rows(self, endpoint):
        user = get_user_model().objects.create_user(username="hook-customer", password="x")  # noqa: S106
        item = p.order_list_item()
        client = Client.objects.create(drgreen_id=item["client"]["id"], user=user)
        orders_upsert_from_list(items=[item], observed_at=T0)
        order = Order.objects.get()
        placement = OrderPlacement.objects.create(
            client=client, idempotency_key="k1", request_hash="h", state=PlacementState.PLACED, order=order
        )
        orders_upsert_from_list(items=[dict(item, orderStatus="CANCELLED")], observed_at=later(1))
        assert events("order.created").get().data["customerId"] == user.pk
        change = events("order.status_changed").get()
        assert change.data["customerId"] == user.pk
        assert change.data["correlationId"] == str(placement.correlation_id)
        assert change.data["displayStatus"] == "cancelled"

    def test_every_active_endpoint_that_wants_the_type_gets_its_own_row(self, endpoint, receiver):
        only_changes = webhooks.endpoint_create(url=receiver.url("/b"), event_types="order.status_changed")
        off = webhooks.endpoint_create(url=receiver.url("/c")).endpoint
        webhooks.endpoint_set_active(endpoint_id=off.pk, active=False)
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=T0)
        orders_upsert_from_list(items=[dict(item, paymentStatus="PAID")], observed_at=later(1))
        by_endpoint = {}
        for e in events():
            by_endpoint.setdefault(e.endpoint_id, []).append(e.type)
        assert by_endpoint == {
            endpoint[0].pk: ["order.created", "order.status_changed"],
            only_changes.endpoint.pk: ["order.status_changed"],
        }
        # One fact, one webhook-id on every endpoint.
        assert len(set(events("order.status_changed").values_list("msg_id", flat=True))) == 1

    def test_no_endpoint_no_rows_and_nothing_breaks(self):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=T0)
        orders_upsert_from_list(items=[dict(item, paymentStatus="PAID")], observed_at=later(1))
        assert StatusChange.objects.count() == 1 and not WebhookEvent.objects.exists()

    def test_a_page_with_nothing_to_send_leaves_no_after_commit_callback(self, allow_private, receiver):
        """Such a page keeps the reconcile's relaxed commit (mirror/transactions.relaxed_commits)."""
        item = p.order_list_item()
        with transaction.atomic():
            orders_upsert_from_list(items=[item], observed_at=T0)
            assert connection.run_on_commit == []
        webhooks.endpoint_create(url=receiver.url())
        with transaction.atomic():
            orders_upsert_from_list(items=[p.order_list_item()], observed_at=T0)
            assert len(connection.run_on_commit) == 1

    def test_a_fact_rolled_back_takes_its_events_with_it(self, endpoint):
        item = p.order_list_item()
        with pytest.raises(RuntimeError), transaction.atomic():
            orders_upsert_from_list(items=[item], observed_at=T0)
            assert events().count() == 1
            raise RuntimeError("the caller's transaction fails")
        assert not Order.objects.exists() and not WebhookEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_events_outside_a_transaction_are_refused(endpoint):
    fact = webhooks.Fact(type="webhook.test", key="x", data={}, occurred_at=T0)
    with pytest.raises(RuntimeError, match="inside the transaction"):
        webhooks.events_record([fact])


@pytest.mark.django_db
class TestRaces:
    def test_the_loser_of_a_replayed_race_writes_no_second_event(self, endpoint, monkeypatch):
        """Worker B works from a read taken before worker A committed the same change."""
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=T0)
        stale = {o.drgreen_id: o for o in Order.objects.all()}
        changed = [dict(item, adminApproval="VERIFIED")]
        orders_upsert_from_list(items=changed, observed_at=later(5))
        real = rows.prefetch
        monkeypatch.setattr(
            rows,
            "prefetch",
            lambda model, ids, **kw: (
                {k: copy.deepcopy(v) for k, v in stale.items()} if model is Order else real(model, ids, **kw)
            ),
        )
        orders_upsert_from_list(items=changed, observed_at=later(5))
        assert events("order.status_changed").count() == 1

    def test_the_same_fact_recorded_twice_keeps_one_row(self, endpoint):
        fact = webhooks.Fact(type="order.created", key="order.created:x", data={"a": 1}, occurred_at=T0)
        with transaction.atomic():
            webhooks.events_record([fact, fact])
        with transaction.atomic():
            webhooks.events_record([fact])
        assert events().count() == 1


# SQLite takes its writer lock at BEGIN (IMMEDIATE), so two page transactions cannot both
# read before either writes there: the race is replayed above instead.
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_detections_make_one_event(allow_private, receiver, monkeypatch):
    """Two threads, each with its own connection, read the same order, wait for each other,
    then write the same change: one StatusChange, one event per endpoint."""
    ends = [webhooks.endpoint_create(url=receiver.url(f"/{i}")).endpoint for i in range(2)]
    item = p.order_list_item()
    orders_upsert_from_list(items=[item], observed_at=T0)
    barrier = threading.Barrier(2, timeout=20)
    local = threading.local()
    real = rows.prefetch

    def prefetch(model, ids, **kwargs):
        found = real(model, ids, **kwargs)
        if model is Order and not getattr(local, "waited", False):
            local.waited = True
            barrier.wait()
        return found

    monkeypatch.setattr(rows, "prefetch", prefetch)
    errors = []
    changed = [dict(item, adminApproval="VERIFIED")]

    def work():
        try:
            orders_upsert_from_list(items=changed, observed_at=later(5))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert StatusChange.objects.count() == 1
    rows_ = list(WebhookEvent.objects.filter(type="order.status_changed"))
    assert sorted(e.endpoint_id for e in rows_) == sorted(e.pk for e in ends)
    assert len({e.msg_id for e in rows_}) == 1


@pytest.mark.django_db
class TestClientAndPlacementFacts:
    def test_a_known_kyc_or_approval_value_changing_is_one_event(self, endpoint):
        item = p.client_list_item(adminApproval="PENDING", isKYCVerified=False)
        clients_upsert_from_list(items=[item], observed_at=T0)
        clients_upsert_from_list(items=[item], observed_at=later(1))
        verified = dict(item, adminApproval="VERIFIED", isKYCVerified=True)
        clients_upsert_from_list(items=[verified], observed_at=later(2))
        clients_upsert_from_list(items=[verified], observed_at=later(3))
        event = events("client.status_changed").get()
        assert event.data["clientId"] == item["id"]
        assert event.data["adminApproval"] == "VERIFIED" and event.data["isKYCVerified"] is True
        assert {c["field"] for c in event.data["changed"]} == {"adminApproval", "isKYCVerified"}
        assert "email" not in str(event.data)
        # The same change again later (back and forth) is a new fact.
        clients_upsert_from_list(items=[item], observed_at=later(4))
        clients_upsert_from_list(items=[verified], observed_at=later(5))
        assert events("client.status_changed").count() == 3

    def test_placement_states_that_matter_are_announced_once(self, endpoint):
        client = Client.objects.create(drgreen_id=uuid.uuid4())
        placement = OrderPlacement.objects.create(client=client, idempotency_key="k", request_hash="h")
        with transaction.atomic():
            placement_moved(placement, at=T0)  # new: nothing to say
            placement.state, placement.rejection_code = PlacementState.REJECTED, "out_of_stock"
            placement.rejection_message = "Not enough stock."
            placement_moved(placement, at=T0)
            placement_moved(placement, at=T0)
        event = events("placement.rejected").get()
        assert event.data == {
            "correlationId": str(placement.correlation_id),
            "state": "rejected",
            "orderId": None,
            "customerId": None,
            "code": "out_of_stock",
            "message": "Not enough stock.",
        }


def test_endpoint_event_types_are_checked():
    with pytest.raises(webhooks.EndpointError, match="unknown event type"):
        webhooks.endpoint_create(url="https://example.com/h", event_types="order.created,order.nope")


@pytest.mark.django_db
def test_endpoint_types_filter(allow_private):
    e = webhooks.endpoint_create(url="https://example.com/h", event_types=["order.created"]).endpoint
    assert e.wants("order.created") and not e.wants("order.status_changed")
    assert WebhookEndpoint.objects.get().types == ["order.created"]
