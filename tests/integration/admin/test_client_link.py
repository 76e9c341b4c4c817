"""Staff link a client to a storefront account by hand: store admins only, written to the
admin log, never a staff account, never a client someone else holds."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse

from integration.models import Client

from .conftest import make_client

pytestmark = pytest.mark.django_db


def _customer(name: str):
    return get_user_model().objects.create_user(name, f"{name}@example.test", None)


def test_a_store_admin_links_by_hand_and_it_is_logged(admin_client_, store_admin_user):
    client = make_client()
    customer = _customer("patient1")
    url = reverse("admin:integration_client_link_user", args=[client.pk])
    page = admin_client_.get(reverse("admin:integration_client_change", args=[client.pk]))
    assert url in page.content.decode()
    r = admin_client_.post(url, {"user": "patient1@example.test"})
    assert r.status_code == 302
    assert Client.objects.get(pk=client.pk).user_id == customer.pk
    entry = LogEntry.objects.get(object_id=str(client.pk))
    assert entry.user_id == store_admin_user.pk and f"#{customer.pk}" in entry.get_change_message()


def test_plain_staff_cannot_link(staff_client):
    client = make_client()
    _customer("patient2")
    url = reverse("admin:integration_client_link_user", args=[client.pk])
    assert staff_client.post(url, {"user": "patient2"}).status_code == 403
    assert Client.objects.get(pk=client.pk).user_id is None


def test_a_held_client_or_a_staff_account_is_refused(admin_client_, store_admin_user):
    holder = _customer("holder")
    client = make_client(user=holder)
    _customer("other")
    url = reverse("admin:integration_client_link_user", args=[client.pk])
    r = admin_client_.post(url, {"user": "other"})
    assert r.status_code == 200 and "another customer" in r.content.decode()
    free = make_client()
    r = admin_client_.post(
        reverse("admin:integration_client_link_user", args=[free.pk]), {"user": store_admin_user.username}
    )
    assert r.status_code == 200 and Client.objects.get(pk=free.pk).user_id is None
    assert Client.objects.get(pk=client.pk).user_id == holder.pk
    assert not LogEntry.objects.exists()
