"""The demo journey in a real browser against the real one-command stack.

A person picks a demo customer, browses the strains of their country, checks out, and
watches the order move through its statuses live while they play Dr Green on the control
page: approve, pay, ship, deliver; and, for a second order, reject. Every step is a
screenshot in ``artifacts/``. Nothing is faked: the storefront page talks to the REST API,
the control page to the sandbox through the demo proxy, and the store learns of each
change the production way (a stale read queues a refresh, the worker polls Dr Green).
"""

from __future__ import annotations

import pytest

from .conftest import shot

LIVE_TIMEOUT_MS = 60_000  # a change must reach the storefront page within a minute


def pick_customer(page, country: str) -> None:
    label = next(o for o in page.locator("#customer option").all_inner_texts() if o.endswith(f"({country})"))
    page.select_option("#customer", label=label)
    page.wait_for_selector("#strains tbody tr[data-strain-id]")


def checkout(page, grams: list[int]) -> str:
    rows = page.locator("#strains tbody tr[data-strain-id]")
    for i, g in enumerate(grams):
        rows.nth(i).locator("input").fill(str(g))
        rows.nth(i).locator("button").click()
    page.wait_for_function(f"document.querySelectorAll('#cart li').length === {len(grams)}")
    page.click("#checkout")
    page.wait_for_selector("#placement [data-state=placed]", timeout=LIVE_TIMEOUT_MS)
    page.wait_for_selector("[data-testid=tracker-status]", timeout=LIVE_TIMEOUT_MS)
    return page.get_attribute("#tracker", "data-order-id")


def play(control, order_id: str, action: str) -> None:
    control.reload()
    button = control.locator(f'tr[data-order-id="{order_id}"] button[data-action="{action}"]')
    button.wait_for(timeout=LIVE_TIMEOUT_MS)
    button.click()
    control.wait_for_selector("#sandbox-status:has-text('done')", timeout=LIVE_TIMEOUT_MS)


def wait_trio(page, text: str) -> None:
    page.wait_for_selector(f"[data-testid=tracker-trio]:has-text('{text}')", timeout=LIVE_TIMEOUT_MS)


@pytest.mark.browser
@pytest.mark.slow
def test_order_journey_with_a_person_playing_dr_green(demo_stack, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    store, control = context.new_page(), context.new_page()
    errors: list[str] = []
    store.on("pageerror", lambda e: errors.append(str(e)))
    control.on("pageerror", lambda e: errors.append(str(e)))

    store.goto(demo_stack.web + "/")  # the root sends a person to the demo storefront
    assert store.url.endswith("/demo/")
    shot(store, "01-storefront")

    # Browse as the British customer: the catalogue is their country's, priced in pounds.
    pick_customer(store, "GBR")
    assert "ships to GBR" in store.inner_text("#profile")
    prices = store.locator("#strains tbody tr[data-strain-id] td:nth-child(4)").all_inner_texts()
    assert prices and all(p.endswith("GBP") for p in prices)
    shot(store, "02-catalogue-gbr")

    order_id = checkout(store, [2, 1])
    assert store.get_attribute("[data-testid=tracker-status]", "data-code") == "in_review"
    wait_trio(store, "approval PENDING")
    shot(store, "03-placed")

    control.goto(demo_stack.web + "/demo/sandbox/")
    control.wait_for_selector(f'tr[data-order-id="{order_id}"]')
    shot(control, "04-control-page")

    for action, seen, name in (
        ("approve", "approval VERIFIED", "05-approved"),
        ("pay", "payment PAID", "06-paid"),
        ("ship", "order SHIPPED", "07-shipped"),
        ("deliver", "order DELIVERED", "08-delivered"),
    ):
        play(control, order_id, action)
        wait_trio(store, seen)  # the storefront page sees it on its own, no reload
        shot(store, name)

    history = store.locator("[data-testid=history] li").all_inner_texts()
    assert len(history) >= 4, history
    assert store.get_attribute("[data-testid=tracker-status]", "data-code") == "delivered"

    # A second customer's order, which Dr Green rejects.
    pick_customer(store, "PRT")
    rejected_id = checkout(store, [1])
    play(control, rejected_id, "reject")
    wait_trio(store, "approval REJECTED")
    shot(store, "09-rejected")
    shot(control, "10-control-after")

    assert errors == []
    context.close()

    # And the one-command stack stops cleanly on Ctrl-C, leaving no process behind.
    assert demo_stack.stop_like_ctrl_c() == 0
    assert "[dev] stopped" in demo_stack.text
