"""The checkout's own order in one INSERT: the very row the upsert path would create, and
a hand-back to that path whenever the shortcut does not apply."""

import random
import uuid

import pytest
from django.db import transaction

from integration.db import statements as sql
from integration.models import Client, Order, Sale
from integration.services.mirror import order_upsert_from_create, sales_upsert_from_list
from integration.services.mirror.created import order_from_create, order_insert

from . import payloads as p

pytestmark = pytest.mark.django_db

_OURS = ("id",)  # the local pk is the only thing allowed to differ


def _row(order: Order) -> dict:
    return {f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields if f.name not in _OURS}


def _insert(order: Order) -> bool:
    with transaction.atomic(), sql.batch() as b:
        inserted = order_insert(b, order)
    return inserted.inserted


def test_the_inserted_row_is_the_one_the_upsert_path_creates(t0):
    client = Client.objects.create(
        drgreen_id=uuid.uuid4(), admin_approval="VERIFIED", shipping_country_code="PRT"
    )
    payload = p.order_create_response(client_id=str(client.drgreen_id), totalAmount=27.27)

    order = order_from_create(payload=payload, client=client, observed_at=t0, rng=random.Random(5))
    assert _insert(order) and order.pk is not None
    ours = _row(Order.objects.get(pk=order.pk))

    Order.objects.all().delete()
    order_upsert_from_create(
        payload=payload, client_drgreen_id=client.drgreen_id, observed_at=t0, rng=random.Random(5)
    )
    theirs = _row(Order.objects.get(drgreen_id=payload["id"]))

    assert ours == theirs
    # Not vacuous: the row carries what the payload and the client said.
    assert ours["client_id"] == client.pk and ours["origin"] == "checkout"
    assert ours["status_fingerprint"] == "PENDING|PENDING|PENDING" and ours["next_poll_at"] is not None
    assert ours["shipping_country_code"] == "PRT" and str(ours["total_amount"]) == "27.27"


def test_sales_that_already_name_the_order_are_linked(t0):
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    payload = p.order_create_response(client_id=str(client.drgreen_id))
    sales_upsert_from_list(items=[p.sale_item(client_id=str(client.drgreen_id), order_id=payload["id"])])
    other = p.sale_item(client_id=str(client.drgreen_id), order_id=str(uuid.uuid4()))
    sales_upsert_from_list(items=[other])

    order = order_from_create(payload=payload, client=client, observed_at=t0)
    assert _insert(order)

    assert Sale.objects.get(order_drgreen_id=payload["id"]).order_id == order.pk
    assert Sale.objects.get(drgreen_id=other["id"]).order_id is None


def test_an_order_mirrored_first_is_left_alone(t0):
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    payload = p.order_create_response(client_id=str(client.drgreen_id))
    order_upsert_from_create(payload=payload, client_drgreen_id=client.drgreen_id, observed_at=t0)
    held = _row(Order.objects.get(drgreen_id=payload["id"]))

    order = order_from_create(payload={**payload, "orderStatus": "PROCESSING"}, client=client, observed_at=t0)
    assert not _insert(order)

    assert Order.objects.count() == 1 and _row(Order.objects.get()) == held


@pytest.mark.parametrize(
    "change",
    [
        {"id": "not-a-uuid"},
        {"orderLines": [p.order_line()]},
        {"client": {"id": "{other}", "firstName": "Bea"}},
    ],
    ids=["no usable id", "lines to sync", "another client"],
)
def test_payloads_the_shortcut_cannot_take_go_to_the_upsert_path(t0, change):
    client = Client.objects.create(drgreen_id=uuid.uuid4())
    change = {
        k: ({"id": str(uuid.uuid4()), "firstName": "Bea"} if k == "client" else v) for k, v in change.items()
    }
    payload = p.order_create_response(client_id=str(client.drgreen_id), **change)
    assert order_from_create(payload=payload, client=client, observed_at=t0) is None
