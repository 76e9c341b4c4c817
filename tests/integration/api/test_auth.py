"""Authentication: storefront tokens acting for one named customer, customer and staff
tokens, sessions; revoked and unknown credentials refused; tokens never echoed or logged."""

from __future__ import annotations

import logging

import pytest
from django.utils import timezone

from integration.models import ApiToken, TokenKind, hash_token

from .conftest import Api, error_of, make_client, make_order, make_user

pytestmark = pytest.mark.django_db

ME = "/api/v1/me"


def test_storefront_token_acts_for_the_customer_in_the_header(storefront_token, customer):
    r = Api(token=storefront_token, customer_id=customer.pk).get(ME)
    assert r.status_code == 200
    assert r.json()["customerId"] == customer.pk


def test_bearer_keyword_is_accepted(storefront_token, customer):
    api = Api()
    api.client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {storefront_token}", HTTP_X_CUSTOMER_ID=str(customer.pk)
    )
    assert api.get(ME).status_code == 200


@pytest.mark.parametrize("header", ["999999", "abc", "-1", "1 2", ""])
def test_unknown_or_malformed_customer_is_refused(storefront_token, header):
    r = Api(token=storefront_token).get(ME, HTTP_X_CUSTOMER_ID=header)
    assert r.status_code == 401
    assert error_of(r)["code"] == "authentication_failed"


def test_inactive_staff_and_superusers_are_not_customers(storefront_token):
    inactive = make_user(is_active=False)
    staff = make_user(staff=True)
    superuser = make_user(is_superuser=True)
    for user in (inactive, staff, superuser):
        r = Api(token=storefront_token, customer_id=user.pk).get(ME)
        assert r.status_code == 401, user
        # The same message for both, so a storefront cannot probe which ids are staff.
        assert error_of(r)["message"] == "Unknown customer in X-Customer-Id."


def test_storefront_token_without_customer_reads_catalogue_only(storefront_token):
    api = Api(token=storefront_token)
    assert api.get("/api/v1/strains", {"country": "GBR"}).status_code == 200
    r = api.get(ME)
    assert r.status_code == 403
    assert error_of(r)["code"] == "customer_required"


def test_customer_header_without_token_is_not_authenticated(customer):
    r = Api(customer_id=customer.pk).get(ME)
    assert r.status_code == 401
    assert error_of(r)["code"] == "not_authenticated"
    assert r["WWW-Authenticate"] == "Token"


def test_customer_token_authenticates_its_user_and_refuses_a_header(customer):
    clear = ApiToken.issue(name="app", kind=TokenKind.CUSTOMER, user=customer)[1]
    assert Api(token=clear).get(ME).json()["customerId"] == customer.pk
    other = make_user()
    r = Api(token=clear, customer_id=other.pk).get(ME)
    assert r.status_code == 401


def test_customer_token_of_a_disabled_user_is_refused(customer):
    clear = ApiToken.issue(name="app", kind=TokenKind.CUSTOMER, user=customer)[1]
    customer.is_active = False
    customer.save()
    assert Api(token=clear).get(ME).status_code == 401


def test_revoked_token_is_refused(storefront_token, customer):
    ApiToken.objects.update(revoked_at=timezone.now())
    r = Api(token=storefront_token, customer_id=customer.pk).get(ME)
    assert r.status_code == 401
    assert error_of(r)["code"] == "authentication_failed"


@pytest.mark.parametrize("value", ["Token", "Token a b", "Token nope", "Basic dXNlcjpwYXNz"])
def test_malformed_or_unknown_authorization(value):
    api = Api()
    api.client.credentials(HTTP_AUTHORIZATION=value)
    r = api.get(ME)
    assert r.status_code == 401


def test_staff_token_reaches_staff_endpoints_but_acts_for_no_customer(staff_token):
    api = Api(token=staff_token)
    assert api.get("/api/v1/staff/orders/counts").status_code == 200
    assert error_of(api.get(ME))["code"] == "customer_required"


def test_storefront_token_never_reaches_staff_endpoints(storefront_token, customer):
    r = Api(token=storefront_token, customer_id=customer.pk).get("/api/v1/staff/orders/counts")
    assert r.status_code == 403
    assert error_of(r)["code"] == "staff_required"


def test_session_customer_and_session_staff():
    user = make_user()
    client = make_client(user)
    order = make_order(client)
    assert Api(user=user).get(f"/api/v1/orders/{order.drgreen_id}").status_code == 200
    assert Api(user=user).get("/api/v1/staff/orders/counts").status_code == 403
    staff = make_user(staff=True)
    assert Api(user=staff).get("/api/v1/staff/orders/counts").status_code == 200


def test_session_unsafe_methods_need_csrf(customer):
    api = Api(user=customer)
    api.client.handler.enforce_csrf_checks = True
    r = api.post("/api/v1/checkout", {"lines": []}, HTTP_IDEMPOTENCY_KEY="k1")
    assert r.status_code == 403
    assert error_of(r)["code"] == "permission_denied"


def test_last_used_is_recorded_at_most_once_a_minute(storefront_token, customer):
    api = Api(token=storefront_token, customer_id=customer.pk)
    api.get(ME)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api.get(ME)
    assert ApiToken.objects.get().last_used_at == first


def test_tokens_are_stored_hashed_and_never_echoed_or_logged(storefront_token, customer, caplog):
    token = ApiToken.objects.get()
    assert storefront_token not in (token.token_hash, token.prefix)
    caplog.set_level(logging.DEBUG)
    responses = [
        Api(token=storefront_token, customer_id=customer.pk).get(ME),
        Api(token=storefront_token + "x").get(ME),
        Api(token=storefront_token, customer_id=999999).get(ME),
    ]
    for r in responses:
        assert storefront_token not in r.content.decode()
        assert token.token_hash not in r.content.decode()
    assert storefront_token not in caplog.text
    assert token.token_hash not in caplog.text


@pytest.mark.parametrize("change", [{"is_staff": False}, {"is_active": False}])
def test_a_staff_token_works_only_while_its_user_is_active_staff(staff_token, staff_user, change):
    api = Api(token=staff_token)
    assert api.get("/api/v1/staff/orders/counts").status_code == 200
    type(staff_user).objects.filter(pk=staff_user.pk).update(**change)
    r = api.get("/api/v1/staff/orders/counts")
    assert r.status_code == 401 and error_of(r)["code"] == "authentication_failed"


def test_a_staff_token_without_a_user_is_refused(db):
    ApiToken.objects.create(name="legacy", kind="staff", prefix="dgs_legacy", token_hash=hash_token("legacy"))
    r = Api(token="legacy").get("/api/v1/staff/orders/counts")
    assert r.status_code == 401


def test_staff_tokens_are_issued_only_for_active_staff_users(db):
    from django.core.exceptions import ValidationError

    for user in (None, make_user(), make_user(staff=True, is_active=False)):
        with pytest.raises(ValidationError):
            ApiToken.issue(name="ops", kind="staff", user=user)
    assert not ApiToken.objects.exists()
