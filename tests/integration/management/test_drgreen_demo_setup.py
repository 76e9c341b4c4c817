"""``manage.py drgreen_demo_setup``: logins, token and customers that work, twice the same."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from integration.models import ApiToken, Client, hash_token
from integration.services.drgreen_api import drgreen_client
from tests.integration.observability import people


@pytest.fixture
def demo(settings, drgreen_holder, tmp_path):
    settings.DRGREEN_DEMO = True
    settings.VAR_DIR = tmp_path
    settings.SANDBOX_URL = drgreen_holder.sandbox.url
    settings.SANDBOX_CONTROL_TOKEN = drgreen_holder.sandbox.control_token
    drgreen_holder.seed(strains=3, clients=4, orders=6, countries=["GBR"])
    # A client in a second country that Dr Green has not approved yet: the command plays
    # Dr Green's admin on the sandbox for it.
    body = people.create_client_body()
    body["shipping"] = {**body["shipping"], "country": "Portugal", "countryCode": "PRT"}
    pending_id = drgreen_client().create_client(body)["id"]
    return drgreen_holder, pending_id


def run(**kw) -> str:
    out = io.StringIO()
    call_command("drgreen_demo_setup", "--base-url", "http://demo.test:8000", stdout=out, **kw)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_demo_setup_creates_working_logins_token_and_customers(demo, client):
    _, pending_id = demo
    output = run()

    staff = authenticate(username="demo-staff", password="demo-staff")
    assert staff is not None and staff.is_staff and staff.is_superuser
    token = next(line.split()[-1] for line in output.splitlines() if "Storefront token" in line)
    assert ApiToken.objects.get(token_hash=hash_token(token)).kind == "storefront"

    customers = Client.objects.filter(user__username__startswith="demo-customer-")
    assert sorted(c.shipping_country_code for c in customers) == ["GBR", "PRT"]
    assert all(c.can_order for c in customers)
    assert customers.get(shipping_country_code="PRT").drgreen_id.hex == pending_id.replace("-", "")
    for url in (
        "http://demo.test:8000/demo/",
        "http://demo.test:8000/admin/",
        "http://demo.test:8000/api/docs/",
    ):
        assert url in output

    # The printed token and user ids are what a storefront sends.
    for c in customers:
        headers = {"Authorization": f"Token {token}", "X-Customer-Id": str(c.user_id)}
        r = client.get("/api/v1/me", headers=headers)
        assert r.status_code == 200, r.content


@pytest.mark.django_db(transaction=True)
def test_demo_setup_twice_gives_the_same_token_and_customers(demo):
    first = run()
    users_before = set(get_user_model().objects.values_list("pk", flat=True))
    second = run()
    assert first.split("Storefront token")[1] == second.split("Storefront token")[1]
    assert set(get_user_model().objects.values_list("pk", flat=True)) == users_before
    assert ApiToken.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_demo_setup_refuses_outside_demo_mode(settings):
    settings.DRGREEN_DEMO = False
    with pytest.raises(CommandError, match="DRGREEN_DEMO"):
        run()
    assert not get_user_model().objects.filter(username="demo-staff").exists()
