"""Demo pages and the sandbox proxy: off unless DRGREEN_DEMO, a fixed set of actions, CSRF."""

from __future__ import annotations

import json
import socket
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient

from integration.demo.accounts import CUSTOMER_PREFIX
from integration.models import ApiToken, Client, hash_token


@pytest.fixture
def demo_urls(settings, tmp_path):
    settings.ROOT_URLCONF = "tests.integration.demo.urls"
    settings.DRGREEN_DEMO = True
    settings.VAR_DIR = tmp_path


@pytest.fixture
def demo_world(demo_urls, settings, drgreen_holder):
    """A seeded sandbox client with a pending order, mirrored locally as a demo customer."""
    settings.SANDBOX_URL = drgreen_holder.sandbox.url
    settings.SANDBOX_CONTROL_TOKEN = drgreen_holder.sandbox.control_token
    drgreen_holder.seed(strains=2, clients=2, orders=12, countries=["GBR"])
    # The client of an order Dr Green has not reviewed yet, so there is something to approve.
    client_id = next(o["clientId"] for o in drgreen_holder.orders() if o["adminApproval"] == "PENDING")
    user = get_user_model().objects.create_user(f"{CUSTOMER_PREFIX}1")
    client = Client.objects.create(
        drgreen_id=client_id, first_name="Demo", last_name="Person", shipping_country_code="GBR", user=user
    )
    return drgreen_holder, client


@pytest.mark.django_db
def test_every_demo_url_is_a_404_when_demo_mode_is_off(demo_urls, settings, client):
    settings.DRGREEN_DEMO = False
    order = uuid.uuid4()
    assert client.get("/demo/").status_code == 404
    assert client.get("/demo/sandbox/").status_code == 404
    assert client.get("/demo/sandbox/api/orders").status_code == 404
    assert client.post(f"/demo/sandbox/api/orders/{order}/approve").status_code == 404


@pytest.mark.django_db
def test_the_storefront_page_carries_a_live_token_and_the_demo_customers(demo_world, client):
    _, linked = demo_world
    r = client.get("/demo/")
    assert r.status_code == 200
    html = r.content.decode()
    config = json.loads(html.split('id="demo-config" type="application/json">')[1].split("</script>")[0])
    assert config["apiBase"] == "/api/v1"
    assert ApiToken.objects.get(token_hash=hash_token(config["token"])).kind == "storefront"
    assert config["customers"] == [{"id": linked.user_id, "name": "Demo Person", "country": "GBR"}]
    assert "https://" not in html  # no CDN: everything is served by the app itself


@pytest.mark.django_db
def test_the_control_page_plays_dr_green_through_the_proxy(demo_world):
    holder, linked = demo_world
    browser = HttpClient(enforce_csrf_checks=True)
    page = browser.get("/demo/sandbox/")
    assert page.status_code == 200
    csrf = page.cookies["csrftoken"].value

    listed = browser.get("/demo/sandbox/api/orders").json()["orders"]
    assert listed and {o["clientId"] for o in listed} == {str(linked.drgreen_id)}
    pending = next(o for o in listed if o["adminApproval"] == "PENDING")

    url = f"/demo/sandbox/api/orders/{pending['id']}/approve"
    assert browser.post(url).status_code == 403  # no CSRF token: refused before the sandbox
    assert holder.sandbox.control("GET", f"orders/{pending['id']}")["adminApproval"] == "PENDING"
    r = browser.post(url, headers={"X-CSRFToken": csrf})
    assert r.status_code == 200 and r.json()["adminApproval"] == "VERIFIED"
    assert holder.sandbox.control("GET", f"orders/{pending['id']}")["adminApproval"] == "VERIFIED"

    # The sandbox's own refusals come back as they are.
    again = browser.post(f"/demo/sandbox/api/orders/{pending['id']}/deliver", headers={"X-CSRFToken": csrf})
    paid = browser.post(f"/demo/sandbox/api/orders/{pending['id']}/pay", headers={"X-CSRFToken": csrf})
    twice = browser.post(f"/demo/sandbox/api/orders/{pending['id']}/pay", headers={"X-CSRFToken": csrf})
    assert again.status_code == 200 and paid.status_code == 200
    assert twice.status_code == 409


@pytest.mark.django_db
def test_only_the_fixed_actions_exist(demo_world):
    order = uuid.uuid4()
    browser = HttpClient()
    for action in ("reset", "keys", "seed", "clock", "..%2Fkeys"):
        assert browser.post(f"/demo/sandbox/api/orders/{order}/{action}").status_code == 404
    assert browser.post("/demo/sandbox/api/orders/not-a-uuid/approve").status_code == 404


@pytest.mark.django_db
def test_an_unreachable_sandbox_is_a_502_not_a_crash(demo_world, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    settings.SANDBOX_URL = f"http://127.0.0.1:{closed_port}"
    browser = HttpClient()
    assert browser.get("/demo/sandbox/api/orders").status_code == 502
    assert browser.post(f"/demo/sandbox/api/orders/{uuid.uuid4()}/approve").status_code == 502
