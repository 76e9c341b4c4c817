"""The strain catalogue: ``GET /dapp/strains`` and ``GET /dapp/strains/{id}``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from integration.models import MONEY, QUANTITY, OrderLine, Strain, StrainAvailability

from . import rows as r
from .parsing import (
    as_dict,
    as_list,
    parse_bool,
    parse_decimal,
    parse_str,
    parse_uuid,
    parse_when,
    payload_redact,
)
from .results import UpsertResult
from .transactions import run_page

_FLAGS = (("isActive", "is_active"), ("isAvailable", "is_available"))


def _availability(data: dict, *, country_code: str | None) -> tuple[str, dict[str, Any]] | None:
    location = as_dict(data.get("location"))
    code = (parse_str(location.get("countryCode")) or country_code or "").upper()[:3]
    if not code:
        return None
    values: dict[str, Any] = {}
    if parse_str(location.get("country")):
        values["country"] = parse_str(location["country"], max_length=128)
    for key, name in _FLAGS:
        flag = parse_bool(data.get(key), field=key)
        if flag is not None:
            values[name] = flag
    if "stockQuantity" in data:
        values["stock_quantity"] = parse_decimal(
            data["stockQuantity"], places=QUANTITY["decimal_places"], field="stockQuantity"
        )
    if isinstance(data.get("prices"), list):
        values["prices"] = data["prices"]
    return code, values


def map_strain(item: Any, *, country_code: str | None) -> tuple[r.Row, dict[str, dict]] | None:
    """A strain item → (row, {country_code: availability values})."""
    item = as_dict(item)
    drgreen_id = parse_uuid(item.get("id"), field="strain.id")
    if drgreen_id is None:
        return None
    values: dict[str, Any] = {}
    for key, name, max_length in (
        ("name", "name", 255),
        ("type", "type", 32),
        ("imageUrl", "image_url", 1000),
    ):
        if key in item:
            values[name] = parse_str(item[key], max_length=max_length) or ""
    if "description" in item:
        values["description"] = parse_str(item["description"]) or ""
    for key in ("thc", "cbd", "cbg"):
        if key in item:
            values[key] = parse_decimal(item[key], places=3, field=key)
    for key, name in (("retailPrice", "retail_price"), ("wholeSalePrice", "wholesale_price")):
        if key in item:
            values[name] = parse_decimal(item[key], places=MONEY["decimal_places"], field=key)
    if isinstance(item.get("prices"), list):
        values["prices"] = item["prices"]
    for key, name in (("createdAt", "created_at"), ("updatedAt", "updated_at")):
        when = parse_when(item.get(key), field=key)
        if when is not None:
            values[name] = when

    availability: dict[str, dict] = {}
    locations = [loc for loc in as_list(item.get("strainLocations")) if isinstance(loc, dict)]
    for loc in locations:
        # Without a location object, a country-filtered list's single entry is that country.
        if not as_dict(loc.get("location")) and (not country_code or len(locations) > 1):
            continue
        parsed = _availability(loc, country_code=country_code)
        if parsed:
            availability[parsed[0]] = parsed[1]
    if country_code:
        # With ?countryCode the top-level flags and stock are that country's (detail), so
        # they belong to the availability row, not to the strain's global flags.
        if not locations:
            parsed = _availability(item, country_code=country_code)
            if parsed and parsed[1]:
                availability[parsed[0]] = parsed[1]
    else:
        for key, name in _FLAGS:
            flag = parse_bool(item.get(key), field=key)
            if flag is not None:
                values[name] = flag
    return r.Row(drgreen_id, values=values, payload=payload_redact(item)), availability


def _upsert_strains(
    items: list[Any], *, source: str, country_code: str | None, observed_at: datetime
) -> UpsertResult:
    country_code = (country_code or "").upper()[:3] or None
    kept, skipped = r.usable(
        (map_strain(item, country_code=country_code) for item in items or []), source=source
    )
    mapped: dict[uuid.UUID, tuple[r.Row, dict]] = {pair[0].drgreen_id: pair for pair in kept}

    def page() -> UpsertResult:
        result = UpsertResult(skipped=skipped)
        if not mapped:
            return result
        strains, created_ids = r.upsert_plain(
            Strain, {sid: row for sid, (row, _) in mapped.items()}, source=source, observed_at=observed_at,
            result=result,
        )  # fmt: skip

        wanted = {
            (strains[sid].pk, code): values
            for sid, (_, per_country) in mapped.items()
            for code, values in per_country.items()
        }
        if wanted:
            held = {
                (a.strain_id, a.country_code): a
                for a in StrainAvailability.objects.filter(strain_id__in={pk for pk, _ in wanted})
            }
            new, update = [], []
            for (strain_pk, code), values in wanted.items():
                row = held.get((strain_pk, code))
                if row is None:
                    new.append(
                        StrainAvailability(
                            strain_id=strain_pk, country_code=code, last_synced_at=observed_at, **values
                        )
                    )
                    continue
                update.append((row, r.child_changes(row, values, observed_at=observed_at)))
            # A concurrent catalogue sync may insert the same (strain, country): keep its row.
            r.child_rows_write(StrainAvailability, create=new, update=update)
        if created_ids:
            OrderLine.objects.filter(strain__isnull=True, strain_drgreen_id__in=created_ids).update(
                strain_id=Subquery(
                    Strain.objects.filter(drgreen_id=OuterRef("strain_drgreen_id")).values("pk")[:1]
                )
            )
        return result

    return run_page(page)


def strains_upsert_from_list(
    *, items: list[Any], country_code: str | None = None, observed_at: datetime | None = None
) -> UpsertResult:
    """Items of ``GET /dapp/strains[?countryCode=XXX]`` (``data.strains``)."""
    return _upsert_strains(
        items, source="strains.list", country_code=country_code, observed_at=observed_at or timezone.now()
    )


def strain_upsert_from_detail(
    *, payload: Any, country_code: str | None = None, observed_at: datetime | None = None
) -> UpsertResult:
    """``GET /dapp/strains/{id}[?countryCode=XXX]`` → ``data`` (the strain itself)."""
    return _upsert_strains(
        [payload],
        source="strains.detail",
        country_code=country_code,
        observed_at=observed_at or timezone.now(),
    )
