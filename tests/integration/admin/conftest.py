"""Fixtures for the staff console: users in each group and a synthetic mirror.

Every person here is made up (``example.test`` addresses, fictional names).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from integration.admin.groups import ADMIN_GROUP, STAFF_GROUP, groups_ensure
from integration.models import (
    ApiCall,
    ApiToken,
    BreakerState,
    Client,
    ClientRegistration,
    Notification,
    Order,
    OrderLine,
    OrderPlacement,
    PlacementAttempt,
    Sale,
    ShippingAddress,
    StatusChange,
    Strain,
    StrainAvailability,
    SyncLease,
    SyncRun,
)

FIRST = ["Ava", "Ben", "Chloe", "Dev", "Esme", "Finn", "Gita", "Hugo", "Iris", "Jonah", "Kira", "Luca"]
LAST = ["Nguyen", "Okafor", "Petrov", "Quinn", "Rossi", "Silva", "Tanaka", "Usman", "Vance", "Weber"]
_seq = itertools.count(1)


# Every model with a changelist in the console.
CHANGELISTS = [
    "order",
    "client",
    "sale",
    "strain",
    "orderplacement",
    "statuschange",
    "notification",
    "syncrun",
    "apicall",
    "synclease",
    "breakerstate",
    "clientregistration",
    "apitoken",
]


def _user(username: str, *, group: str | None = None, superuser: bool = False) -> User:
    groups_ensure()
    user = User.objects.create_user(
        username=username, password="console-pass-123", is_staff=True, is_superuser=superuser
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def staff_user(db):
    return _user("staff", group=STAFF_GROUP)


@pytest.fixture
def store_admin_user(db):
    return _user("storeadmin", group=ADMIN_GROUP)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def admin_client_(client, store_admin_user):
    client.force_login(store_admin_user)
    return client


def make_client(**kw) -> Client:
    n = next(_seq)
    first, last = FIRST[n % len(FIRST)], LAST[n % len(LAST)]
    values = {
        "drgreen_id": uuid.uuid4(),
        "first_name": first,
        "last_name": f"{last}{n}",
        "email": f"{first.lower()}.{last.lower()}{n}@example.test",
        "phone_code": "+44",
        "contact_number": f"7700900{n:03d}",
        "admin_approval": "VERIFIED",
        "is_kyc_verified": True,
        "is_active": True,
        "shipping_country_code": "GBR",
        "raw": {"clients.detail": {"id": "x", "firstName": first}},
    }
    values.update(kw)
    client = Client.objects.create(**values)
    ShippingAddress.objects.create(
        client=client, address1=f"{n} Example Road", city="London", country_code="GBR", postal_code="NW1 0AA"
    )
    return client


def make_strain(name: str | None = None, **kw) -> Strain:
    n = next(_seq)
    strain = Strain.objects.create(
        drgreen_id=uuid.uuid4(),
        name=name or f"Synthetic Kush {n}",
        type="Hybrid",
        retail_price=Decimal("9.09"),
        is_active=True,
        is_available=True,
        **kw,
    )
    StrainAvailability.objects.create(strain=strain, country_code="GBR", is_available=True, stock_quantity=10)
    return strain


def make_order(
    client: Client | None = None,
    *,
    strain: Strain | None = None,
    status=("PENDING", "PENDING", "PENDING"),
    created_days_ago: float = 1,
    placement_state: str | None = "placed",
    lines: int = 1,
    **kw,
) -> Order:
    n = next(_seq)
    client = client or make_client()
    strain = strain or make_strain()
    order_status, admin_approval, payment_status = status
    created = timezone.now() - timedelta(days=created_days_ago)
    values = dict(
        drgreen_id=uuid.uuid4(),
        client=client,
        client_drgreen_id=client.drgreen_id,
        invoice_number=f"DG_{1715534997100 + n}",
        order_status=order_status,
        admin_approval=admin_approval,
        payment_status=payment_status,
        status_fingerprint="|".join(status),
        total_amount=Decimal("9.09") * lines,
        local_currency="GBP",
        local_total=Decimal("7.20") * lines,
        shipping_country_code="GBR",
        created_at=created,
        first_seen_at=created,
        raw={"orders.list": {"id": "x", "invoiceNumber": f"DG_{n}", "note": "<script>alert(1)</script>"}},
    )
    values.update(kw)
    order = Order.objects.create(**values)
    for i in range(lines):
        OrderLine.objects.create(
            order=order,
            position=i,
            strain=strain,
            strain_drgreen_id=strain.drgreen_id,
            strain_name=strain.name,
            quantity=Decimal("1"),
            unit_retail_price=Decimal("9.09"),
            line_amount=Decimal("9.09"),
        )
    if placement_state:
        placement = OrderPlacement.objects.create(
            client=client,
            idempotency_key=f"key-{n}",
            request_hash="0" * 64,
            state=placement_state,
            order=order,
            order_drgreen_id=order.drgreen_id,
            expected_total=Decimal("9.09"),
            lines=[{"strain_id": str(strain.drgreen_id), "quantity": 1}],
        )
        PlacementAttempt.objects.create(
            placement=placement,
            number=1,
            kind="place",
            started_at=created,
            outcome="created",
            http_status=201,
            evidence={"cart": "empty"},
        )
    Sale.objects.create(
        drgreen_id=uuid.uuid4(),
        stage="ONGOING",
        client=client,
        client_drgreen_id=client.drgreen_id,
        order=order,
        order_drgreen_id=order.drgreen_id,
    )
    return order


def add_change(
    order: Order,
    *,
    after: tuple[str, str, str],
    field: str = "admin_approval",
    before: str = "PENDING",
    notify: str | None = "sent",
    detected_at=None,
) -> StatusChange:
    order.status_sequence += 1
    order.order_status, order.admin_approval, order.payment_status = after
    order.save(update_fields=["status_sequence", "order_status", "admin_approval", "payment_status"])
    now = detected_at or timezone.now()
    change = StatusChange.objects.create(
        order=order,
        sequence=order.status_sequence,
        fingerprint_before="PENDING|PENDING|PENDING",
        fingerprint_after="|".join(after),
        fields_changed=[{"field": field, "before": before, "after": after[1]}],
        order_status=after[0],
        admin_approval=after[1],
        payment_status=after[2],
        source="orders.list",
        observed_at=now,
        detected_at=now,
    )
    if notify:
        Notification.objects.create(
            status_change=change,
            state=notify,
            recipient=order.client.email,
            template="order_verified",
            attempts=1,
        )
    return change


def make_world(n: int) -> None:
    """``n`` of everything every changelist shows, with all relations filled in."""
    strain = make_strain()
    for i in range(n):
        client = make_client()
        order = make_order(client, strain=strain, status=("PENDING", "PENDING", "PENDING"))
        add_change(order, after=("PENDING", "VERIFIED", "PENDING"))
        make_strain()
        ClientRegistration.objects.create(
            email=f"reg{i}-{next(_seq)}@example.test",
            client=client,
            payload={"firstName": "Ava", "medicalRecord": {"dob": "1990-01-01", "medicalHistory0": True}},
        )
        run = SyncRun.objects.create(
            kind=f"orders.sweep{i % 3}", state="succeeded", finished_at=timezone.now()
        )
        ApiCall.objects.create(
            method="GET",
            route="/dapp/orders",
            path="/dapp/orders?page=1",
            status=200,
            duration_ms=120,
            correlation_id=f"corr-{i}",
            sync_run=run,
        )
        SyncLease.objects.create(
            name=f"lease-{next(_seq)}", holder="worker-1", expires_at=timezone.now() + timedelta(minutes=1)
        )
        BreakerState.objects.create(name=f"breaker-{next(_seq)}")
        ApiToken.issue(name=f"token {i}", kind="storefront")
