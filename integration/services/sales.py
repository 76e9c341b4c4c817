"""Dr Green's sales pipeline: mirror-only by default, with won/lost views.

The platform moves stages itself (facts §6.3): a new client gets a ``LEADS`` sale, an order
moves it to ``ONGOING`` and links it, delivery closes it. So the store reads the pipeline
and does not write it: a sale ``CLOSED`` *with* an order is won, one closed *without* an
order (a lead the holder gave up on) is lost. Writing stages back is possible
(``DRGREEN_SALES_WRITABLE = True``) but off by default: the endpoints are unguarded in the
source and the docs and source disagree on their bodies.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from integration.conf import drgreen_settings
from integration.drgreen import DrGreenError
from integration.models import Client, Sale
from integration.services.drgreen_api import drgreen_client
from integration.services.errors import ServiceError, UpstreamError
from integration.services.mirror import sales_upsert_from_list

logger = logging.getLogger("integration.sales")

CLOSED = "CLOSED"
STAGES = ("LEADS", "ONGOING", "CLOSED")
WON = Q(stage=CLOSED, order_drgreen_id__isnull=False)
LOST = Q(stage=CLOSED, order_drgreen_id__isnull=True)


def _scoped(qs: QuerySet[Sale], *, client: Client | None, since: datetime | None, until: datetime | None):
    if client is not None:
        qs = qs.filter(Q(client=client) | Q(client_drgreen_id=client.drgreen_id))
    # Dr Green stamps ``updatedAt`` when the stage moves, so for a closed sale it is the
    # closing time (the mirror keeps it as ``updated_at``).
    if since is not None:
        qs = qs.filter(updated_at__gte=since)
    if until is not None:
        qs = qs.filter(updated_at__lt=until)
    return qs


def sales_won(
    *, client: Client | None = None, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[Sale]:
    """Closed sales with an order (the delivered ones), newest closing first."""
    qs = Sale.objects.filter(WON).select_related("client", "order")
    return _scoped(qs, client=client, since=since, until=until).order_by("-updated_at", "-pk")


def sales_lost(
    *, client: Client | None = None, since: datetime | None = None, until: datetime | None = None
) -> QuerySet[Sale]:
    """Closed sales without an order (leads closed without buying), newest closing first."""
    qs = Sale.objects.filter(LOST).select_related("client")
    return _scoped(qs, client=client, since=since, until=until).order_by("-updated_at", "-pk")


def sales_outcomes(
    *, client: Client | None = None, since: datetime | None = None, until: datetime | None = None
) -> dict[str, int | Decimal]:
    """Won, lost and still-open counts plus the USD total of the won sales' orders, in one
    query over the mirror."""
    qs = _scoped(Sale.objects.all(), client=client, since=since, until=until)
    row = qs.aggregate(
        won=Count("pk", filter=WON),
        lost=Count("pk", filter=LOST),
        open=Count("pk", filter=~Q(stage=CLOSED)),
        won_total=Sum("order__total_amount", filter=WON),
    )
    return {
        "won": row["won"],
        "lost": row["lost"],
        "open": row["open"],
        "won_total_usd": row["won_total"] or Decimal("0.00"),
    }


def sale_search_term(client: Client) -> str | None:
    """What ``GET /dapp/sales?searchBy=clientName`` can find this client by.

    The backend matches ``search`` against the client's first or last name only (``contains``,
    case-insensitive, the whole term; ``sale.service.ts`` ``getAllSales``), never the email, so
    the email (what the client and order lists also match) finds nothing. The last name is
    usually the narrower term; the first name stands in when there is none."""
    for name in (client.last_name, client.first_name):
        name = (name or "").strip()
        if name:
            return name
    return None


def sales_client_refresh(
    *,
    client: Client,
    take: int = 50,
    order_drgreen_id: uuid.UUID | str | None = None,
    max_pages: int = 4,
) -> int:
    """Re-read one client's sales (newest first) through the sync path; returns how many.

    ``GET /dapp/sales`` has no client filter: the pages of a search by the client's name
    (:func:`sale_search_term`) are read, newest first, and only the sales whose client id is
    this client's are kept (a name is not unique). The walk stops after ``max_pages`` pages,
    at the last page, or as soon as the sale linked to ``order_drgreen_id`` was seen. A client
    without a name at all is looked for in the holder's newest sales, unfiltered.
    """
    term = sale_search_term(client)
    wanted = str(client.drgreen_id)
    wanted_order = str(order_drgreen_id) if order_drgreen_id is not None else None
    api = drgreen_client()
    items: list[dict] = []
    for page_no in range(1, max_pages + 1):
        try:
            page = api.list_sales(search=term, order_by="desc", take=take, page=page_no)
        except DrGreenError as exc:
            raise UpstreamError(f"Dr Green's sales could not be read ({exc.message}).") from exc
        mine = [s for s in page.items if str((s.get("client") or {}).get("id", s.get("clientId"))) == wanted]
        items += mine
        if wanted_order is not None and any(str(s.get("orderId")) == wanted_order for s in mine):
            break
        if not page.meta.has_next or not page.items:
            break
    if items:
        sales_upsert_from_list(items=items)
    return len(items)


def sale_stage_set(*, sale: Sale, stage: str, description: str | None = None) -> Sale:
    """Move a sale to ``stage`` at Dr Green, then re-read it. Refused (``sales_read_only``)
    unless ``DRGREEN_SALES_WRITABLE`` is on: the platform owns the pipeline."""
    if not drgreen_settings.operations.sales_writable:
        raise ServiceError(
            "sales_read_only",
            "Sales are mirrored from Dr Green, which moves their stages itself.",
            status=409,
        )
    stage = (stage or "").upper()
    if stage not in STAGES:
        raise ServiceError(
            "invalid_stage", f"stage must be one of {', '.join(STAGES)}", details={"stage": stage}
        )
    payload: dict[str, str] = {"stage": stage}
    if description is not None:
        payload["description"] = description
    try:
        updated = drgreen_client().update_sale(str(sale.drgreen_id), payload)
    except DrGreenError as exc:
        raise UpstreamError(f"Dr Green did not update the sale ({exc.message}).") from exc
    # The PATCH answer is the sale row (no client object); the upsert keeps what it lacks.
    sales_upsert_from_list(items=[updated])
    sale.refresh_from_db()
    return sale
