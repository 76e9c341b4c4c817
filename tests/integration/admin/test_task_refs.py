"""The console's task references point at real, registered Celery tasks that take the id
keyword the console passes (a renamed task or argument must fail here, not at click time)."""

from __future__ import annotations

import inspect

import pytest

from drgreen_store.celery import app
from integration.admin import task_refs

RESOLVED = [
    (task_refs.ORDER_REFRESH, "integration.order_refresh"),
    (task_refs.CLIENT_REFRESH, "integration.client_refresh"),
    (task_refs.PLACEMENT_RECOVER, "integration.placement_recover"),
    (task_refs.NOTIFICATION_RESEND, "integration.notification_resend"),
    (task_refs.SUMMARIES_SNAPSHOT, "integration.summaries_snapshot"),
]


@pytest.mark.parametrize("ref,name", RESOLVED, ids=[name for _, name in RESOLVED])
def test_task_ref_resolves_to_a_registered_task_taking_the_id(ref, name):
    task = ref.resolve()
    assert task.name == name
    assert name in app.tasks
    assert ref.id_kwarg in inspect.signature(task.run).parameters


def test_resend_task_takes_the_staff_user():
    # The console passes who asked, for the notification's audit note.
    assert "by_user_id" in inspect.signature(task_refs.NOTIFICATION_RESEND.resolve().run).parameters
