"""One correlation id from the web request, through the task it enqueued, to the Dr Green
call that task made: in the response header, the log lines and the ``ApiCall`` ledger."""

from __future__ import annotations

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connections

from integration.models import ApiCall
from integration.observability.middleware import HEADER

from .chain_app import chain_app, list_strains_task


@pytest.mark.django_db
def test_the_response_echoes_a_valid_id_and_replaces_a_bad_one(client):
    good = client.get("/admin/login/", headers={HEADER: "storefront-req-42"})
    assert good[HEADER] == "storefront-req-42"

    bad = client.get("/admin/login/", headers={HEADER: "x\nInjected: 1"})
    assert bad[HEADER] != "x\nInjected: 1" and len(bad[HEADER]) == 32

    fresh_a, fresh_b = client.get("/admin/login/"), client.get("/admin/login/")
    assert fresh_a[HEADER] != fresh_b[HEADER]


@pytest.mark.django_db
def test_the_access_line_carries_the_request_id(client, captured_log):
    client.get("/admin/login/", headers={HEADER: "access-line-0001"})
    line = next(r for r in captured_log.records if r["logger"] == "integration.request")
    assert line["correlation_id"] == "access-line-0001"
    assert line["http_path"] == "/admin/login/" and line["http_status"] == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_request_to_task_to_dr_green_call(client, settings, sandbox_keys, captured_log):
    settings.ROOT_URLCONF = "tests.integration.observability.chain_app"
    correlation_id = "checkout-7f3a9c21"
    try:
        with start_worker(chain_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            captured_log.attach()  # the worker's Django fixup re-ran LOGGING: a new handler
            response = client.get("/chain/enqueue", headers={HEADER: correlation_id})
            assert response.status_code == 200 and response[HEADER] == correlation_id
            outcome = list_strains_task.AsyncResult(response.json()["task_id"]).get(timeout=30)
    finally:
        # The worker thread opened its own database connection; close it before the flush.
        connections.close_all()

    assert outcome["seen_correlation_id"] == correlation_id
    call = ApiCall.objects.get(route="/dapp/strains")
    assert call.correlation_id == correlation_id and call.status == 200
    dr_green_lines = [
        r
        for r in captured_log.records
        if r["logger"] == "integration.drgreen.calls" and r["drgreen_route"] == "/dapp/strains"
    ]
    assert [r["correlation_id"] for r in dr_green_lines] == [correlation_id]


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_a_task_nobody_tagged_runs_under_its_own_task_id(settings, sandbox_keys):
    try:
        with start_worker(chain_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            result = list_strains_task.delay()
            outcome = result.get(timeout=30)
    finally:
        connections.close_all()
    assert outcome["seen_correlation_id"] == result.id
    assert ApiCall.objects.get(route="/dapp/strains").correlation_id == result.id
