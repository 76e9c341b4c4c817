"""One error shape everywhere, stable codes, per-field validation details, Dr Green
failures as 502/503 with ``retryable``, and never a stack trace."""

from __future__ import annotations

import pytest
from rest_framework.test import APIRequestFactory

from integration.api.exceptions import api_exception_handler
from integration.drgreen import AuthError, RateLimited, ServerError, TransportError, UpstreamUnavailable
from integration.services.errors import ServiceError, UpstreamError

from .conftest import Api, error_of

pytestmark = pytest.mark.django_db


def test_validation_errors_list_messages_per_field(as_customer):
    r = as_customer.get("/api/v1/strains", {"country": "GB1", "type": "Nope", "pageSize": 0})
    assert r.status_code == 400
    error = error_of(r)
    assert error["code"] == "validation_error"
    assert set(error["details"]) == {"country", "type"}
    assert all(isinstance(m, str) for messages in error["details"].values() for m in messages)


def test_nested_validation_errors_keep_their_path(as_customer):
    r = as_customer.post(
        "/api/v1/checkout", {"lines": [{"strainId": "x", "quantity": "-1"}]}, HTTP_IDEMPOTENCY_KEY="k"
    )
    error = error_of(r)
    assert error["code"] == "validation_error"
    assert set(error["details"]["lines"]["0"]) == {"strainId", "quantity"}


def test_malformed_json_is_a_parse_error(as_customer):
    r = as_customer.client.post(
        "/api/v1/checkout", data="{nope", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert r.status_code == 400
    assert error_of(r)["code"] == "parse_error"


def test_wrong_media_type_and_method(as_customer):
    r = as_customer.client.post(
        "/api/v1/checkout", data="lines=1", content_type="text/plain", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert r.status_code == 415
    assert error_of(r)["code"] == "unsupported_media_type"
    r = as_customer.request("delete", "/api/v1/orders")
    assert r.status_code == 405
    assert error_of(r)["code"] == "method_not_allowed"


def test_missing_idempotency_key(as_customer):
    r = as_customer.post(
        "/api/v1/checkout", {"lines": [{"strainId": "6f1c2b64-8d0e-4d4a-9f57-2f1a4e0c9b11", "quantity": 1}]}
    )
    assert r.status_code == 400
    assert error_of(r)["code"] == "idempotency_key_missing"


def test_unknown_api_url_and_bad_uuid_are_json_404s(as_customer):
    for path in ("/api/v1/nothing-here", "/api/v1/orders/not-a-uuid", "/api/v2/orders"):
        r = as_customer.get(path)
        assert r.status_code == 404
        assert r["Content-Type"].startswith("application/json")
        assert error_of(r)["code"] == "not_found"


def test_throttled_has_retry_after(settings, as_customer):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "profile": "2/min"},
    }
    codes = [as_customer.get("/api/v1/me").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    r = as_customer.get("/api/v1/me")
    error = error_of(r)
    assert error["code"] == "throttled"
    assert int(r["Retry-After"]) == error["details"]["retryAfter"] > 0


def test_throttles_are_per_customer_not_per_storefront_token(settings, storefront_token, customer):
    from .conftest import make_client, make_user

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "profile": "1/min"},
    }
    other = make_user()
    make_client(other)
    assert Api(token=storefront_token, customer_id=customer.pk).get("/api/v1/me").status_code == 200
    assert Api(token=storefront_token, customer_id=customer.pk).get("/api/v1/me").status_code == 429
    assert Api(token=storefront_token, customer_id=other.pk).get("/api/v1/me").status_code == 200


def _handle(exc):
    request = APIRequestFactory().get("/api/v1/x")
    return api_exception_handler(exc, {"view": None, "request": request})


@pytest.mark.parametrize(
    ("exc", "status", "code", "retryable"),
    [
        (
            ServiceError("insufficient_stock", "Not enough.", details={"strain_id": "s"}, status=409),
            409,
            "insufficient_stock",
            False,
        ),
        (UpstreamError("Dr Green is down."), 503, "drgreen_unavailable", True),
        (TransportError("reset", maybe_delivered=False), 503, "drgreen_unavailable", True),
        (RateLimited("slow down", retry_after=7), 503, "drgreen_unavailable", True),
        (UpstreamUnavailable("API not available", status=403), 503, "drgreen_unavailable", True),
        (ServerError("boom", status=502, retryable=True), 502, "drgreen_error", True),
        (ServerError("boom", status=500, retryable=False), 502, "drgreen_error", False),
        (AuthError("bad signature", status=401), 502, "drgreen_error", False),
    ],
)
def test_service_and_drgreen_errors_map_one_to_one(exc, status, code, retryable):
    r = _handle(exc)
    assert r.status_code == status
    assert r.data["error"]["code"] == code
    assert r.data["error"]["retryable"] is retryable
    if isinstance(exc, ServiceError):
        assert r.data["error"]["message"] == exc.message
        assert r.data["error"]["details"] == exc.details
    else:
        # Dr Green's own words (URLs, signatures) are for the log, not for the storefront.
        assert str(exc) not in r.data["error"]["message"]
    if isinstance(exc, RateLimited):
        assert r["Retry-After"] == "8"


def test_unhandled_exception_is_a_500_without_traceback(caplog):
    r = _handle(RuntimeError("secret internals at /srv/app.py line 3"))
    assert r.status_code == 500
    assert r.data == {
        "error": {
            "code": "internal_error",
            "message": "Something went wrong on our side.",
            "details": {},
            "retryable": False,
        }
    }
    assert "secret internals" in caplog.text  # logged for staff, not shown to the caller
