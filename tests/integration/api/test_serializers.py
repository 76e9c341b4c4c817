"""Thin faces: a serializer reads the freshness its view planned and never queues a refresh."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

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
