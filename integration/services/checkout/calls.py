"""The Dr Green side of a placement: the call sequence and what each failure means.

These functions make HTTP calls and never touch a transaction; they return an
:class:`Outcome` that the placement service records. The one rule that makes placement
exactly-once: ``POST /dapp/orders`` is sent at most once per claimed attempt, and any
failure after it *may* have reached Dr Green becomes ``unknown`` (to be recovered from
Dr Green's own records), never a blind second POST.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from integration.drgreen import (
    AuthError,
    Conflict,
    DrGreenClient,
    DrGreenError,
    NotFound,
    RateLimited,
    ResponseFormatError,
    ServerError,
    TransportError,
    ValidationError,
)
from integration.models import Client, OrderPlacement
from integration.services.drgreen_api import correlation_scope, drgreen_client
from integration.services.mirror.parsing import parse_decimal
from integration.services.sales import sales_client_refresh

from .validation import Line, lines_from_json, quantity_text, wire_quantity

logger = logging.getLogger("integration.checkout")

PLACED = "placed"
UNKNOWN = "unknown"
RETRY_SAFE = "retry_safe"
REJECTED = "rejected"

_CART_PAGES = 5


@dataclass
class Outcome:
    """What one attempt established. ``kind`` is one of the module constants."""

    kind: str
    step: str = ""
    order: dict[str, Any] | None = None
    code: str = ""
    message: str = ""
    http_status: int | None = None
    maybe_delivered: bool | None = None
    retry_after: float | None = None
    evidence: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_error(cls, kind: str, step: str, exc: DrGreenError, **kw: Any) -> Outcome:
        return cls(
            kind=kind,
            step=step,
            message=str(exc)[:2000],
            http_status=exc.status,
            maybe_delivered=getattr(exc, "maybe_delivered", None),
            retry_after=getattr(exc, "retry_after", None),
            **kw,
        )


# Dr Green's refusal texts (facts §4.2) → our stable codes. Matched on lower-case fragments.
_REFUSALS = (
    ("client is not active", "client_inactive"),
    ("client is not found", "client_not_found"),
    ("not kyc verified", "kyc_pending"),
    ("by admin", "client_not_verified"),
    ("shipping address not found", "no_shipping_address"),
    ("shipping country code is required", "no_shipping_address"),
    ("shipping not found", "no_shipping_address"),
    ("sufficient quantity", "insufficient_stock"),
    ("does not enough quantity", "insufficient_stock"),
    ("not available", "strain_unavailable"),
    ("is not active", "strain_unavailable"),
)


def refusal_code(exc: DrGreenError) -> str:
    text = (exc.message or "").lower()
    for fragment, code in _REFUSALS:
        if fragment in text:
            return code
    return "drgreen_rejected"


def _before_post_failure(step: str, exc: DrGreenError) -> Outcome:
    """A failure before the order POST: no order can exist, so the worst case is a cart in
    an unknown state, which the next attempt empties first. Refusals are final."""
    if isinstance(exc, ValidationError | Conflict):
        return Outcome.from_error(REJECTED, step, exc, code=refusal_code(exc))
    if isinstance(exc, NotFound):
        # DELETE of an unknown cart answers 502 "Client Cart not found": our cart id is wrong.
        return Outcome.from_error(REJECTED, step, exc, code="client_cart_unknown")
    return Outcome.from_error(RETRY_SAFE, step, exc)


def _cart_lines(api: DrGreenClient, client: Client) -> dict[str, Decimal]:
    """The client's Dr Green cart as ``{strain id: quantity}`` (``{}`` when empty).

    ``GET /dapp/carts`` lists *clients with non-empty carts*; ``search`` matches name or
    email, so our client is picked out by id, and absence means an empty cart.
    """
    wanted = str(client.drgreen_id)
    for page in range(1, _CART_PAGES + 1):
        result = api.list_carts(search=client.email or client.last_name, page=page, take=50)
        for item in result.items:
            if str(item.get("id")) != wanted:
                continue
            lines: dict[str, Decimal] = {}
            for cart in item.get("clientCart") or []:
                for entry in (cart or {}).get("cartItems") or []:
                    strain_id = str(((entry or {}).get("strain") or {}).get("id", ""))
                    qty = parse_decimal(entry.get("quantity"), places=3, field="cart quantity")
                    lines[strain_id] = lines.get(strain_id, Decimal(0)) + (qty or Decimal(0))
            return lines
        if not result.meta.has_next:
            break
    return {}


def cart_snapshot(api: DrGreenClient, client: Client) -> dict[str, str]:
    return {sid: quantity_text(qty) for sid, qty in _cart_lines(api, client).items()}


def lines_as_cart(lines: list[Line]) -> dict[str, str]:
    return {str(line.strain_id): quantity_text(line.quantity) for line in lines}


def _docs_extra(client: Client, lines: list[Line]) -> dict[str, Any]:
    """The docs' order body (``DRGREEN_ORDER_BODY_MODE=docs``): lines and the shipping row
    Dr Green would use; the backend source strips these, a docs-faithful build reads them."""
    extra: dict[str, Any] = {
        "orderLines": [
            {"strainId": str(ln.strain_id), "quantity": wire_quantity(ln.quantity)} for ln in lines
        ]
    }
    rows = sorted(client.shipping_addresses.all(), key=lambda a: (a.position, a.pk))
    if rows and rows[0].drgreen_id:
        extra["shippingId"] = str(rows[0].drgreen_id)
    return extra


def placement_calls(
    *, placement: OrderPlacement, client: Client, mode: str, before_post: Callable[[], bool]
) -> Outcome:
    """Run one placement attempt against Dr Green: empty the cart, add the lines once,
    ``POST /dapp/orders`` once. Returns what happened; raises nothing from Dr Green.

    ``before_post`` runs right before the POST and says whether it may be sent: the caller
    commits there that the POST is about to go out (``False``: it could not, or the attempt
    lost its lease; nothing is sent, so nothing can have been ordered)."""
    api = drgreen_client()
    lines = lines_from_json(placement.lines)
    correlation = str(placement.correlation_id)
    with correlation_scope(correlation):
        if mode == "cart":
            outcome = _fill_cart(api, client, lines, correlation)
            if outcome is not None:
                return outcome
        if not before_post():
            return Outcome(kind=RETRY_SAFE, step="post_marker", message="POST not sent: no marker committed")
        return _post_order(api, client, lines, correlation, mode)


def _fill_cart(api: DrGreenClient, client: Client, lines: list[Line], correlation: str) -> Outcome | None:
    cart_id = str(client.cart_id)
    try:
        # DELETE empties the cart and is idempotent in effect; the client does not retry it,
        # and a failure here is harmless (nothing ordered yet), so it is not retried either.
        api.empty_cart(cart_id)
    except DrGreenError as exc:
        return _before_post_failure("empty_cart", exc)
    items = [(str(ln.strain_id), wire_quantity(ln.quantity)) for ln in lines]
    try:
        api.add_to_cart(cart_id, items, correlation_id=correlation)
        return None
    except (ValidationError, Conflict, NotFound, AuthError, RateLimited) as exc:
        return _before_post_failure("add_to_cart", exc)
    except TransportError as exc:
        if not exc.maybe_delivered:
            return _before_post_failure("add_to_cart", exc)
        failure: DrGreenError = exc
    except DrGreenError as exc:  # 5xx, an unreadable 2xx: the add may have been applied
        failure = exc
    # The add may or may not have landed, and adding again would double it: look first.
    try:
        held = cart_snapshot(api, client)
    except DrGreenError as exc:
        return Outcome.from_error(
            RETRY_SAFE, "add_to_cart", failure, evidence={"cart_read_error": str(exc)[:500]}
        )
    if held == lines_as_cart(lines):
        logger.info("checkout %s: ambiguous cart add had landed; continuing", correlation)
        return None
    return Outcome.from_error(RETRY_SAFE, "add_to_cart", failure, evidence={"cart": held})


def _post_order(
    api: DrGreenClient, client: Client, lines: list[Line], correlation: str, mode: str
) -> Outcome:
    extra = _docs_extra(client, lines) if mode == "docs" else None
    try:
        order = api.create_order(str(client.drgreen_id), extra=extra, correlation_id=correlation)
    except Conflict as exc:
        if "any item in the cart" in (exc.message or "").lower():
            # The cart we just filled is empty: someone else's order (the dapp UI?) took it.
            # No order of ours exists, so starting over is safe.
            return Outcome.from_error(RETRY_SAFE, "create_order", exc)
        return Outcome.from_error(REJECTED, "create_order", exc, code=refusal_code(exc))
    except ValidationError as exc:
        return Outcome.from_error(REJECTED, "create_order", exc, code=refusal_code(exc))
    except (RateLimited, AuthError) as exc:
        # Answered by the gateway or the guard: the handler never ran.
        return Outcome.from_error(RETRY_SAFE, "create_order", exc)
    except TransportError as exc:
        kind = UNKNOWN if exc.maybe_delivered else RETRY_SAFE
        return Outcome.from_error(kind, "create_order", exc)
    except (ServerError, ResponseFormatError, DrGreenError) as exc:
        return Outcome.from_error(UNKNOWN, "create_order", exc)
    if not order.get("id"):
        return Outcome(
            kind=UNKNOWN,
            step="create_order",
            message="order create answered without an id",
            http_status=201,
            evidence={"response": order},
        )
    return Outcome(kind=PLACED, step="create_order", order=order, http_status=201)


def client_orders_newest(*, client: Client, take: int) -> list[dict[str, Any]]:
    """The client's newest orders (``orderBy=desc``; the default ascending order would show
    the oldest ones, facts §4.5)."""
    return drgreen_client().list_client_orders(str(client.drgreen_id), order_by="desc", take=take).items


def sale_link(*, placement: OrderPlacement, client: Client) -> None:
    """Mirror the client's sales until the one Dr Green linked to the new order is seen, so it
    points at the order locally (found by the client's name, confirmed by client id: see
    :func:`sales_client_refresh`). Best effort: the sales sweep does the same later."""
    try:
        with correlation_scope(str(placement.correlation_id)):
            sales_client_refresh(client=client, order_drgreen_id=placement.order_drgreen_id)
    except Exception:  # noqa: BLE001 - a sale refresh must never undo a placed order
        logger.warning(
            "checkout %s: sale link failed; the sales sweep will catch up",
            placement.correlation_id,
            exc_info=True,
        )


def order_id_of(order: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(str(order["id"]))
