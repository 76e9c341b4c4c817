"""Fixtures that run checkout, onboarding and sales against the sandbox over real HTTP.

Built on the shared ``sandbox`` / ``drgreen_holder`` / ``concurrent_db`` fixtures of
tests/conftest.py (one sandbox per session, a fresh holder per test, no faults left
behind); this adds the checkout settings and a few helpers. Nothing mocks the HTTP layer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from integration.models import Client
from integration.services.drgreen_api import drgreen_client
from integration.services.mirror import client_upsert_from_detail

ORDERS_PATH = "/api/v1/dapp/orders"
CARTS_PATH = "/api/v1/dapp/carts"
CLIENTS_PATH = "/api/v1/dapp/clients"


class Holder:
    """The shared ``drgreen_holder`` (tests/conftest.py) plus what checkout tests ask of it."""

    def __init__(self, base: Any) -> None:
        self._base = base

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base, name)

    def verified_client_ids(self) -> list[str]:
        """Seeded clients that may order (the seed makes kinds 0-6 of every 10 verified)."""
        return [cid for i, cid in enumerate(self.client_ids) if i % 10 < 7]

    def mirror_client(self, drgreen_id: str) -> Client:
        """Mirror one client through the sync path, as the pollers would."""
        client_upsert_from_detail(payload=drgreen_client().get_client(drgreen_id))
        return Client.objects.get(drgreen_id=drgreen_id)

    def remote_orders(self, client_id: str | None = None) -> list[dict[str, Any]]:
        """This holder's orders from the sandbox's own records (with lines), never our tables."""
        return self._base.orders(client_id)


@pytest.fixture
def holder(drgreen_holder, sandbox, settings) -> Iterator[Holder]:
    sandbox.set_config(orderBodyMode="cart")
    settings.DRGREEN = {**settings.DRGREEN, "ORDER_BODY_MODE": "cart"}
    # Dr Green's order transaction may take 20 s; the sandbox's never outlives its answer,
    # so the settle time (and the back-offs) can be short here.
    settings.DRGREEN_CHECKOUT = {
        "SETTLE_S": 0.0,
        "RETRY_BACKOFF_S": 0.0,
        "RECOVERY_BACKOFF_S": 0.0,
        "INLINE_WAIT_S": 30.0,
    }
    try:
        yield Holder(drgreen_holder)
    finally:
        sandbox.set_config(orderBodyMode="cart")


@pytest.fixture
def seeded(holder) -> Holder:
    holder.seed(strains=4, clients=10)
    return holder


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run ``delay()``/``apply_async()`` in-process, so no message reaches a shared broker.

    Shared tasks follow Celery's *current* app, which another suite may have switched; the
    project's app is made current for the test and everything is put back afterwards."""
    from celery import current_app

    from drgreen_store.celery import app

    previous = current_app._get_current_object()
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.set_current()
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        app.conf.task_always_eager, app.conf.task_eager_propagates = saved
        previous.set_current()
