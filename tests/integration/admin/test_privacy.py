"""The console's privacy pieces: the erasure action (store admins, confirmation first) and
the staff access log (written by the client and order pages and the staff API, read-only
in the admin, append-only, pruned by age)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from integration.models import AccessLogEntry, ApiToken, Client, ErasureRecord, TokenKind
from integration.services.privacy.retention import access_log_prune

from .conftest import add_change, make_client, make_order

pytestmark = pytest.mark.django_db


def _erase(client, pks, **extra):
    return client.post(
        reverse("admin:integration_client_changelist"),
        {"action": "erase_customers", ACTION_CHECKBOX_NAME: [str(pk) for pk in pks], "index": 0, **extra},
    )


def test_store_staff_cannot_erase(staff_client):
    c = make_client()
    page = staff_client.get(reverse("admin:integration_client_changelist"))
    assert b"erase_customers" not in page.content
    _erase(staff_client, [c.pk], confirm="yes")
    assert Client.objects.get(pk=c.pk).erased_at is None
    assert not ErasureRecord.objects.exists()


def test_store_admin_confirms_then_erases(admin_client_, store_admin_user):
    user = User.objects.create_user("shopper", "shopper@example.test", "pw")
    c = make_client(user=user)
    order = make_order(c)
    first = _erase(admin_client_, [c.pk])
    assert first.status_code == 200 and b"This cannot be undone" in first.content
    assert Client.objects.get(pk=c.pk).erased_at is None  # nothing happened yet
    _erase(admin_client_, [c.pk], confirm="yes")
    c.refresh_from_db()
    assert c.erased_at is not None and c.email == "" and c.first_name == ""
    assert not c.shipping_addresses.exists()
    record = ErasureRecord.objects.get()
    assert (record.source, record.requested_by, record.user_id) == ("admin", "storeadmin", user.pk)
    order.refresh_from_db()
    assert order.invoice_number and order.total_amount is not None
    assert not User.objects.get(pk=user.pk).is_active


def test_client_pages_are_logged(staff_client, staff_user):
    c = make_client()
    staff_client.get(reverse("admin:integration_client_change", args=[c.pk]))
    entry = AccessLogEntry.objects.get()
    assert (entry.staff_id, entry.client_id, entry.client_drgreen_id) == (staff_user.pk, c.pk, c.drgreen_id)
    assert entry.view == "admin:client_change" and str(c.pk) in entry.path
    other = make_client()
    staff_client.get(reverse("admin:integration_client_changelist"))
    listed = AccessLogEntry.objects.filter(view="admin:client_list")
    assert {e.client_id for e in listed} == {c.pk, other.pk}


def test_order_pages_are_logged(staff_client, staff_user):
    order = make_order()
    staff_client.get(reverse("admin:integration_order_change", args=[order.pk]))
    assert AccessLogEntry.objects.filter(view="admin:order_change", client_id=order.client_id).count() == 1
    staff_client.get(reverse("admin:integration_order_changelist"))
    assert AccessLogEntry.objects.filter(view="admin:order_list", client_id=order.client_id).count() == 1


@pytest.mark.parametrize("model", ["clientregistration", "orderplacement", "sale", "notification"])
def test_the_other_pages_that_name_a_client_are_logged(staff_client, model):
    from integration.models import ClientRegistration, Notification, OrderPlacement, Sale

    order = make_order()  # with a placed placement
    add_change(order, after=("PENDING", "VERIFIED", "PENDING"))  # and a notification
    if not Sale.objects.exists():
        Sale.objects.create(drgreen_id=uuid.uuid4(), stage="ONGOING", client=order.client)
    ClientRegistration.objects.create(email="r@example.test", payload={}, client=order.client)
    row = (
        {
            "clientregistration": ClientRegistration,
            "orderplacement": OrderPlacement,
            "sale": Sale,
            "notification": Notification,
        }[model]
        .objects.order_by("pk")
        .last()
    )
    view = {"clientregistration": "registration", "orderplacement": "placement"}.get(model, model)
    assert staff_client.get(reverse(f"admin:integration_{model}_changelist")).status_code == 200
    assert staff_client.get(reverse(f"admin:integration_{model}_change", args=[row.pk])).status_code == 200
    for page in ("list", "change"):
        entry = AccessLogEntry.objects.get(view=f"admin:{view}_{page}")
        assert (entry.client_id, entry.client_drgreen_id) == (order.client_id, order.client.drgreen_id)


def test_staff_api_reads_are_logged(client):
    from tests.integration.api.conftest import make_sale, make_user

    staff = make_user(staff=True)
    token = ApiToken.issue(name="ops", kind=TokenKind.STAFF, user=staff)[1]
    order = make_order()
    make_sale(order.client, stage="CLOSED", order=order)
    auth = {"HTTP_AUTHORIZATION": f"Token {token}"}
    assert client.get(f"/api/v1/staff/orders/{order.drgreen_id}", **auth).status_code == 200
    assert client.get("/api/v1/staff/sales", **auth).status_code == 200
    views = sorted(AccessLogEntry.objects.values_list("view", "client_drgreen_id"))
    assert views == [
        ("api:staff-order", order.client.drgreen_id),
        ("api:staff-sales", order.client.drgreen_id),
    ]
    # A staff token acts for its (active staff) user: the log names that user.
    assert {(e.staff_id, e.staff_username) for e in AccessLogEntry.objects.all()} == {
        (staff.pk, staff.get_username())
    }


def test_the_log_is_append_only_and_read_only_in_the_admin(admin_client_, store_admin_user):
    c = make_client()
    admin_client_.get(reverse("admin:integration_client_change", args=[c.pk]))
    entry = AccessLogEntry.objects.get()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        AccessLogEntry.objects.update(view="x")
    change = admin_client_.get(reverse("admin:integration_accesslogentry_change", args=[entry.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert admin_client_.get(reverse("admin:integration_accesslogentry_add")).status_code == 403
    delete = reverse("admin:integration_accesslogentry_delete", args=[entry.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()


def test_the_log_is_pruned_after_its_retention(db, settings):
    settings.DRGREEN_PRIVACY = {"ACCESS_LOG_RETENTION_DAYS": 90}
    now = timezone.now()
    old = AccessLogEntry.objects.create(view="admin:client_change", at=now - timedelta(days=91))
    new = AccessLogEntry.objects.create(view="admin:client_change", at=now - timedelta(days=89))
    assert access_log_prune(now=now) == 1
    assert list(AccessLogEntry.objects.values_list("pk", flat=True)) == [new.pk]
    assert old.pk != new.pk
