"""Sales: won/lost views over the mirror, compared with the sandbox's own pipeline, and the
write path that stays off unless a deployment turns it on."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest

from integration.models import Sale
from integration.services.checkout import order_place
from integration.services.drgreen_api import drgreen_client
from integration.services.errors import ServiceError
from integration.services.mirror import orders_upsert_from_list, sales_upsert_from_list
from integration.services.sales import (
    sale_search_term,
    sale_stage_set,
    sales_client_refresh,
    sales_lost,
    sales_outcomes,
    sales_won,
)
from tests.integration.observability import people
from tests.integration.services.checkout import sandbox_fixtures as fx

holder = fx.holder
seeded = fx.seeded

pytestmark = pytest.mark.django_db(transaction=True)


def _mirror_pipeline():
    api = drgreen_client()
    orders_upsert_from_list(items=list(api.iter_orders()))
    remote = list(api.iter_sales())
    sales_upsert_from_list(items=remote)
    return remote


@pytest.fixture
def pipeline(holder):
    holder.seed(strains=4, clients=12, orders=40)
    return holder


def test_won_and_lost_match_the_remote_pipeline(pipeline):
    api = drgreen_client()
    lead = next(s for s in api.iter_sales() if s["stage"] == "LEADS")
    # A holder gives up on a lead: closed without an order (written straight to the sandbox).
    api.update_sale(lead["id"], {"stage": "CLOSED", "description": "Lost to a competitor"})
    remote = _mirror_pipeline()

    won = {s["id"] for s in remote if s["stage"] == "CLOSED" and s["orderId"]}
    lost = {s["id"] for s in remote if s["stage"] == "CLOSED" and not s["orderId"]}
    assert won and lost == {lead["id"]}
    assert {str(s.drgreen_id) for s in sales_won()} == won
    assert {str(s.drgreen_id) for s in sales_lost()} == lost
    assert all(s.is_won and s.order is not None for s in sales_won())

    outcomes = sales_outcomes()
    assert (outcomes["won"], outcomes["lost"]) == (len(won), len(lost))
    assert outcomes["open"] == sum(1 for s in remote if s["stage"] != "CLOSED")
    assert outcomes["won_total_usd"] == sum((s.order.total_amount for s in sales_won()), Decimal(0))


def test_a_checkout_moves_the_lead_and_delivery_wins_it(seeded):
    cid = seeded.verified_client_ids()[0]
    client = seeded.mirror_client(cid)
    placement, _ = order_place(
        client=client, idempotency_key="won", lines=[(seeded.strain_ids[0], 1)], execute="inline"
    )
    sale = Sale.objects.get(order_drgreen_id=placement.order_drgreen_id)
    assert sale.stage == "ONGOING" and not sales_won(client=client).exists()

    order_id = str(placement.order_drgreen_id)
    seeded.sandbox.approve_order(order_id)
    seeded.sandbox.pay_order(order_id)
    seeded.sandbox.set_order_status(order_id, "DELIVERED")
    assert sales_client_refresh(client=client) >= 1
    assert list(sales_won(client=client)) == [sale]
    assert not sales_lost(client=client).exists()
    other = seeded.mirror_client(seeded.verified_client_ids()[1])
    assert not sales_won(client=other).exists()


def test_stages_are_read_only_unless_the_deployment_allows_writes(seeded, settings):
    client = seeded.mirror_client(seeded.verified_client_ids()[0])
    sales_client_refresh(client=client)
    sale = Sale.objects.get(client=client, stage="LEADS")
    with pytest.raises(ServiceError) as err:
        sale_stage_set(sale=sale, stage="CLOSED")
    assert err.value.code == "sales_read_only"

    settings.DRGREEN_SALES_WRITABLE = True
    with pytest.raises(ServiceError) as err:
        sale_stage_set(sale=sale, stage="WON")
    assert err.value.code == "invalid_stage"
    sale = sale_stage_set(sale=sale, stage="closed", description="No longer interested")
    assert sale.stage == "CLOSED" and sale.description == "No longer interested"
    assert list(sales_lost(client=client)) == [sale]
    remote = next(s for s in drgreen_client().iter_sales() if s["id"] == str(sale.drgreen_id))
    assert remote["stage"] == "CLOSED"


def _namesake(holder, first: str, last: str = "Samesby"):
    """A ready-to-order client sharing a last name with the others (unique email and phone)."""
    body = people.create_client_body(
        firstName=first, lastName=last, contactNumber=str(7_000_000_000 + secrets.randbelow(10**9))
    )
    cid = drgreen_client().create_client(body)["id"]
    holder.sandbox.approve_client(cid)
    holder.sandbox.kyc_pass(cid)
    return holder.mirror_client(cid)


def test_the_post_checkout_lookup_finds_the_sale_by_name_and_keeps_only_this_clients(seeded):
    """Dr Green's sales search matches first/last names only (never the email): the lookup
    searches by name, walks the pages newest first and keeps the client's own sales."""
    namesakes = [_namesake(seeded, f"Namesake{i}") for i in range(3)]
    placed = [
        order_place(client=c, idempotency_key=f"n-{i}", lines=[(seeded.strain_ids[0], 1)], execute="inline")[
            0
        ]
        for i, c in enumerate(namesakes)
    ]
    for client, placement in zip(namesakes, placed, strict=True):
        sale = Sale.objects.get(order_drgreen_id=placement.order_drgreen_id)  # linked at checkout
        assert sale.client == client and sale.stage == "ONGOING"

    Sale.objects.all().delete()
    before = seeded.request_count("GET /api/v1/dapp/sales")
    first = namesakes[0]  # its sale is the oldest: the last of three one-item pages
    assert sales_client_refresh(client=first, take=1, order_drgreen_id=placed[0].order_drgreen_id) == 1
    assert seeded.request_count("GET /api/v1/dapp/sales") - before == 3
    mirrored = [(s.client, s.order_drgreen_id) for s in Sale.objects.all()]
    assert mirrored == [(first, placed[0].order_drgreen_id)]

    Sale.objects.all().delete()
    assert sales_client_refresh(client=first, take=1, max_pages=2) == 0  # bounded walk
    assert not Sale.objects.exists()


def test_a_client_without_a_last_name_is_found_by_first_name(seeded):
    client = _namesake(seeded, "Solitaire", last="")
    assert sale_search_term(client) == "Solitaire"
    assert sales_client_refresh(client=client) == 1
    assert Sale.objects.get(client=client).stage == "LEADS"
