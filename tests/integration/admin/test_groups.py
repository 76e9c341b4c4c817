"""The groups "Store staff" and "Store admin", their permissions, and what each may open."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.urls import reverse

from integration.admin.groups import ADMIN_GROUP, STAFF_GROUP, groups_ensure
from integration.models import ApiToken

from .conftest import make_order


def _codenames(name: str) -> set[str]:
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def test_groups_exist_after_migrate(db):
    # Created by the post_migrate receiver while the test database was built.
    assert Group.objects.filter(name__in=[STAFF_GROUP, ADMIN_GROUP]).count() == 2


def test_staff_may_view_everything_but_tokens(db):
    groups_ensure()
    staff = _codenames(STAFF_GROUP)
    assert {
        "view_order",
        "view_client",
        "view_orderplacement",
        "view_notification",
        "view_syncrun",
        "view_apicall",
        "view_clientregistration",
    } <= staff
    assert all(c.startswith("view_") for c in staff)
    assert "view_apitoken" not in staff


def test_store_admin_has_everything_including_tokens(db):
    groups_ensure()
    admin = _codenames(ADMIN_GROUP)
    integration = set(
        Permission.objects.filter(content_type__app_label="integration").values_list("codename", flat=True)
    )
    assert integration <= admin
    assert {"add_apitoken", "change_apitoken", "delete_apitoken", "view_apitoken", "view_user"} <= admin


def test_command_is_idempotent_and_repairs_hand_edits(db):
    out = StringIO()
    call_command("drgreen_setup_groups", stdout=out)
    first = {name: _codenames(name) for name in (STAFF_GROUP, ADMIN_GROUP)}
    # someone gave staff the token permissions by hand
    Group.objects.get(name=STAFF_GROUP).permissions.add(Permission.objects.get(codename="view_apitoken"))
    call_command("drgreen_setup_groups", stdout=out)
    call_command("drgreen_setup_groups", stdout=out)
    assert {name: _codenames(name) for name in (STAFF_GROUP, ADMIN_GROUP)} == first
    assert Group.objects.filter(name__in=[STAFF_GROUP, ADMIN_GROUP]).count() == 2
    assert "Store staff:" in out.getvalue()


@pytest.mark.parametrize("model", ["order", "client", "orderplacement", "syncrun", "apicall", "notification"])
def test_staff_can_open_the_console(staff_client, model):
    assert staff_client.get(reverse(f"admin:integration_{model}_changelist")).status_code == 200


def test_staff_cannot_see_tokens(staff_client, db):
    token, _ = ApiToken.issue(name="storefront", kind="storefront")
    assert staff_client.get(reverse("admin:integration_apitoken_changelist")).status_code == 403
    assert staff_client.get(reverse("admin:integration_apitoken_change", args=[token.pk])).status_code == 403
    assert "Api tokens" not in staff_client.get(reverse("admin:index")).content.decode()


def test_store_admin_sees_tokens_but_still_cannot_edit_the_mirror(admin_client_):
    order = make_order()
    assert admin_client_.get(reverse("admin:integration_apitoken_changelist")).status_code == 200
    assert admin_client_.get(reverse("admin:integration_order_add")).status_code == 403
    assert (
        admin_client_.post(reverse("admin:integration_order_change", args=[order.pk]), {}).status_code == 403
    )
