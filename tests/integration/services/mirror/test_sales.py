import uuid

import pytest

from integration.models import Client, Order, Sale
from integration.services.mirror import orders_upsert_from_list, sales_upsert_from_list

from . import payloads as p

pytestmark = pytest.mark.django_db


def test_sale_with_unknown_client_and_order(t0):
    item = p.sale_item(order_id=p.new_id())
    result = sales_upsert_from_list(items=[item], observed_at=t0)
    sale = Sale.objects.get()
    assert result.created == 1 and sale.stage == "ONGOING" and sale.description == ""
    assert sale.order is None and sale.order_drgreen_id == uuid.UUID(item["orderId"])
    assert sale.client.is_stub and sale.client.email == "cleo.sampleton@example.com"
    assert sale.client.is_active is True
    assert result.stub_client_ids == [sale.client.drgreen_id]


def test_sale_links_known_order_and_tracks_stage(t0, later):
    order = p.order_list_item()
    orders_upsert_from_list(items=[order], observed_at=t0)
    item = p.sale_item(client_id=order["client"]["id"], order_id=order["id"])
    sales_upsert_from_list(items=[item], observed_at=later(1))
    sale = Sale.objects.get()
    assert sale.order == Order.objects.get() and sale.client == Client.objects.get()
    result = sales_upsert_from_list(
        items=[dict(item, stage="CLOSED", description="Delivered")], observed_at=later(2)
    )
    sale.refresh_from_db()
    assert result.updated == 1 and sale.stage == "CLOSED" and sale.is_won
    assert (
        sales_upsert_from_list(
            items=[dict(item, stage="CLOSED", description="Delivered")], observed_at=later(3)
        ).unchanged
        == 1
    )


def test_lost_sale(t0):
    sales_upsert_from_list(items=[p.sale_item(stage="CLOSED")], observed_at=t0)
    assert Sale.objects.get().is_lost
