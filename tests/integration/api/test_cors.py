"""CORS: only the configured storefront origins may call the API from a browser."""

from __future__ import annotations

import pytest

from .conftest import Api

pytestmark = pytest.mark.django_db


def preflight(origin: str):
    return Api().client.options(
        "/api/v1/orders",
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,x-customer-id",
    )


def test_configured_origin_is_allowed_others_are_not(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://shop.example.test"]
    ok = preflight("https://shop.example.test")
    assert ok["Access-Control-Allow-Origin"] == "https://shop.example.test"
    assert "x-customer-id" in ok["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Origin" not in preflight("https://evil.example.test")


def test_no_origins_by_default(settings):
    settings.CORS_ALLOWED_ORIGINS = []
    assert "Access-Control-Allow-Origin" not in preflight("https://shop.example.test")
