"""``order_record_created``: the mirror's one entry for an order Dr Green just created for
our checkout (the ``POST /dapp/orders`` response through the one upsert path)."""

import uuid

import pytest

from integration.models import Client, Order, Sale
from integration.services.mirror import order_record_created, sales_upsert_from_list

from . import payloads as p

pytestmark = pytest.mark.django_db


def test_the_created_order_is_mirrored_as_ours(t0):
    client = Client.objects.create(
        drgreen_id=uuid.uuid4(), admin_approval="VERIFIED", shipping_country_code="PRT"
    )
    payload = p.order_create_response(client_id=str(client.drgreen_id), totalAmount=27.27)

    result = order_record_created(payload=payload, client_drgreen_id=client.drgreen_id, observed_at=t0)

    order = Order.objects.get(drgreen_id=payload["id"])
    assert result.pks[order.drgreen_id] == order.pk
    assert order.client_id == client.pk and order.origin == "checkout"
    assert order.status_fingerprint == "PENDING|PENDING|PENDING" and order.next_poll_at is not None
    assert order.shipping_country_code == "PRT" and str(order.total_amount) == "27.27"


def test_sales_that_already_name_the_order_are_linked(t0):
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    payload = p.order_create_response(client_id=str(client.drgreen_id))
    sales_upsert_from_list(items=[p.sale_item(client_id=str(client.drgreen_id), order_id=payload["id"])])
    other = p.sale_item(client_id=str(client.drgreen_id), order_id=str(uuid.uuid4()))
    sales_upsert_from_list(items=[other])

    order_record_created(payload=payload, client_drgreen_id=client.drgreen_id, observed_at=t0)

    order = Order.objects.get(drgreen_id=payload["id"])
    assert Sale.objects.get(order_drgreen_id=payload["id"]).order_id == order.pk
    assert Sale.objects.get(drgreen_id=other["id"]).order_id is None


def test_an_order_mirrored_first_is_kept_and_not_duplicated(t0):
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    payload = p.order_create_response(client_id=str(client.drgreen_id))
    first = order_record_created(payload=payload, client_drgreen_id=client.drgreen_id, observed_at=t0)
    again = order_record_created(payload=payload, client_drgreen_id=client.drgreen_id, observed_at=t0)
    assert Order.objects.filter(drgreen_id=payload["id"]).count() == 1
    assert again.pks == first.pks


def test_the_checkouts_client_and_correlation_id_need_no_lookups(t0, django_assert_num_queries):
    from integration.models import WebhookEndpoint, WebhookEvent
    from integration.services.mirror import HeldClient

    client = Client.objects.create(drgreen_id=uuid.uuid4(), shipping_country_code="PRT")
    WebhookEndpoint.objects.create(url="https://hooks.example.test/in", secret="s" * 32)
    payload = p.order_create_response(client_id=str(client.drgreen_id))
    correlation = uuid.uuid4()

    # Savepoint + insert + release, the order.created event, the sale link: no read.
    with django_assert_num_queries(5):
        result = order_record_created(
            payload=payload,
            client_drgreen_id=client.drgreen_id,
            observed_at=t0,
            client=HeldClient(client.pk, "PRT"),
            correlation_id=correlation,
        )

    order = Order.objects.get(drgreen_id=payload["id"])
    assert result.created == 1 and result.pks[order.drgreen_id] == order.pk
    assert order.client_id == client.pk and order.shipping_country_code == "PRT"
    event = WebhookEvent.objects.get(fact=f"order.created:{order.drgreen_id}")
    assert event.data["correlationId"] == str(correlation)
