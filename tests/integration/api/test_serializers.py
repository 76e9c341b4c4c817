"""Thin faces: a serializer reads the freshness its view planned and never queues a refresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from integration.api.views.orders import OrderStatusApi
from integration.services import storefront
from integration.services.storefront import REFRESH_QUEUED, RefreshPlanner

from ..services.notify.factories import make_order


@pytest.mark.django_db
def test_the_view_plans_the_refresh_and_serializing_queues_nothing(monkeypatch):
    queued = []
    monkeypatch.setattr(
        storefront,
        "order_refresh_enqueue",
        lambda *, order, breaker_open: queued.append(order.pk) or REFRESH_QUEUED,
    )
    order = make_order(last_synced_at=timezone.now() - timedelta(hours=1))  # stale: a refresh is due
    freshness = RefreshPlanner().plan([order])
    assert queued == [order.pk]
    data = OrderStatusApi.OutputSerializer(order, context={"freshness": freshness}).data
    assert data["freshness"]["refresh"] == REFRESH_QUEUED and data["freshness"]["stale"] is True
    assert queued == [order.pk]  # serializing queued nothing more


@pytest.mark.django_db
def test_a_serializer_without_a_plan_fails_loudly_instead_of_queueing(monkeypatch):
    monkeypatch.setattr(
        storefront, "order_refresh_enqueue", lambda **kw: pytest.fail("serializer queued work")
    )
    with pytest.raises(KeyError):
        OrderStatusApi.OutputSerializer(make_order(), context={}).data  # noqa: B018


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("statuses", "invoice"),
    [
        (("PENDING", "PENDING", "PENDING"), "INV-1"),
        (("DELIVERED", "VERIFIED", "PAID"), ""),
        (("", "", ""), "INV-ü"),
        (("CANCELLED", "REJECTED", "FAILED"), "INV-2"),
    ],
)
@pytest.mark.parametrize("age", [timedelta(0), timedelta(hours=2)])
def test_the_status_read_renders_exactly_what_its_declared_fields_do(monkeypatch, statuses, invoice, age):
    # The polled read builds its answer directly (no copy of the fields per request); the
    # generic DRF path over the same declared fields must give the same keys, order and values.
    monkeypatch.setattr(storefront, "order_refresh_enqueue", lambda *, order, breaker_open: REFRESH_QUEUED)
    order_status, admin_approval, payment_status = statuses
    order = make_order(
        order_status=order_status,
        admin_approval=admin_approval,
        payment_status=payment_status,
        invoice_number=invoice,
        last_synced_at=timezone.now() - age,
    )
    serializer = OrderStatusApi.OutputSerializer(order, context={"freshness": RefreshPlanner().plan([order])})
    generic = serializers.Serializer.to_representation(serializer, order)
    assert list(serializer.data.items()) == list(generic.items())
    assert JSONRenderer().render(serializer.data) == JSONRenderer().render(generic)
