"""The sync path against a real deployment: live pages into the local mirror (read-only twins
of tests/integration/services/mirror, polling and the sales lookup). Only the test database is written."""

from __future__ import annotations

import pytest

from integration.models import Client, Order, Sale, StrainAvailability
from integration.services.drgreen_api import drgreen_client
from integration.services.mirror import (
    client_upsert_from_detail,
    clients_upsert_from_list,
    order_upsert_from_detail,
    orders_upsert_from_list,
    strain_upsert_from_detail,
    strains_upsert_from_list,
)
from integration.services.sales import sales_client_refresh

from .conftest import first_or_skip

pytestmark = [pytest.mark.live, pytest.mark.django_db]


def test_an_order_page_mirrors_with_its_three_statuses(live_settings):
    items = drgreen_client().list_orders(take=20, order_by="desc").items
    first_or_skip(items, "orders")
    result = orders_upsert_from_list(items=items)
    assert result.skipped == 0
    for item in items:
        order = Order.objects.get(drgreen_id=item["id"])
        assert (order.order_status, order.admin_approval, order.payment_status) == (
            item["orderStatus"],
            item["adminApproval"],
            item["paymentStatus"],
        )
    detail = drgreen_client().get_order(items[0]["id"])
    order_upsert_from_detail(payload=detail)
    order = Order.objects.get(drgreen_id=items[0]["id"])
    assert order.admin_approval == items[0]["adminApproval"]  # detail lacks it: kept, not wiped


def test_a_client_page_and_detail_mirror(live_settings):
    items = drgreen_client().list_clients(take=20, order_by="desc").items
    first_or_skip(items, "clients")
    assert clients_upsert_from_list(items=items).skipped == 0
    client = Client.objects.get(drgreen_id=items[0]["id"])
    client_upsert_from_detail(payload=drgreen_client().get_client(items[0]["id"]))
    client.refresh_from_db()
    assert client.admin_approval == items[0]["adminApproval"]
    assert client.is_active == items[0]["isActive"]


def test_strains_mirror_per_country_and_a_detail_adds_only_that_country(live_settings):
    api = drgreen_client()
    items = api.list_strains(country_code="GBR", take=20).items
    if items:
        assert strains_upsert_from_list(items=items, country_code="GBR").skipped == 0
    strain = first_or_skip(api.list_strains(take=1).items, "strains")
    StrainAvailability.objects.filter(strain__drgreen_id=strain["id"]).delete()
    strain_upsert_from_detail(payload=api.get_strain(strain["id"], country_code="ZAF"), country_code="ZAF")
    rows = StrainAvailability.objects.filter(strain__drgreen_id=strain["id"])
    assert set(rows.values_list("country_code", flat=True)) == {"ZAF"}


def test_the_sale_lookup_finds_a_clients_sales_by_name(live_settings):
    api = drgreen_client()
    sale = first_or_skip(api.list_sales(take=20, order_by="desc").items, "sales")
    client_upsert_from_detail(payload=api.get_client(sale["client"]["id"]))
    client = Client.objects.get(drgreen_id=sale["client"]["id"])
    found = sales_client_refresh(client=client, take=50, max_pages=10)
    assert found >= 1
    assert set(Sale.objects.values_list("client_id", flat=True)) == {client.pk}
