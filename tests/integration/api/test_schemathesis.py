"""Schemathesis against the live server: every operation of the published schema, positive
and negative generated requests (≥ 500 in all), no 5xx, every response as documented.

The server is pytest-django's ``live_server`` (a real threaded HTTP server on 127.0.0.1);
Dr Green is the sandbox, so checkout and registration run for real. Hypothesis drives each
operation directly, which lets the test count the requests it made.
"""

from __future__ import annotations

import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from integration.models import OrderPlacement, PlacementState

from .conftest import make_client, make_order, make_sale, make_strain, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

EXAMPLES_PER_MODE = 25  # per operation and mode; small input spaces end sooner (≈ 600 in all)
MIN_CASES = 500
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def world(shop, storefront_token, staff_token):
    owner, newcomer = make_user(), make_user()
    client = make_client(owner)
    strain = make_strain("Fuzz Kush")
    orders = [make_order(client, strain=strain, history=1) for _ in range(3)]
    OrderPlacement.objects.create(
        client=client,
        idempotency_key="fuzz",
        request_hash="0" * 64,
        lines=[],
        state=PlacementState.PLACED,
        order=orders[0],
    )
    make_sale(client, stage="CLOSED", order=orders[0])
    return {"owner": owner, "newcomer": newcomer, "storefront": storefront_token, "staff": staff_token}


def headers_for(path: str, world) -> dict[str, str]:
    if path.startswith("/api/v1/staff/"):
        return {"Authorization": f"Token {world['staff']}"}
    # Registration needs a customer without a client; everything else acts for the owner.
    who = world["newcomer"] if "/registration" in path else world["owner"]
    return {"Authorization": f"Token {world['storefront']}", "X-Customer-Id": str(who.pk)}


def fuzz(operation, mode: GenerationMode, *, base_url: str, headers: dict, session) -> int:
    """Run ``EXAMPLES_PER_MODE`` generated requests of ``mode`` against one operation."""
    checks = CHECKS + ([negative_data_rejection] if mode is GenerationMode.NEGATIVE else [])
    made = 0

    @hsettings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        nonlocal made
        # Generated headers may name another customer; ours are the caller's identity.
        case.headers = {**(case.headers or {}), **headers}
        if case.operation.path.endswith("/checkout") and mode is GenerationMode.POSITIVE:
            case.headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        case.call_and_validate(base_url=base_url, session=session, checks=checks)
        made += 1

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid (e.g. /health has no parameters): only positive cases exist.
        if mode is not GenerationMode.NEGATIVE:
            raise
    return made


def test_schemathesis_against_the_live_server(live_server, world, api_settings, memory_broker):
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    session = requests.Session()
    session.trust_env = False
    counts: dict[str, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            counts[label] = counts.get(label, 0) + fuzz(
                operation,
                mode,
                base_url=live_server.url,
                headers=headers_for(operation.path, world),
                session=session,
            )
    assert len(counts) == 16, sorted(counts)
    total = sum(counts.values())
    print(f"schemathesis: {total} generated requests over {len(counts)} operations")  # noqa: T201
    assert total >= MIN_CASES, counts
