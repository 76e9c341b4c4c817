"""Sales pipeline entries (``GET /dapp/sales``), mirror-only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone

from integration.models import Order, Sale

from . import rows as r
from .clients import client_ref_from, clients_ensure
from .parsing import as_dict, parse_str, parse_uuid, parse_when, payload_redact
from .results import UpsertResult
from .transactions import run_page


def map_sale(item: Any) -> tuple[r.Row, Any] | None:
    item = as_dict(item)
    drgreen_id = parse_uuid(item.get("id"), field="sale.id")
    if drgreen_id is None:
        return None
    values: dict[str, Any] = {}
    stage = parse_str(item.get("stage"), max_length=32)
    if stage:
        values["stage"] = stage.upper()
    if "description" in item:
        values["description"] = parse_str(item["description"]) or ""  # null when unset
    if "orderId" in item:
        values["order_drgreen_id"] = parse_uuid(item["orderId"], field="sale.orderId")
    for key, name in (("createdAt", "created_at"), ("updatedAt", "updated_at")):
        when = parse_when(item.get(key), field=key)
        if when is not None:
            values[name] = when
    ref = client_ref_from(item.get("client"), fallback_id=parse_uuid(item.get("clientId"), field="clientId"))
    if ref is not None:
        values["client_drgreen_id"] = ref.drgreen_id
    # The description is free text (it may copy a name): the column holds it, raw does not.
    payload = payload_redact({k: v for k, v in item.items() if k != "description"})
    return r.Row(drgreen_id, values=values, payload=payload), ref


def sales_map_list(items: list[Any]) -> list[tuple[r.Row, Any] | None]:
    """``map_sale`` of each list item, aligned with ``items`` (``None``: no usable id).
    Pure (no database), so the reconcile runs it in its fetch thread, ahead of the write."""
    return [map_sale(item) for item in items or []]


def sales_upsert_from_list(*, items: list[Any], observed_at: datetime | None = None) -> UpsertResult:
    """Items of ``GET /dapp/sales`` (``data.sales``). The client may become a stub; an order
    not mirrored yet stays as ``order_drgreen_id`` until the order upsert links it."""
    return sales_upsert_mapped(sales_map_list(items), observed_at=observed_at)


def sales_upsert_mapped(
    pairs: list[tuple[r.Row, Any] | None], *, observed_at: datetime | None = None
) -> UpsertResult:
    """The write half of ``sales_upsert_from_list``, for items already mapped."""
    observed_at = observed_at or timezone.now()
    source = "sales.list"
    kept, skipped = r.usable(pairs, source=source)
    mapped: dict[uuid.UUID, tuple[r.Row, Any]] = {pair[0].drgreen_id: pair for pair in kept}

    def page() -> UpsertResult:
        result = UpsertResult(skipped=skipped)
        if not mapped:
            return result
        clients, result.stub_client_ids = clients_ensure(
            refs=[ref for _, ref in mapped.values() if ref is not None], observed_at=observed_at
        )
        order_ids = {row.values.get("order_drgreen_id") for row, _ in mapped.values()} - {None}
        orders = dict(
            Order.objects.filter(r.ids_filter(Order, "drgreen_id", order_ids)).values_list("drgreen_id", "pk")
        )
        for row, ref in mapped.values():
            if ref is not None:
                row.values["client_id"] = clients[ref.drgreen_id].pk
                if clients[ref.drgreen_id].erased:  # services/privacy: free text not kept
                    row.values.pop("description", None)
            if "order_drgreen_id" in row.values:
                row.values["order_id"] = orders.get(row.values["order_drgreen_id"])
        r.upsert_plain(
            Sale, {sid: row for sid, (row, _) in mapped.items()}, source=source, observed_at=observed_at,
            result=result,
        )  # fmt: skip
        return result

    return run_page(page)
