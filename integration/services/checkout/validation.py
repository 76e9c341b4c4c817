"""Checkout validation: the request's lines, then the client and the strains against the
mirror, re-reading from Dr Green whatever is stale (or says "no") first.

Nothing here opens a transaction around an HTTP call: the GETs run in autocommit and their
payloads go through the sync upserts, which own their short page transactions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from integration.conf import drgreen_settings
from integration.drgreen import DrGreenError, NotFound
from integration.models import Client, ShippingAddress, Strain, StrainAvailability
from integration.services.drgreen_api import drgreen_client
from integration.services.errors import ServiceError, UpstreamError
from integration.services.mirror import (
    client_upsert_from_detail,
    strain_upsert_from_detail,
    strains_upsert_from_list,
)

logger = logging.getLogger("integration.checkout")

_QTY_PLACES = Decimal("0.001")
_CENTS = Decimal("0.01")
# Dr Green's cart DTO: a number of at least 0.001 with at most 3 decimals (facts §6.5).
MIN_QUANTITY = Decimal("0.001")
MAX_QUANTITY = Decimal("100000")
MAX_LINES = 50


@dataclass(frozen=True)
class Line:
    strain_id: uuid.UUID
    quantity: Decimal

    def as_json(self) -> dict[str, str]:
        return {"strain_id": str(self.strain_id), "quantity": quantity_text(self.quantity)}


def quantity_text(quantity: Decimal) -> str:
    """Canonical text of a quantity: ``2``, ``2.5``, ``0.125`` (never ``2.500`` or ``2E+1``)."""
    text = format(quantity.normalize(), "f")
    return text


def wire_quantity(quantity: Decimal) -> int | float:
    """The number Dr Green receives. Whole grams travel as integers, the rest as the double
    nearest to the (at most 3-decimal) value, which ``JSON.stringify`` prints back as the
    same short decimal; so the signed body and the parsed value agree."""
    if quantity == quantity.to_integral_value():
        return int(quantity)
    return float(quantity)


def _parse_quantity(raw: Any, index: int) -> Decimal:
    if isinstance(raw, bool) or raw is None or raw == "":
        raise _invalid_quantity(index, raw, "a quantity is required")
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise _invalid_quantity(index, raw, "not a number") from None
    if not value.is_finite():
        raise _invalid_quantity(index, raw, "not a finite number")
    if value <= 0:
        raise _invalid_quantity(index, raw, "must be positive")
    if value != value.quantize(_QTY_PLACES, rounding=ROUND_HALF_UP):
        raise _invalid_quantity(index, raw, "at most 3 decimals")
    if value > MAX_QUANTITY:
        raise _invalid_quantity(index, raw, f"at most {MAX_QUANTITY}")
    return value.quantize(_QTY_PLACES)


def _invalid_quantity(index: int, raw: Any, why: str) -> ServiceError:
    return ServiceError(
        "invalid_quantity",
        f"Line {index + 1}: quantity {raw!r} is invalid ({why}).",
        details={"line": index, "quantity": str(raw)},
    )


def lines_normalize(*, lines: Iterable[Any]) -> list[Line]:
    """Validate and canonicalise the requested lines.

    Accepts ``{"strain_id"|"strainId", "quantity"}`` mappings or ``(strain_id, quantity)``
    pairs. The same strain twice is merged into one line: Dr Green's cart would merge them
    by adding anyway, and a canonical form is what makes "the same body" comparable.
    """
    merged: dict[uuid.UUID, Decimal] = {}
    for index, item in enumerate(lines or []):
        if isinstance(item, Mapping):
            raw_id = item.get("strain_id", item.get("strainId"))
            raw_qty = item.get("quantity")
        elif isinstance(item, list | tuple) and len(item) == 2:
            raw_id, raw_qty = item
        else:
            raise ServiceError(
                "invalid_line", f"Line {index + 1} is not a strain and a quantity.", details={"line": index}
            )
        try:
            strain_id = uuid.UUID(str(raw_id))
        except (ValueError, TypeError, AttributeError):
            raise ServiceError(
                "invalid_line", f"Line {index + 1}: {raw_id!r} is not a strain id.", details={"line": index}
            ) from None
        quantity = _parse_quantity(raw_qty, index)
        merged[strain_id] = merged.get(strain_id, Decimal(0)) + quantity
    if not merged:
        raise ServiceError("empty_order", "The order has no lines.")
    if len(merged) > MAX_LINES:
        raise ServiceError("invalid_line", f"An order has at most {MAX_LINES} lines.")
    for strain_id, quantity in merged.items():
        if quantity > MAX_QUANTITY:
            raise ServiceError(
                "invalid_quantity",
                f"Quantity of {strain_id} exceeds {MAX_QUANTITY}.",
                details={"strain_id": str(strain_id)},
            )
    return [
        Line(strain_id, quantity) for strain_id, quantity in sorted(merged.items(), key=lambda kv: str(kv[0]))
    ]


def lines_hash(lines: list[Line]) -> str:
    """SHA-256 of the canonical lines: equal for the same body in any order or spelling."""
    canonical = json.dumps([line.as_json() for line in lines], separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def lines_from_json(data: list[dict[str, Any]]) -> list[Line]:
    return [Line(uuid.UUID(d["strain_id"]), Decimal(d["quantity"])) for d in data]


# -- the mirror checks -------------------------------------------------------------------------


@dataclass
class Checked:
    """What validation established: the country stock was checked in and the expected
    USD total (Σ retail price × quantity, as Dr Green computes ``totalAmount``)."""

    country_code: str
    expected_total: Decimal
    client: Client  # as just checked (fresh flags, cart id, first shipping country)


def shipping_country(client: Client) -> str:
    """The country Dr Green checks stock against, for a client read by
    :func:`client_for_checks` (the rule of ``primary_shipping_country_code``)."""
    return client.first_shipping_country or client.shipping_country_code


def _client_problem(client: Client) -> ServiceError | None:
    approval = client.admin_approval or "unknown"
    if client.admin_approval != "VERIFIED":
        return ServiceError(
            "client_not_verified",
            "Dr Green has not approved this customer yet."
            if approval != "REJECTED"
            else "Dr Green rejected this customer's application.",
            details={"admin_approval": approval},
            status=409,
        )
    if not client.is_kyc_verified:
        return ServiceError("kyc_pending", "The customer's identity check (KYC) is not complete.", status=409)
    if not client.is_active:
        return ServiceError("client_inactive", "This customer's account is not active.", status=409)
    if not shipping_country(client):
        return ServiceError("no_shipping_address", "The customer has no shipping address.", status=409)
    if client.cart_id is None:
        # Every Dr Green client has exactly one cart, created with it; a mirror without its
        # id has simply not seen a payload that carries it yet.
        return ServiceError(
            "client_cart_unknown",
            "The customer's Dr Green cart is not known yet.",
            status=409,
            retryable=True,
        )
    return None


def _strain_problem(
    line: Line, strain: Strain | None, availability: StrainAvailability | None, country: str
) -> ServiceError | None:
    details = {"strain_id": str(line.strain_id), "country_code": country}
    name = (strain.name if strain else "") or str(line.strain_id)
    if (
        strain is None
        or strain.is_active is False
        or strain.is_available is False
        or availability is None
        or not availability.is_active
        or not availability.is_available
    ):
        return ServiceError(
            "strain_unavailable", f"{name} is not available in {country}.", details=details, status=409
        )
    stock = availability.stock_quantity or Decimal(0)
    if stock < line.quantity:
        return ServiceError(
            "insufficient_stock",
            f"Only {quantity_text(stock)} of {name} left in {country}.",
            details={**details, "requested": quantity_text(line.quantity), "available": quantity_text(stock)},
            status=409,
        )
    return None


def client_for_checks(pk: int) -> Client:
    """The client row the checks read (without ``raw`` and ``business_address``, its widest
    parts), with the country of its first shipping row as ``first_shipping_country``."""
    first = ShippingAddress.objects.filter(client_id=OuterRef("pk")).order_by("position", "pk")
    return (
        Client.objects.defer("raw", "business_address")
        .annotate(first_shipping_country=Subquery(first.values("country_code")[:1]))
        .get(pk=pk)
    )


_STRAIN_FIELDS = ("id", "drgreen_id", "name", "retail_price", "is_active", "is_available")
_AVAILABILITY_FIELDS = (
    "id",
    "strain_id",
    "country_code",
    "is_active",
    "is_available",
    "stock_quantity",
    "last_synced_at",
)


def _strain_rows(lines: list[Line], country: str) -> tuple[dict, dict]:
    """``({drgreen id: Strain}, {strain pk: StrainAvailability in country})`` for the lines:
    one statement for the strains held in ``country`` (the usual case), a second only for
    the strains that are not."""
    ids = [ln.strain_id for ln in lines]
    strains, availability = {}, {}
    held = (
        StrainAvailability.objects.filter(strain__drgreen_id__in=ids, country_code=country)
        .select_related("strain")
        .only(*_AVAILABILITY_FIELDS, *(f"strain__{f}" for f in _STRAIN_FIELDS))
    )
    for row in held:
        availability[row.strain_id] = row
        strains[row.strain.drgreen_id] = row.strain
    missing = [sid for sid in ids if sid not in strains]
    if missing:
        strains.update(
            (s.drgreen_id, s) for s in Strain.objects.filter(drgreen_id__in=missing).only(*_STRAIN_FIELDS)
        )
    return strains, availability


def _lines_problem(lines: list[Line], strains: dict, availability: dict, country: str) -> ServiceError | None:
    for line in lines:
        strain = strains.get(line.strain_id)
        problem = _strain_problem(line, strain, availability.get(strain.pk) if strain else None, country)
        if problem is not None:
            return problem
    return None


def _is_fresh(when: datetime | None, *, now: datetime, ttl: float) -> bool:
    return when is not None and now - when <= timedelta(seconds=ttl)


def _upstream(exc: DrGreenError) -> UpstreamError:
    # Dr Green's own text stays in the log; the customer gets the plain message.
    logger.info("checkout validation: Dr Green failed: %s", (exc.message or "")[:500])
    return UpstreamError("Dr Green could not be reached to check the order; try again shortly.")


def client_detail_refresh(*, client: Client) -> Client:
    """Re-read the client's detail (flags, shippings, cart id) through the sync path, for
    checkout's checks: no sync run, no order walk (``polling.refresh.client_refresh`` does
    those), and Dr Green's failures become the checkout's errors."""
    observed_at = timezone.now()
    try:
        payload = drgreen_client().get_client(str(client.drgreen_id))
    except NotFound:
        raise ServiceError("client_not_found", "Dr Green does not know this customer.", status=404) from None
    except DrGreenError as exc:
        raise _upstream(exc) from exc
    client_upsert_from_detail(payload=payload, observed_at=observed_at)
    return client_for_checks(client.pk)


def strains_refresh(*, country_code: str, strain_ids: Iterable[uuid.UUID] = ()) -> set[uuid.UUID]:
    """Re-read the country's catalogue; strains the list no longer returns (it only lists
    what is active, available and in that country) are re-read one by one so the mirror
    learns they went away. Returns the ids the list carried."""
    observed_at = timezone.now()
    api = drgreen_client()
    try:
        items = list(api.iter_strains(country_code=country_code, take=200))
    except DrGreenError as exc:
        raise _upstream(exc) from exc
    strains_upsert_from_list(items=items, country_code=country_code, observed_at=observed_at)
    listed = {uuid.UUID(str(item["id"])) for item in items if item.get("id")}
    for strain_id in set(strain_ids) - listed:
        try:
            payload = api.get_strain(str(strain_id), country_code=country_code)
        except NotFound:
            continue
        except DrGreenError as exc:
            raise _upstream(exc) from exc
        strain_upsert_from_detail(payload=payload, country_code=country_code, observed_at=observed_at)
    return listed


def order_validate(*, client: Client, lines: list[Line]) -> Checked:
    """Check the client and the lines, refreshing stale or refusing mirror data first.

    Raises :class:`ServiceError` with the issue's stable codes. Must run with no
    transaction open: it may call Dr Green.
    """
    conf = drgreen_settings.checkout
    now = timezone.now()
    client = client_for_checks(client.pk)
    client_refreshed = False
    if not _is_fresh(client.last_synced_at, now=now, ttl=conf.mirror_ttl_s) or client.is_stub:
        client = client_detail_refresh(client=client)
        client_refreshed = True
    problem = _client_problem(client)
    if problem is not None and not client_refreshed:
        client = client_detail_refresh(client=client)
        problem = _client_problem(client)
    if problem is not None:
        raise problem

    country = shipping_country(client)
    strain_ids = [ln.strain_id for ln in lines]
    strains, availability = _strain_rows(lines, country)
    rows = [availability.get(strains[sid].pk) if sid in strains else None for sid in strain_ids]
    refreshed = False
    if any(row is None or not _is_fresh(row.last_synced_at, now=now, ttl=conf.mirror_ttl_s) for row in rows):
        strains_refresh(country_code=country, strain_ids=strain_ids)
        strains, availability = _strain_rows(lines, country)
        refreshed = True
    problem = _lines_problem(lines, strains, availability, country)
    if problem is not None and not refreshed:
        strains_refresh(country_code=country, strain_ids=strain_ids)
        strains, availability = _strain_rows(lines, country)
        problem = _lines_problem(lines, strains, availability, country)
    if problem is not None:
        raise problem

    total = Decimal(0)
    for line in lines:
        price = strains[line.strain_id].retail_price
        if price is None:
            raise ServiceError(
                "strain_unavailable",
                f"{strains[line.strain_id]} has no price.",
                details={"strain_id": str(line.strain_id)},
                status=409,
            )
        total += price * line.quantity
    return Checked(
        country_code=country, expected_total=total.quantize(_CENTS, rounding=ROUND_HALF_UP), client=client
    )
