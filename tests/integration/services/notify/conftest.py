from __future__ import annotations

from collections.abc import Iterator

import pytest

from integration.services.notify import notifications_create_for_change

from .factories import make_change, make_order


@pytest.fixture
def eager_tasks() -> Iterator[None]:
    """Run ``delay()``/``apply_async()`` in-process, so no message reaches a shared broker.

    Both the project's app and Celery's *current* app: ``shared_task`` proxies resolve
    through the current app, which another test's app (e.g. the observability chain app)
    may have become.
    """
    from celery import current_app

    from drgreen_store.celery import app

    apps = {id(a): a for a in (app, current_app._get_current_object())}.values()
    saved = [(a, a.conf.task_always_eager, a.conf.task_eager_propagates) for a in apps]
    for a, _, _ in saved:
        a.conf.task_always_eager, a.conf.task_eager_propagates = True, True
    try:
        yield
    finally:
        for a, eager, propagates in saved:
            a.conf.task_always_eager, a.conf.task_eager_propagates = eager, propagates


@pytest.fixture
def pending_notification(db):
    """A ``pending`` email for an approval of a fresh order (nothing sent yet)."""
    order = make_order()
    change = make_change(order, ("admin_approval", "PENDING", "VERIFIED"))
    (row,) = notifications_create_for_change(status_change_id=change.pk).notifications
    assert row.state == "pending"
    return row
