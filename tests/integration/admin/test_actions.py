"""Actions queue Celery tasks after commit, pass ids, report back, and never call Dr Green."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from integration.admin import enqueue as enqueue_module
from integration.admin import task_refs
from integration.models import BreakerState, Notification, OrderPlacement

from .conftest import add_change, make_client, make_order


class FakeTask:
    def __init__(self, path, calls, fail=False):
        self.name = path
        self.calls = calls
        self.fail = fail

    def apply_async(self, kwargs):
        if self.fail:
            raise ConnectionError("broker down")
        self.calls.append((self.name, kwargs))


@pytest.fixture
def queued(monkeypatch):
    """Replaces task lookup: records (task path, kwargs) instead of talking to a broker."""
    calls: list[tuple[str, dict]] = []
    monkeypatch.setattr(enqueue_module, "import_string", lambda path: FakeTask(path, calls))
    return calls


@pytest.fixture(autouse=True)
def no_drgreen(monkeypatch):
    """Any Dr Green client built during a request fails the test."""

    def boom(*a, **k):
        raise AssertionError("the admin called Dr Green inside a request")

    monkeypatch.setattr("integration.services.drgreen_api.drgreen_client", boom)
    monkeypatch.setattr("integration.services.summaries.drgreen_client", boom)


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _act(client, model, action, pks, **extra):
    return client.post(
        reverse(f"admin:integration_{model}_changelist"),
        {"action": action, ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], "index": 0, **extra},
        follow=True,
    )


def test_refresh_orders_is_queued_after_commit_with_ids(
    staff_client, queued, django_capture_on_commit_callbacks
):
    orders = [make_order(), make_order()]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _act(staff_client, "order", "refresh_from_drgreen", [o.pk for o in orders])
    # nothing was sent before the transaction committed
    assert queued == []
    for callback in callbacks:
        callback()
    assert sorted(queued, key=lambda c: c[1]["order_id"]) == [
        (task_refs.ORDER_REFRESH.path, {"order_id": o.pk}) for o in sorted(orders, key=lambda o: o.pk)
    ]
    assert any("Queued a refresh from Dr Green for 2 orders" in m for m in _messages(response))


def test_refresh_clients(staff_client, queued, django_capture_on_commit_callbacks):
    c = make_client()
    with django_capture_on_commit_callbacks(execute=True):
        _act(staff_client, "client", "refresh_from_drgreen", [c.pk])
    assert queued == [(task_refs.CLIENT_REFRESH.path, {"client_id": c.pk})]


def test_refresh_button_on_the_order_page(staff_client, queued, django_capture_on_commit_callbacks):
    order = make_order()
    url = reverse("admin:integration_order_refresh", args=[order.pk])
    assert staff_client.get(url).status_code == 403  # a GET never queues work
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:integration_order_change", args=[order.pk])
    assert queued == [(task_refs.ORDER_REFRESH.path, {"order_id": order.pk})]
    assert any("Queued a refresh" in m for m in _messages(response))


@pytest.mark.django_db(transaction=True)
def test_broker_down_is_reported_not_hidden(staff_client, monkeypatch):
    # Real autocommit (as in production, no ATOMIC_REQUESTS): the send happens during the
    # request, so a broker that is down is shown to the user instead of a false "queued".
    calls = []
    monkeypatch.setattr(enqueue_module, "import_string", lambda path: FakeTask(path, calls, fail=True))
    order = make_order()
    response = _act(staff_client, "order", "refresh_from_drgreen", [order.pk])
    assert any("task queue is not reachable" in m for m in _messages(response))
    assert not any(m.startswith("Queued") for m in _messages(response))


def test_missing_task_module_is_reported(staff_client, monkeypatch, db):
    def missing(path):
        raise ImportError(path)

    monkeypatch.setattr(enqueue_module, "import_string", missing)
    response = _act(staff_client, "order", "refresh_from_drgreen", [make_order().pk])
    assert any("is not installed" in m for m in _messages(response))


def test_too_many_rows_are_refused(staff_client, queued, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr("integration.admin.base.MAX_ROWS_PER_ACTION", 2)
    orders = [make_order() for _ in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(staff_client, "order", "refresh_from_drgreen", [o.pk for o in orders])
    assert queued == []
    assert any("at most 2" in m for m in _messages(response))


def test_open_breaker_is_mentioned(staff_client, queued, django_capture_on_commit_callbacks):
    BreakerState.objects.create(
        name="drgreen", state="open", opened_until=timezone.now() + timedelta(minutes=5), last_error="503 x3"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(staff_client, "order", "refresh_from_drgreen", [make_order().pk])
    assert any("paused by the circuit breaker" in m and "503 x3" in m for m in _messages(response))


def test_recover_queues_only_unsettled_placements(staff_client, queued, django_capture_on_commit_callbacks):
    unknown = make_order(placement_state="unknown").placement
    staff = make_order(placement_state="needs_staff").placement
    placed = make_order(placement_state="placed").placement
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(staff_client, "orderplacement", "recover", [unknown.pk, staff.pk, placed.pk])
    assert sorted(kw["placement_id"] for _, kw in queued) == sorted([unknown.pk, staff.pk])
    assert {path for path, _ in queued} == {task_refs.PLACEMENT_RECOVER.path}
    messages = _messages(response)
    assert any("Skipped 1 placement" in m for m in messages)
    assert any("Queued a recovery for 2 placements" in m for m in messages)
    assert OrderPlacement.objects.get(pk=placed.pk).state == "placed"  # the admin changed nothing


def test_resend_asks_for_confirmation_first(
    staff_client, queued, staff_user, django_capture_on_commit_callbacks
):
    order = make_order()
    change = add_change(order, after=("PENDING", "VERIFIED", "PENDING"), notify="sent")
    notification = Notification.objects.get(status_change=change)

    with django_capture_on_commit_callbacks(execute=True):
        first = _act(staff_client, "notification", "resend", [notification.pk])
    html = first.content.decode()
    assert queued == []
    assert "Re-send notifications?" in html and notification.recipient in html
    assert "already sent" in html  # warns that the customer gets a second copy
    assert 'name="confirm" value="yes"' in html

    with django_capture_on_commit_callbacks(execute=True):
        second = _act(staff_client, "notification", "resend", [notification.pk], confirm="yes")
    assert queued == [
        (
            task_refs.NOTIFICATION_RESEND.path,
            {"notification_id": notification.pk, "by_user_id": staff_user.pk},
        )
    ]
    assert any("Queued a re-send for 1 notifications" in m for m in _messages(second))


def test_user_without_view_permission_cannot_queue(client, queued, db):
    from django.contrib.auth.models import User

    outsider = User.objects.create_user("outsider", password="pw-123-not-used", is_staff=True)
    client.force_login(outsider)
    order = make_order()
    assert client.post(reverse("admin:integration_order_refresh", args=[order.pk])).status_code == 403
    response = _act(client, "order", "refresh_from_drgreen", [order.pk])
    assert response.status_code == 403
    assert queued == []
