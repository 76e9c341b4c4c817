"""The admin index's "needs staff" panel (the site class itself is
``integration.admin_site.StoreAdminSite``, outside this package; see its docstring)."""

from __future__ import annotations

from datetime import datetime

from django.apps import apps

from integration.selectors import console as selectors

from .display import changelist_url


def attention_context(request, *, now: datetime) -> dict:
    """Put what needs a person first: placements whose outcome is unknown or that asked for
    staff, orders waiting on Dr Green longer than usual, and an open breaker. Each part only
    for users allowed to see those records."""
    user = request.user
    see_placements = user.has_perm("integration.view_orderplacement")
    see_orders = user.has_perm("integration.view_order")
    if not (see_placements or see_orders):
        return {"attention": None}
    return {
        "attention": selectors.attention(now=now, placements=see_placements, orders=see_orders),
        "attention_links": {
            "placements": changelist_url(
                apps.get_model("integration", "OrderPlacement"),
                state__in=",".join(selectors.STAFF_PLACEMENT_STATES),
            ),
            "orders": changelist_url(apps.get_model("integration", "Order"), waiting="long"),
        },
    }
