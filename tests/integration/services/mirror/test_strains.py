from decimal import Decimal

import pytest

from integration.models import Order, OrderLine, Strain, StrainAvailability
from integration.services.mirror import (
    order_upsert_from_detail,
    strain_upsert_from_detail,
    strains_upsert_from_list,
)

from . import payloads as p

pytestmark = pytest.mark.django_db


def test_list_for_a_country(t0, later):
    item = p.strain_item()
    result = strains_upsert_from_list(items=[item], country_code="zaf", observed_at=t0)
    strain = Strain.objects.get()
    assert result.created == 1
    assert (strain.name, strain.type) == ("Example Kush", "Hybrid")
    assert (strain.thc, strain.cbd, strain.cbg) == (Decimal("21.500"), Decimal("0.800"), None)
    assert (strain.retail_price, strain.wholesale_price) == (Decimal("9.09"), Decimal("6.00"))
    assert strain.prices[1]["currency"] == "eur"
    availability = strain.availabilities.get()
    assert availability.country_code == "ZAF" and availability.stock_quantity == Decimal("120.500")
    assert availability.can_sell
    item["strainLocations"][0]["stockQuantity"] = 0
    strains_upsert_from_list(items=[item], country_code="ZAF", observed_at=later(1))
    availability.refresh_from_db()
    assert availability.stock_quantity == 0 and not availability.can_sell
    assert StrainAvailability.objects.count() == 1


def test_detail_with_locations_and_country_flags(t0):
    item = p.strain_item(
        locations=[
            p.strain_location("ZAF", "South Africa"),
            p.strain_location("GBR", "United Kingdom", stock=0),
        ],
        isActive=True,
        isAvailable=False,
        stockQuantity=0,
    )
    strain_upsert_from_detail(payload=item, country_code="GBR", observed_at=t0)
    strain = Strain.objects.get()
    # With ?countryCode the top-level flags are that country's, not global.
    assert strain.is_available is None
    rows = {a.country_code: a for a in strain.availabilities.all()}
    assert set(rows) == {"ZAF", "GBR"} and rows["GBR"].country == "United Kingdom"
    assert rows["ZAF"].stock_quantity == Decimal("50.000")


def test_global_flags_without_country(t0):
    strain_upsert_from_detail(
        payload=p.strain_item(isActive=True, isAvailable=True, locations=[]), observed_at=t0
    )
    strain = Strain.objects.get()
    assert (strain.is_active, strain.is_available) == (True, True)


def test_new_strain_links_existing_order_lines(t0, later):
    item = p.strain_item()
    order_upsert_from_detail(
        payload=p.order_detail(lines=[p.order_line(strain_id=item["id"])]), observed_at=t0
    )
    assert OrderLine.objects.get().strain is None
    strains_upsert_from_list(items=[item], country_code="ZAF", observed_at=later(1))
    assert OrderLine.objects.get().strain == Strain.objects.get()
    assert Order.objects.count() == 1
