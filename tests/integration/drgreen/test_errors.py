"""Error bodies of every shape (facts §4.1-§4.4) mapped to typed exceptions."""

from __future__ import annotations

import pytest

from integration.drgreen import (
    AuthError,
    Conflict,
    DrGreenError,
    NotFound,
    RateLimited,
    ServerError,
    UpstreamUnavailable,
    ValidationError,
    error_from_response,
)
from integration.drgreen.errors import parse_retry_after, split_messages
from integration.drgreen.resources.orders import unwrap_order_details


def interceptor(message, status, error="Bad Request", url="/api/v1/dapp/x", method="GET"):
    return {
        "success": False,
        "message": message,
        "errorCode": status,
        "error": error,
        "url": url,
        "urlMethod": method,
    }


def classify(status, body, headers=None):
    return error_from_response(status, body, headers or {}, method="GET", path="/dapp/x")


def test_guard_default_401():
    err = classify(401, {"message": "User is not authorized", "error": "Unauthorized", "statusCode": 401})
    assert type(err) is AuthError
    assert (err.status, err.message) == (401, "User is not authorized")
    assert err.messages == ["User is not authorized"]
    assert (err.method, err.path, err.retryable) == ("GET", "/dapp/x", False)
    assert "401" in str(err) and "/dapp/x" in str(err)


def test_no_primary_nft_and_bare_nest_401():
    body = {"message": "Unauthorized Access", "error": "Unauthorized", "statusCode": 401}
    assert type(classify(401, body)) is AuthError
    assert type(classify(401, {"message": "Unauthorized", "statusCode": 401})) is AuthError


@pytest.mark.parametrize(
    "message",
    ["Oops!, your session is expired", "No authorization header found in the request"],
)
def test_jwt_hijack_400_is_an_auth_error(message):
    err = classify(400, {"message": message, "error": "Bad Request", "statusCode": 400})
    assert type(err) is AuthError
    assert err.status == 400


def test_interceptor_validation_messages_are_split():
    err = classify(400, interceptor("clientId must be a UUID, take must not be less than 1", 400))
    assert type(err) is ValidationError
    assert err.messages == ["clientId must be a UUID", "take must not be less than 1"]


def test_docs_verified_400_sample_splits_into_four_messages():
    body = {
        "statusCode": 400,
        "message": "startdate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY, "
        "startDate should not be empty, endDate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY, "
        "endDate should not be empty",
    }
    err = classify(400, body)
    assert type(err) is ValidationError
    assert err.messages == [
        "startdate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY",
        "startDate should not be empty",
        "endDate must be a valid date. ex: YYYY-MM-DD or MM-DD-YYYY",
        "endDate should not be empty",
    ]


def test_enumerations_inside_a_message_are_not_split():
    message = "orderBy must be one of the following values: asc, desc, take must be an integer number"
    assert split_messages(message) == [
        "orderBy must be one of the following values: asc, desc",
        "take must be an integer number",
    ]
    assert split_messages("a (x, y z) b, second one") == ["a (x, y z) b", "second one"]


def test_list_message_is_kept_as_a_list():
    body = {"message": ["email must be an email", "Email must be in lowercase."], "statusCode": 400}
    err = classify(400, body)
    assert err.messages == ["email must be an email", "Email must be in lowercase."]
    assert err.message == "email must be an email, Email must be in lowercase."


def test_docs_variant_with_data_array():
    body = {
        "success": False,
        "statusCode": 400,
        "message": "Validation failed",
        "data": ["shipping.postalCode must be a string", "firstName should not be empty"],
    }
    err = classify(400, body)
    assert type(err) is ValidationError
    assert err.messages == ["shipping.postalCode must be a string", "firstName should not be empty"]


def test_upstream_kyc_outage_is_transient():
    err = classify(403, interceptor("API not available", 403, error="Forbidden", method="POST"))
    assert type(err) is UpstreamUnavailable
    assert err.retryable is True
    assert type(classify(403, {"message": "Forbidden", "statusCode": 403})) is AuthError


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (404, {"message": "Cannot GET /api/v1/dapp/nope", "error": "Not Found", "statusCode": 404}),
        (404, interceptor("Client not found", 404, error="Not Found", method="PATCH")),
        (500, interceptor("Client not found", 500, error="Internal Server Error")),
        (500, interceptor("strain not found", 500, error="Internal Server Error")),
        (502, interceptor("Client Cart not found", 502, error="Bad Gateway", method="DELETE")),
        (502, interceptor("Cart Item not found with the given strain id", 502, error="Bad Gateway")),
    ],
)
def test_not_found_quirks(status, body):
    err = classify(status, body)
    assert type(err) is NotFound
    assert err.status == status
    assert err.retryable is False


def test_order_detail_null_is_not_found_and_a_real_order_is_unwrapped():
    with pytest.raises(NotFound) as info:
        unwrap_order_details({"orderDetails": None}, path="/dapp/orders/{orderId}")
    assert info.value.status == 200
    assert unwrap_order_details({"orderDetails": {"id": "o1", "orderStatus": "PENDING"}}) == {
        "id": "o1",
        "orderStatus": "PENDING",
    }


def test_conflicts():
    for message in ("Client Email ID already exists", "Client does not have any item in the cart"):
        err = classify(409, interceptor(message, 409, error="Conflict", method="POST"))
        assert type(err) is Conflict
        assert err.message == message


def test_rate_limited_reads_retry_after_case_insensitively():
    err = classify(429, "Too Many Requests", {"retry-after": "7"})
    assert type(err) is RateLimited
    assert err.retry_after == 7.0 and err.retryable is True
    assert classify(429, None).retry_after is None


def test_retry_after_http_date_and_garbage():
    now = 1_780_000_000.0  # a fixed instant; the header is 90 s later
    from email.utils import formatdate

    assert parse_retry_after(formatdate(now + 90, usegmt=True), now=now) == pytest.approx(90.0)
    assert parse_retry_after(formatdate(now - 90, usegmt=True), now=now) == 0.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-3") is None


def test_unhandled_500_is_a_non_retryable_server_error():
    err = classify(500, interceptor("failed while creating order", 500, error="Internal Server Error"))
    assert type(err) is ServerError
    assert err.retryable is False


@pytest.mark.parametrize("status", [502, 503, 504])
def test_envoy_text_bodies_are_retryable_server_errors(status):
    text = "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
    err = classify(status, text.encode())
    assert type(err) is ServerError
    assert err.retryable is True
    assert err.message == text


@pytest.mark.parametrize(
    "body",
    [
        None,
        b"",
        b"\xff\xfe\x00",
        "{not json",
        [1, 2],
        {"foo": 1},
        {"message": None},
        {"message": 42},
        3.5,
        {"data": [1, {"x": 2}]},
        "x" * 5000,
    ],
)
@pytest.mark.parametrize("status", [400, 418, 500, 503])
def test_unknown_shapes_never_crash(status, body):
    err = classify(status, body)
    assert isinstance(err, DrGreenError)
    assert err.status == status
    assert len(err.message) <= 310
    expected = {400: ValidationError, 418: DrGreenError, 500: ServerError, 503: ServerError}[status]
    assert type(err) is expected
