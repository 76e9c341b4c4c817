"""The order list and page: badges, filters, search, history and read-only-ness."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integration.admin.display import badge
from integration.models import Order

from .conftest import add_change, make_client, make_order

LIST = "admin:integration_order_changelist"


def _rows(response) -> list[Order]:
    return list(response.context["cl"].result_list)


def test_badges_colour_known_values_and_show_unknown_ones_as_is():
    assert "dg-badge--ok" in badge("VERIFIED")
    assert "dg-badge--bad" in badge("REJECTED")
    assert "dg-badge--wait" in badge("PENDING")
    novel = badge("ON_HOLD_FOR_AUDIT")
    assert "dg-badge--neutral" in novel and "ON_HOLD_FOR_AUDIT" in novel
    assert "unknown" in badge("")
    # escaped, never raw HTML from the vendor
    assert "<b>" not in badge("<b>x</b>") and "&lt;b&gt;" in badge("<b>x</b>")


def test_list_shows_three_badges_and_unknown_status_verbatim(staff_client):
    make_order(status=("PENDING", "VERIFIED", "PAID"))
    make_order(status=("QUARANTINED", "", "PENDING"))
    html = staff_client.get(reverse(LIST)).content.decode()
    assert 'dg-badge--ok" title="VERIFIED"' in html
    assert 'dg-badge--ok" title="PAID"' in html
    assert 'dg-badge--neutral" title="QUARANTINED"' in html
    assert "dg-badge--blank" in html  # blank adminApproval = not known yet


@pytest.mark.parametrize(
    "query,expected",
    [
        ("admin_approval=VERIFIED", {"v"}),
        ("admin_approval=REJECTED", {"r"}),
        ("admin_approval=__unknown__", {"u"}),
        ("order_status=SHIPPED", {"v"}),
        ("payment_status=PAID", {"v"}),
        ("shipping_country_code=ZAF", {"r"}),
        ("placement_state=needs_staff", {"r"}),
        ("placement_state=__none__", {"u"}),
    ],
)
def test_filters(staff_client, query, expected):
    orders = {
        "v": make_order(status=("SHIPPED", "VERIFIED", "PAID")),
        "r": make_order(
            status=("PENDING", "REJECTED", "PENDING"),
            placement_state="needs_staff",
            shipping_country_code="ZAF",
        ),
        "u": make_order(status=("PENDING", "", "PENDING"), placement_state=None),
    }
    got = {k for k, o in orders.items() if o in _rows(staff_client.get(reverse(LIST) + "?" + query))}
    assert got == expected


def test_status_filter_offers_values_seen_in_the_mirror(staff_client):
    make_order(status=("PENDING", "ESCALATED", "PENDING"))
    response = staff_client.get(reverse(LIST))
    spec = next(f for f in response.context["cl"].filter_specs if f.parameter_name == "admin_approval")
    values = [v for v, _ in spec.lookup_choices]
    assert values[:3] == ["PENDING", "VERIFIED", "REJECTED"]
    assert "ESCALATED" in values


def test_search_by_invoice_name_email_and_correlation_id(staff_client):
    ava = make_client(first_name="Avalon", last_name="Testperson", email="avalon.t@example.test")
    target = make_order(ava)
    other = make_order()
    correlation = target.placement.correlation_id

    for term in (
        target.invoice_number,
        "Avalon Testperson",
        "avalon.t@example",
        str(correlation),
        str(target.drgreen_id),
    ):
        rows = _rows(staff_client.get(reverse(LIST), {"q": term}))
        assert rows == [target], term
    assert other not in _rows(staff_client.get(reverse(LIST), {"q": "Avalon"}))


def test_date_hierarchy_and_select_related_are_configured():
    from django.contrib import admin

    model_admin = admin.site._registry[Order]
    assert model_admin.date_hierarchy == "created_at"
    assert set(model_admin.list_select_related) >= {"client", "placement"}


def test_order_page_has_lines_history_notifications_and_console_link(staff_client, settings):
    settings.DRGREEN = {**settings.DRGREEN, "CONSOLE_URL": "https://console.example.test"}
    order = make_order(lines=2)
    add_change(order, after=("PENDING", "VERIFIED", "PENDING"))
    add_change(
        order, after=("SHIPPED", "VERIFIED", "PAID"), field="order_status", before="PENDING", notify="failed"
    )
    html = staff_client.get(reverse("admin:integration_order_change", args=[order.pk])).content.decode()

    assert "lines (strain name and prices as ordered)" in html.lower() or "Lines (strain name" in html
    assert html.count(order.lines.first().strain_name) >= 2
    assert "Status history" in html or "status history" in html
    assert "order_status:" in html and "admin_approval:" in html  # what changed, per change
    assert "Customer notifications" in html and order.client.email in html
    assert 'title="failed"' in html
    assert f"https://console.example.test/orders/{order.drgreen_id}" in html
    assert 'rel="noopener noreferrer"' in html
    # raw payload pretty-printed and escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" not in html
    assert '"invoiceNumber"' not in html  # keys are HTML-escaped quotes
    assert "&quot;invoiceNumber&quot;" in html
    # the refresh button is a POST form
    assert reverse("admin:integration_order_refresh", args=[order.pk]) in html


def test_mirrored_order_is_read_only(staff_client, admin_client_):
    order = make_order()
    for c in (staff_client, admin_client_):
        assert c.get(reverse("admin:integration_order_add")).status_code == 403
        assert c.get(reverse("admin:integration_order_delete", args=[order.pk])).status_code == 403
        page = c.get(reverse("admin:integration_order_change", args=[order.pk]))
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        response = c.post(
            reverse("admin:integration_order_change", args=[order.pk]), {"invoice_number": "HACKED"}
        )
        assert response.status_code == 403
    order.refresh_from_db()
    assert order.invoice_number != "HACKED"


def test_superuser_cannot_edit_the_mirror_either(client, db):
    from django.contrib.auth.models import User

    root = User.objects.create_superuser("root", "root@example.test", "pw-not-used-123")
    client.force_login(root)
    order = make_order()
    assert client.post(reverse("admin:integration_order_change", args=[order.pk]), {}).status_code == 403
    assert "delete_selected" not in client.get(reverse(LIST)).context["cl"].model_admin.get_actions(
        client.get(reverse(LIST)).wsgi_request
    )
