"""The catalogue: country availability, search, type and THC filters, display prices, and
keyset pagination that neither skips nor repeats rows."""

from __future__ import annotations

from decimal import Decimal

import pytest

from integration.models import StrainAvailability

from .conftest import Api, make_client, make_strain, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/strains"


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [s["name"] for s in response.json()["results"]]


def test_only_strains_sellable_in_the_country(as_customer):
    make_strain("Alpha", countries=("GBR",))
    make_strain("Beta", countries=("ZAF",))
    gone = make_strain("Gamma", countries=("GBR",))
    StrainAvailability.objects.filter(strain=gone).update(is_available=False)
    make_strain("Delta", countries=("GBR",), is_active=False)
    tombstoned = make_strain("Epsilon")
    tombstoned.remote_missing_since = tombstoned.last_synced_at
    tombstoned.save()
    assert names(as_customer.get(URL, {"country": "GBR"})) == ["Alpha"]
    assert names(as_customer.get(URL, {"country": "zaf"})) == ["Beta"]


def test_country_defaults_to_the_customers_shipping_country(storefront_token):
    user = make_user()
    make_client(user, country="ZAF")
    make_strain("Alpha", countries=("GBR",))
    make_strain("Beta", countries=("ZAF",))
    assert names(Api(token=storefront_token, customer_id=user.pk).get(URL)) == ["Beta"]
    r = Api(token=storefront_token).get(URL)
    assert r.status_code == 400
    assert r.json()["error"]["details"] == {"country": ["This field is required."]}


def test_search_type_and_thc_filters(as_customer):
    make_strain("Lemon Haze", type_="Sativa", thc="22", description="citrus")
    make_strain("Night Kush", type_="Indica", thc="18")
    make_strain("Calm CBD", type_="Hybrid", thc="0.3")
    make_strain("Mild Mix", type_="Hybrid", thc="10.5")
    make_strain("Unknown THC", type_="Hybrid", thc=None)
    assert names(as_customer.get(URL, {"country": "GBR", "search": "kush"})) == ["Night Kush"]
    assert names(as_customer.get(URL, {"country": "GBR", "search": "CITRUS"})) == ["Lemon Haze"]
    assert names(as_customer.get(URL, {"country": "GBR", "type": ["Indica", "Sativa"]})) == [
        "Lemon Haze",
        "Night Kush",
    ]
    assert names(as_customer.get(URL, {"country": "GBR", "thcLevel": "High"})) == ["Lemon Haze"]
    assert names(as_customer.get(URL, {"country": "GBR", "thcLevel": "Mid"})) == ["Night Kush"]
    assert names(as_customer.get(URL, {"country": "GBR", "thcLevel": "Low"})) == ["Mild Mix"]
    assert names(as_customer.get(URL, {"country": "GBR", "thcLevel": "None"})) == ["Calm CBD"]
    assert names(as_customer.get(URL, {"country": "GBR", "thcLevel": ["None", "High"]})) == [
        "Calm CBD",
        "Lemon Haze",
    ]


def test_display_price_in_the_countrys_currency_and_stock(as_customer):
    make_strain("Alpha", retail="10.00", countries=("GBR", "DEU", "ZAF"), stock="12.5")
    gbr = as_customer.get(URL, {"country": "GBR"}).json()["results"][0]
    assert gbr["price"] == {"currency": "GBP", "amount": "8.00"}
    assert Decimal(gbr["stockQuantity"]) == Decimal("12.5")
    assert as_customer.get(URL, {"country": "DEU"}).json()["results"][0]["price"] == {
        "currency": "EUR",
        "amount": "9.00",
    }
    assert as_customer.get(URL, {"country": "ZAF"}).json()["results"][0]["price"] == {
        "currency": "USD",
        "amount": "10.00",
    }


def test_pagination_walks_every_row_once_even_with_equal_names_and_inserts(as_customer):
    for i in range(7):
        make_strain("Same Name" if i % 2 else f"Strain {i}")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"country": "GBR", "pageSize": 3, **({"cursor": cursor} if cursor else {})}
        body = as_customer.get(URL, params).json()
        seen += [s["id"] for s in body["results"]]
        pages += 1
        if pages == 1:
            # Rows inserted before the cursor's position must not shift later pages.
            make_strain("AAA inserted")
        cursor = body["nextCursor"]
        if not cursor:
            assert body["next"] is None
            break
        assert body["next"].startswith("http://testserver/api/v1/strains?")
    assert len(seen) == len(set(seen)) == 7
    assert pages == 3


@pytest.mark.parametrize("cursor", ["garbage", "W10", "WzEsMl0", "WyJhIiwidHJ1ZSJd", "WyJhIiwxLjVd"])
def test_bad_cursors_are_validation_errors(as_customer, cursor):
    r = as_customer.get(URL, {"country": "GBR", "cursor": cursor})
    assert r.status_code == 400
    assert r.json()["error"]["details"] == {"cursor": ["Invalid cursor."]}
