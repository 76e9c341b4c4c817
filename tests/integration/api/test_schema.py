"""The OpenAPI schema validates without warnings, documents the auth schemes and errors,
and the docs page loads its assets from this server, not a CDN."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from .conftest import Api

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))


def test_schema_documents_auth_and_errors():
    schema = Api().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["components"]["securitySchemes"]) == {"apiToken", "session"}
    assert "## Error codes" in schema["info"]["description"]
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            responses = op["responses"]
            if path != "/api/v1/health":
                assert {"400", "401", "403", "429"} <= set(responses), (method, path)
                assert responses["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")
            else:
                assert "503" in responses and op.get("security") in ([], [{}], None)
    checkout = schema["paths"]["/api/v1/checkout"]["post"]
    header = {p["name"]: p for p in checkout["parameters"] if p["in"] == "header"}
    assert header["Idempotency-Key"]["required"] is True and "X-Customer-Id" in header
    assert "idempotency_key_reused" in checkout["responses"]["409"]["description"]


def test_docs_page_uses_no_external_assets():
    r = Api().get("/api/docs/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "swagger-ui" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(not s.startswith(("http://", "https://", "//")) for s in sources), sources
