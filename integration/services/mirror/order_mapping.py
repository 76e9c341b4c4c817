"""Order payloads → model values, one function for every shape (facts §6.2, §6.1).

- orders.list: all three statuses; ``client{id, names, shippings[{countryCode}]}``, flat
  ``shipping``, ``_count``, ``localPrice``; no ``updatedAt``.
- orders.recent: no ``adminApproval``, no ``invoiceNumber``/``totalAmount``; full
  ``client.shippings`` (copied to top-level ``shippings``).
- orders.detail (``data.orderDetails``): no ``adminApproval``; ``orderLines[].strain``,
  ``localPrice``, ``deliveryFee``; ``totalAmount`` recomputed from today's prices.
- client orders (``/dapp/client/{id}/orders``): no ``adminApproval``, no client (the path
  names it).
- create (``POST /dapp/orders``): the whole order row, all three statuses, ``clientId``,
  ``shippingId``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from integration.models import MONEY, QUANTITY

from .clients import ClientRef, client_ref_from
from .parsing import (
    as_dict,
    first_dict,
    logger,
    parse_decimal,
    parse_int,
    parse_status,
    parse_str,
    parse_uuid,
    parse_when,
    payload_redact,
)
from .rows import Row

_MONEY = MONEY["decimal_places"]
_QTY = QUANTITY["decimal_places"]
STATUS_KEYS = {
    "orderStatus": "order_status",
    "adminApproval": "admin_approval",
    "paymentStatus": "payment_status",
}


@dataclass
class LineData:
    position: int
    strain_drgreen_id: uuid.UUID | None
    strain_name: str
    quantity: Decimal | None
    unit_retail_price: Decimal | None
    unit_wholesale_price: Decimal | None
    line_amount: Decimal | None
    raw: dict

    @property
    def identity(self) -> tuple:
        return (self.position, self.strain_drgreen_id, self.quantity)


@dataclass
class OrderData:
    row: Row
    statuses: dict[str, str] = field(default_factory=dict)
    client_ref: ClientRef | None = None
    lines: list[LineData] | None = None  # None: the payload had no orderLines

    @property
    def carries_all_statuses(self) -> bool:
        return all(self.statuses.get(name) for name in STATUS_KEYS.values())


def _money(value: Any, name: str) -> Decimal | None:
    return parse_decimal(value, places=_MONEY, field=name)


def map_line(position: int, data: Any) -> LineData:
    data = as_dict(data)
    strain = as_dict(data.get("strain"))
    quantity = parse_decimal(data.get("quantity"), places=_QTY, field="orderLines.quantity")
    retail = _money(strain.get("retailPrice"), "strain.retailPrice")
    amount = _money(data.get("productAmount"), "productAmount")
    if amount is None and retail is not None and quantity is not None:
        amount = parse_decimal(retail * quantity, places=_MONEY)
    return LineData(
        position=position,
        strain_drgreen_id=parse_uuid(strain.get("id") or data.get("strainId"), field="orderLines.strain.id"),
        strain_name=parse_str(strain.get("name"), max_length=255) or "",
        quantity=quantity,
        unit_retail_price=retail,
        unit_wholesale_price=_money(strain.get("wholeSalePrice"), "strain.wholeSalePrice"),
        line_amount=amount,
        raw=payload_redact(data),
    )


def map_order(
    item: Any, *, recomputed_totals: bool = False, client_drgreen_id: uuid.UUID | None = None
) -> OrderData | None:
    """Map one order payload of any shape. ``recomputed_totals``: the detail endpoint's
    ``totalAmount`` is recomputed from today's prices, so it only fills a blank."""
    item = as_dict(item)
    drgreen_id = parse_uuid(item.get("id"), field="order.id")
    if drgreen_id is None:
        return None
    values: dict[str, Any] = {}
    fill: dict[str, Any] = {}

    statuses = {name: parse_status(item.get(key)) for key, name in STATUS_KEYS.items()}
    invoice = parse_str(item.get("invoiceNumber"), max_length=128)
    if invoice:
        values["invoice_number"] = invoice
    total = _money(item.get("totalAmount"), "totalAmount")
    if total is not None:
        (fill if recomputed_totals else values)["total_amount"] = total
    local = as_dict(item.get("localPrice"))
    if parse_str(local.get("currency")):
        values["local_currency"] = parse_str(local["currency"], max_length=8).upper()
    local_total = _money(local.get("totalAmount"), "localPrice.totalAmount")
    if local_total is not None:
        values["local_total"] = local_total
    fee = _money(item.get("deliveryFee"), "deliveryFee")
    if fee is not None:
        values["delivery_fee"] = fee
    quantity = parse_decimal(item.get("totalQuantity"), places=_QTY, field="totalQuantity")
    if quantity is not None:
        values["total_quantity"] = quantity
    count = parse_int(as_dict(item.get("_count")).get("orderLines"), field="_count.orderLines")
    if count is None:
        count = parse_int(item.get("totalOrdered"), field="totalOrdered")
    if "rejectionNote" in item:
        values["rejection_note"] = parse_str(item["rejectionNote"]) or ""
    for key, name in (("verifiedAt", "verified_at"), ("rejectedAt", "rejected_at")):
        if key in item:
            values[name] = parse_when(item[key], field=key)
    for key, name in (("createdAt", "created_at"), ("updatedAt", "updated_at")):
        when = parse_when(item.get(key), field=key)
        if when is not None:
            values[name] = when
    shipping_id = parse_uuid(item.get("shippingId"), field="shippingId")
    if shipping_id is not None:
        values["shipping_drgreen_id"] = shipping_id

    client_data = as_dict(item.get("client"))
    # The order list has a flat ``shipping``; recent copies client.shippings to the top.
    country = (
        parse_str(as_dict(item.get("shipping")).get("countryCode"))
        or parse_str(first_dict(client_data.get("shippings")).get("countryCode"))
        or parse_str(first_dict(item.get("shippings")).get("countryCode"))
    )
    if country:
        values["shipping_country_code"] = country.upper()[:3]

    lines = None
    if isinstance(item.get("orderLines"), list):
        lines = [map_line(i, line) for i, line in enumerate(item["orderLines"])]
        if count is None:
            count = len(lines)
    if count is not None:
        values["line_count"] = count

    fallback = client_drgreen_id or parse_uuid(item.get("clientId"), field="clientId")
    ref = client_ref_from(client_data, fallback_id=fallback) if client_data or fallback else None
    if ref is not None and client_drgreen_id is not None and ref.drgreen_id != client_drgreen_id:
        logger.warning(
            "sync: order %s names client %s, path said %s", drgreen_id, ref.drgreen_id, client_drgreen_id
        )
    if ref is not None:
        values["client_drgreen_id"] = ref.drgreen_id
    return OrderData(
        row=Row(drgreen_id, values=values, fill=fill, payload=payload_redact(item)),
        statuses=statuses,
        client_ref=ref,
        lines=lines,
    )
