"""The outbox insert: one row per (wanting endpoint, fact), stored as the ORM stores it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from integration.db.outbox import webhook_events_insert
from integration.models import Client, Order, OrderPlacement, WebhookEndpoint, WebhookEvent

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def _endpoint(types: str = "", *, active: bool = True) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(url="https://example.com/h", event_types=types, is_active=active)


def _insert(*rows: tuple) -> list[int]:
    with transaction.atomic():
        return webhook_events_insert(list(rows), now=T)


def test_each_active_endpoint_that_wants_the_type_gets_one_row_with_the_values_given():
    every, changes = _endpoint(), _endpoint(",order.status_changed,")
    _endpoint(active=False)
    order_id = uuid.uuid4()
    data = {"orderId": str(order_id), "total": "9.09", "customerId": None, "correlationId": None}
    ids = _insert(("order.created:a", "msg_a", "order.created", data, T, order_id, None, None))
    (event,) = WebhookEvent.objects.filter(pk__in=ids)
    assert event.endpoint_id == every.pk and not changes.events.exists()
    assert (event.fact, event.msg_id, event.type, event.data) == (
        "order.created:a",
        "msg_a",
        "order.created",
        data,
    )
    assert event.occurred_at == T == event.next_attempt_at == event.created_at
    assert event.order_drgreen_id == order_id
    assert (event.state, event.attempts, event.last_error) == (WebhookEvent.STATE_PENDING, 0, "")


def test_a_pair_that_exists_is_left_alone_and_only_new_ids_come_back():
    first, second = _endpoint(), _endpoint()
    row = ("order.created:a", "msg_a", "order.created", {"a": 1}, T, None, None, None)
    assert len(_insert(row)) == 2
    again = ("order.created:a", "msg_b", "order.created", {"a": 2}, T, None, None, None)
    other = ("order.created:b", "msg_c", "order.created", {"b": 1}, T, None, None, None)
    ids = _insert(again, other)
    assert sorted(WebhookEvent.objects.filter(pk__in=ids).values_list("endpoint_id", "fact")) == [
        (first.pk, "order.created:b"),
        (second.pk, "order.created:b"),
    ]
    assert set(WebhookEvent.objects.filter(fact="order.created:a").values_list("msg_id", flat=True)) == {
        "msg_a"
    }


def test_customer_and_correlation_ids_are_filled_from_the_joined_rows():
    _endpoint()
    users = [get_user_model().objects.create_user(username=f"outbox-{i}", password="x") for i in range(2)]
    user = users[1]
    client = Client.objects.create(drgreen_id=uuid.uuid4(), user=user)
    assert user.pk != client.pk  # so that a wrong join cannot pass
    order = Order.objects.create(drgreen_id=uuid.uuid4(), client=client)
    placement = OrderPlacement.objects.create(
        client=client, idempotency_key="k", request_hash="h", order=order
    )
    data = {"customerId": None, "correlationId": None}
    ids = _insert(
        ("f:1", "m1", "order.status_changed", data, T, order.drgreen_id, client.pk, order.pk),
        ("f:2", "m2", "client.status_changed", {"customerId": 7}, T, None, None, None),
    )
    by_fact = {e.fact: e.data for e in WebhookEvent.objects.filter(pk__in=ids)}
    assert by_fact == {
        "f:1": {"customerId": user.pk, "correlationId": str(placement.correlation_id)},
        "f:2": {"customerId": 7},
    }


def test_no_endpoint_no_rows():
    assert _insert(("f", "m", "order.created", {}, T, None, None, None)) == []
    assert not WebhookEvent.objects.exists()


def test_a_page_of_facts_is_one_statement_whose_text_does_not_grow_with_the_page():
    _endpoint()
    texts: list[str] = []

    def spy(execute, sql, params, many, context):
        if "webhookevent" in sql:
            texts.append(sql)
        return execute(sql, params, many, context)

    data = {"orderId": "é ✓", "changed": [{"field": "orderStatus", "before": None, "after": 2}]}
    rows = [(f"f:{i}", f"m{i}", "order.created", data, T, uuid.uuid4(), None, None) for i in range(3)]
    with connection.execute_wrapper(spy):
        one = _insert(rows[0])
        three = _insert(*rows[1:])
    assert len(one) == 1 and len(three) == 2 and len(texts) == 2
    assert {e.data["orderId"] for e in WebhookEvent.objects.all()} == {"é ✓"}
    assert WebhookEvent.objects.filter(fact="f:2").get().data == data
    if connection.vendor == "postgresql":  # the facts are one parameter: the same text
        assert texts[0] == texts[1]
