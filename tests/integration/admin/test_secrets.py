"""Secrets never reach a console page: token hashes and clear tokens (after the one page
that shows a new token), and Dr Green's key pair."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integration.models import ApiCall, ApiToken, SyncRun

from .conftest import CHANGELISTS, add_change, make_order

SECRET = "ZZ-unmistakable-drgreen-secret-value-ZZ"
API_KEY = "ZZ-unmistakable-drgreen-api-key-ZZ"


def test_token_add_shows_the_clear_token_once_and_then_only_the_prefix(admin_client_, store_admin_user):
    response = admin_client_.post(
        reverse("admin:integration_apitoken_add"),
        {"name": "demo storefront", "kind": "storefront", "user": ""},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    clear = response.context["clear_token"]
    assert clear.startswith("dgs_") and clear in response.content.decode()
    token = ApiToken.objects.get(name="demo storefront")
    assert token.prefix == clear[:12] and token.token_hash != clear

    for url in (
        reverse("admin:integration_apitoken_changelist"),
        reverse("admin:integration_apitoken_change", args=[token.pk]),
    ):
        html = admin_client_.get(url).content.decode()
        assert token.prefix in html
        assert clear not in html and token.token_hash not in html


def test_token_revoke_action(admin_client_, store_admin_user):
    token, _ = ApiToken.issue(name="old", kind="staff", user=store_admin_user)
    admin_client_.post(
        reverse("admin:integration_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk], "index": 0},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.fixture
def world(db):
    order = make_order()
    add_change(order, after=("PENDING", "VERIFIED", "PENDING"))
    run = SyncRun.objects.create(kind="summaries", state="succeeded", stats={"figures": {}})
    ApiCall.objects.create(method="GET", route="/dapp/orders", status=200, sync_run=run)
    ApiToken.issue(name="t", kind="storefront")
    return order


def test_drgreen_keys_never_appear_on_any_page(admin_client_, world, settings):
    settings.DRGREEN = {**settings.DRGREEN, "SECRET_KEY": SECRET, "API_KEY": API_KEY}
    urls = [reverse("admin:index"), reverse("admin:drgreen_dashboard")]
    for model in CHANGELISTS:
        urls.append(reverse(f"admin:integration_{model}_changelist"))
    from django.apps import apps

    for model in ("order", "client", "syncrun", "apicall", "apitoken"):
        obj = apps.get_model("integration", model).objects.first()
        urls.append(reverse(f"admin:integration_{model}_change", args=[obj.pk]))
    for url in urls:
        response = admin_client_.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert SECRET not in html and API_KEY not in html, url
        for token in ApiToken.objects.all():
            assert token.token_hash not in html, url


def test_token_add_refuses_a_staff_token_for_anyone_but_active_staff(admin_client_, store_admin_user):
    from django.contrib.auth import get_user_model

    customer = get_user_model().objects.create_user("shopper", "shopper@example.test", None)
    leaver = get_user_model().objects.create_user("leaver", None, None, is_staff=True, is_active=False)
    for user in ("", customer.pk, leaver.pk):
        response = admin_client_.post(
            reverse("admin:integration_apitoken_add"), {"name": "ops", "kind": "staff", "user": user}
        )
        assert response.status_code == 200 and "active staff user" in response.content.decode()
    assert not ApiToken.objects.exists()
    response = admin_client_.post(
        reverse("admin:integration_apitoken_add"),
        {"name": "ops", "kind": "staff", "user": store_admin_user.pk},
    )
    assert "clear_token" in response.context and ApiToken.objects.get().user_id == store_admin_user.pk
