"""A staff member's path through the console in a real browser (Playwright + Debian's
headless Chromium): log in, filter orders by adminApproval, open one, refresh it from
Dr Green, and see the status change appear in its history.

The refresh task is replaced by a stand-in "worker" that runs synchronously in the live
server and feeds the order through the real upsert path, as if Dr Green's order list now
said VERIFIED; everything else (login, admin views, templates, enqueue) is the real thing.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from integration.admin import enqueue as enqueue_module
from integration.admin import task_refs
from integration.admin.groups import STAFF_GROUP, groups_ensure
from integration.models import Order, StatusChange
from integration.services.mirror import orders_upsert_from_list

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason=f"Debian's Chromium is not installed at {CHROMIUM}"
    ),
]


def list_item(order_id: str, client_id: str, *, approval: str, invoice: str, first: str, last: str) -> dict:
    """A synthetic ``GET /dapp/orders`` item (the only shape with all three statuses)."""
    return {
        "id": order_id,
        "invoiceNumber": invoice,
        "orderStatus": "PENDING",
        "adminApproval": approval,
        "paymentStatus": "PENDING",
        "totalAmount": 9.09,
        "createdAt": (timezone.now() - timedelta(hours=3)).isoformat(),
        "client": {
            "id": client_id,
            "firstName": first,
            "lastName": last,
            "shippings": [{"countryCode": "GBR"}],
        },
        "shipping": {"country": "United Kingdom", "countryCode": "GBR"},
        "_count": {"orderLines": 1},
        "localPrice": {"currency": "GBP", "totalAmount": 7.2},
    }


@pytest.fixture
def scene(transactional_db, monkeypatch):
    groups_ensure()
    user = User.objects.create_user("casey.staff", password="console-pass-123", is_staff=True)
    user.groups.add(Group.objects.get(name=STAFF_GROUP))

    pending = list_item(
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        approval="PENDING",
        invoice="DG_BROWSER_PENDING",
        first="Ava",
        last="Browserton",
    )
    verified = list_item(
        str(uuid.uuid4()),
        str(uuid.uuid4()),
        approval="VERIFIED",
        invoice="DG_BROWSER_VERIFIED",
        first="Ben",
        last="Examplename",
    )
    orders_upsert_from_list(items=[pending, verified], observed_at=timezone.now() - timedelta(minutes=10))

    refreshed: list[int] = []

    class StandInRefresh:
        """What the worker would do: re-read the order (Dr Green now says VERIFIED) and
        run it through the one upsert path, which records the status change."""

        name = task_refs.ORDER_REFRESH.path

        def apply_async(self, kwargs):
            order = Order.objects.get(pk=kwargs["order_id"])
            is_pending = str(order.drgreen_id) == pending["id"]
            item = dict(pending, adminApproval="VERIFIED") if is_pending else verified
            orders_upsert_from_list(items=[item], observed_at=timezone.now())
            refreshed.append(order.pk)

    monkeypatch.setattr(enqueue_module, "import_string", lambda path: StandInRefresh())
    return {"pending": Order.objects.get(drgreen_id=pending["id"]), "refreshed": refreshed}


def test_staff_filters_opens_refreshes_and_sees_history(live_server, scene):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    order = scene["pending"]
    assert not StatusChange.objects.filter(order=order).exclude(fingerprint_before="").exists()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # log in
            page.goto(f"{live_server.url}/admin/login/?next=/admin/")
            page.fill("#id_username", "casey.staff")
            page.fill("#id_password", "console-pass-123")
            page.click("input[type=submit]")
            expect(page.locator("#site-name")).to_contain_text("Dr Green store console")

            # filter the order list by adminApproval = PENDING
            page.goto(f"{live_server.url}/admin/integration/order/")
            expect(page.locator("#result_list")).to_contain_text("DG_BROWSER_VERIFIED")
            page.locator("#changelist-filter a[href*='admin_approval=PENDING']").first.click()
            assert "admin_approval=PENDING" in page.url
            results = page.locator("#result_list")
            expect(results).to_contain_text("DG_BROWSER_PENDING")
            expect(results).not_to_contain_text("DG_BROWSER_VERIFIED")
            expect(results.locator(".dg-badge", has_text="PENDING").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "admin-orders-filtered.png"), full_page=True)

            # open it
            results.get_by_role("link", name="DG_BROWSER_PENDING").click()
            expect(page.locator("h2", has_text="Status history")).to_be_visible()
            expect(page.locator("#dg-refresh")).to_be_visible()

            # trigger a refresh: queued, reported back, and the stand-in worker ran it
            page.click("#dg-refresh")
            expect(page.locator(".messagelist")).to_contain_text("Queued a refresh from Dr Green for 1 order")
            assert scene["refreshed"] == [order.pk]

            # its history now shows the change the refresh detected
            history = page.locator(".inline-group", has_text="Status history")
            expect(history).to_contain_text("admin_approval")
            expect(history.locator(".dg-badge", has_text="VERIFIED").first).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "admin-order-refreshed.png"), full_page=True)

            # the dashboard renders for the same user (inline SVG chart, no external assets)
            page.goto(f"{live_server.url}/admin/dashboard/")
            expect(page.locator("#dg-orders-per-day svg.dg-chart")).to_be_visible()
            page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)
        finally:
            browser.close()

    change = StatusChange.objects.get(order=order, sequence=order.status_sequence + 1)
    assert change.admin_approval == "VERIFIED"
    assert (ARTIFACTS / "admin-order-refreshed.png").stat().st_size > 10_000
