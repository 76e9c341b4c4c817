"""Fixtures for the storefront API: synthetic customers, mirror rows built through the ORM
(the mirror is what the API serves), tokens, and an in-memory Celery broker so queued
refreshes can be inspected (and run) without a worker or files under var/."""

from __future__ import annotations

import itertools
import uuid
import zlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from integration.models import (
    ApiToken,
    Client,
    Order,
    OrderLine,
    Sale,
    ShippingAddress,
    StatusChange,
    Strain,
    StrainAvailability,
    TokenKind,
)

_n = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Throttle counters and refresh dedupe keys live in the (per-process) cache.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def memory_broker(monkeypatch) -> Iterator[Callable[[], list[tuple[str, dict]]]]:
    """Point the Celery app at kombu's in-memory transport for one test and yield a function
    that drains the queued task messages as ``[(task_name, kwargs), ...]``."""
    from drgreen_store.celery import app

    # Celery reads CELERY_BROKER_URL from the environment before its own conf (the
    # PostgreSQL CI run sets it to Redis), so the override goes through both.
    for name in ("CELERY_BROKER_URL", "CELERY_BROKER_READ_URL", "CELERY_BROKER_WRITE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CELERY_BROKER_URL", "memory://")
    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager)
    # Celery builds its connection and producer pools lazily and keeps them; dropping them
    # makes the next publish use the memory transport.
    app.conf.broker_url = "memory://"
    app.conf.broker_transport_options = {}
    app.conf.task_always_eager = False
    app._pool = None
    app.amqp._producer_pool = None

    def drain() -> list[tuple[str, dict]]:
        out = []
        with app.connection_for_read() as conn:
            queue = conn.SimpleQueue("celery")
            while True:
                try:
                    message = queue.get(block=False)
                except queue.Empty:
                    break
                out.append((message.headers["task"], message.decode()[1]))
                message.ack()
            queue.close()
        return out

    drain()  # the memory transport is per process: forget what earlier tests left queued
    try:
        yield drain
    finally:
        app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager = saved
        monkeypatch.undo()
        app._pool = None
        app.amqp._producer_pool = None


@pytest.fixture
def api_settings(settings):
    """Generous throttles and inline checkout for tests that are not about those."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            scope: "10000/min" for scope in settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        },
    }
    settings.DRGREEN_API = {**settings.DRGREEN_API, "CHECKOUT_EXECUTE": "inline"}
    return settings


def make_user(*, staff: bool = False, **extra):
    n = next(_n)
    return get_user_model().objects.create_user(
        username=f"customer{n}", email=f"customer{n}@example.test", password=None, is_staff=staff, **extra
    )


def make_client(
    user=None,
    *,
    country: str = "GBR",
    approval: str = "VERIFIED",
    kyc: bool = True,
    active: bool = True,
    **extra,
) -> Client:
    n = next(_n)
    client = Client.objects.create(
        drgreen_id=uuid.uuid4(),
        first_name=f"Test{n}",
        last_name="Person",
        email=f"client{n}@example.test",
        admin_approval=approval,
        is_kyc_verified=kyc,
        is_active=active,
        cart_id=uuid.uuid4(),
        shipping_country_code=country,
        user=user,
        **extra,
    )
    ShippingAddress.objects.create(
        client=client,
        address1=f"{n} Test Lane",
        city="Testville",
        country_code=country,
        postal_code="TE1 1ST",
    )
    return client


def make_strain(
    name: str,
    *,
    type_: str = "Hybrid",
    thc: str | None = "15",
    countries=("GBR",),
    retail: str = "10.00",
    stock: str = "100",
    **extra,
) -> Strain:
    values = {
        "drgreen_id": uuid.uuid4(),
        "name": name,
        "type": type_,
        "thc": None if thc is None else Decimal(thc),
        "retail_price": Decimal(retail),
        "is_active": True,
        "is_available": True,
        "prices": [
            {"currency": "usd", "retailPrice": float(retail)},
            {"currency": "gbp", "retailPrice": round(float(retail) * 0.8, 2)},
            {"currency": "eur", "retailPrice": round(float(retail) * 0.9, 2)},
        ],
        **extra,
    }
    strain = Strain.objects.create(**values)
    for code in countries:
        StrainAvailability.objects.create(
            strain=strain, country_code=code, is_active=True, is_available=True, stock_quantity=Decimal(stock)
        )
    return strain


def make_order(
    client: Client,
    *,
    statuses=("PENDING", "PENDING", "PENDING"),
    lines: int = 2,
    synced_ago: float = 0.0,
    created_ago: float = 3600.0,
    history: int = 0,
    total_usd: str = "20.00",
    local=("GBP", "16.00"),
    strain: Strain | None = None,
) -> Order:
    now = timezone.now()
    order_status, admin_approval, payment_status = statuses
    order = Order.objects.create(
        drgreen_id=uuid.uuid4(),
        client=client,
        client_drgreen_id=client.drgreen_id,
        order_status=order_status,
        admin_approval=admin_approval,
        payment_status=payment_status,
        status_fingerprint="|".join(statuses),
        status_sequence=history,
        total_amount=Decimal(total_usd),
        local_currency=local[0] if local else "",
        local_total=Decimal(local[1]) if local else None,
        total_quantity=Decimal(lines),
        invoice_number=f"INV{next(_n):06d}",
        created_at=now - timedelta(seconds=created_ago),
        last_synced_at=now - timedelta(seconds=synced_ago),
        line_count=lines,
    )
    for i in range(lines):
        OrderLine.objects.create(
            order=order,
            position=i,
            strain=strain,
            strain_drgreen_id=strain.drgreen_id if strain else uuid.uuid4(),
            strain_name=strain.name if strain else f"Strain {i}",
            quantity=Decimal("1"),
            unit_retail_price=Decimal("10.00"),
            line_amount=Decimal("10.00"),
        )
    for seq in range(1, history + 1):
        StatusChange.objects.create(
            order=order,
            sequence=seq,
            fingerprint_before="PENDING|PENDING|PENDING" if seq > 1 else "",
            fingerprint_after="|".join(statuses),
            fields_changed=[{"field": "admin_approval", "before": "PENDING", "after": admin_approval}],
            order_status=order_status,
            admin_approval=admin_approval,
            payment_status=payment_status,
            source="orders.list",
            observed_at=now,
            detected_at=now,
        )
    return order


def make_sale(client: Client, *, stage: str, order: Order | None = None) -> Sale:
    return Sale.objects.create(
        drgreen_id=uuid.uuid4(),
        stage=stage,
        client=client,
        client_drgreen_id=client.drgreen_id,
        order=order,
        order_drgreen_id=order.drgreen_id if order else None,
    )


class Api:
    """An APIClient with one set of credentials."""

    def __init__(self, *, token: str | None = None, customer_id: int | None = None, user=None) -> None:
        self.client = APIClient()
        headers = {}
        if token:
            headers["HTTP_AUTHORIZATION"] = f"Token {token}"
        if customer_id is not None:
            headers["HTTP_X_CUSTOMER_ID"] = str(customer_id)
        self.client.credentials(**headers)
        if user is not None:
            self.client.force_login(user)

    def get(self, path, data=None, **extra):
        return self.client.get(path, data, **extra)

    def post(self, path, data=None, **extra):
        return self.client.post(path, data, format="json", **extra)

    def request(self, method, path, data=None, **extra):
        return getattr(self.client, method.lower())(path, data, format="json", **extra)


@pytest.fixture
def storefront_token(db) -> str:
    return ApiToken.issue(name="shop", kind=TokenKind.STOREFRONT)[1]


@pytest.fixture
def staff_user(db):
    return make_user(staff=True)


@pytest.fixture
def staff_token(staff_user) -> str:
    return ApiToken.issue(name="ops", kind=TokenKind.STAFF, user=staff_user)[1]


@pytest.fixture
def customer(db):
    """A customer with a verified client in GBR."""
    user = make_user()
    make_client(user)
    return user


@pytest.fixture
def as_customer(storefront_token, customer) -> Api:
    return Api(token=storefront_token, customer_id=customer.pk)


@pytest.fixture
def as_staff(staff_token) -> Api:
    return Api(token=staff_token)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details", "retryable"}, body
    return body["error"]


@pytest.fixture
def shop(drgreen_holder, api_settings):
    """The shared sandbox holder with 4 strains and 10 clients in GBR, and checkout tuned for
    a simulator that never outlives its answer."""
    api_settings.DRGREEN_CHECKOUT = {
        "SETTLE_S": 0.0,
        "RETRY_BACKOFF_S": 0.0,
        "RECOVERY_BACKOFF_S": 0.0,
        "INLINE_WAIT_S": 30.0,
    }
    drgreen_holder.seed(strains=4, clients=10)
    return drgreen_holder


@pytest.fixture
def shop_own_seed(drgreen_holder, api_settings, request):
    """``shop`` seeded with a seed of this test's own instead of the session's counter: the
    seed numbers (and so the data) every later test gets stay what they were, however many
    tests use this fixture. The range is far above the counter's (it starts at 1000)."""
    api_settings.DRGREEN_CHECKOUT = {
        "SETTLE_S": 0.0,
        "RETRY_BACKOFF_S": 0.0,
        "RECOVERY_BACKOFF_S": 0.0,
        "INLINE_WAIT_S": 30.0,
    }
    seed = 50_000_000 + zlib.crc32(request.node.nodeid.encode()) % 10_000_000
    drgreen_holder.seed(strains=4, clients=10, seed=seed)
    return drgreen_holder
