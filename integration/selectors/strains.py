"""The strain catalogue for one country, from the mirror."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import F, FilteredRelation, Q, QuerySet

from integration.models import Strain

# Dr Green's THC levels (facts §6.6: None 0, Low 1–10, Mid 11–20, High 21–29) made
# contiguous, because the mirror keeps decimals (a 10.5 % strain must land somewhere).
THC_LEVELS: dict[str, tuple[Decimal | None, Decimal | None]] = {
    "None": (None, Decimal("1")),
    "Low": (Decimal("1"), Decimal("11")),
    "Mid": (Decimal("11"), Decimal("21")),
    "High": (Decimal("21"), None),
}
STRAIN_TYPES = ("Hybrid", "Sativa", "Indica")

# Dr Green converts prices to usd, eur and gbp only (facts §6.6); a country is shown the one
# of those it pays in, anything else the USD base figure.
_EUR_COUNTRIES = frozenset(
    "AUT BEL CYP DEU ESP EST FIN FRA GRC HRV IRL ITA LTU LUX LVA MLT NLD PRT SVK SVN".split()
)


def display_currency(country_code: str) -> str:
    code = (country_code or "").upper()
    if code == "GBR":
        return "GBP"
    if code in _EUR_COUNTRIES:
        return "EUR"
    return "USD"


def _thc_condition(levels: Iterable[str]) -> Q:
    condition = Q()
    for level in levels:
        low, high = THC_LEVELS[level]
        part = Q(thc__isnull=False)
        if low is not None:
            part &= Q(thc__gte=low)
        if high is not None:
            part &= Q(thc__lt=high)
        condition |= part
    return condition


def strain_catalogue(
    *,
    country_code: str,
    search: str = "",
    types: Iterable[str] = (),
    thc_levels: Iterable[str] = (),
) -> QuerySet[Strain]:
    """Strains a customer in ``country_code`` can buy: active and available globally and in
    that country (Dr Green's own list rule), with the country's stock and prices annotated
    (``local_stock``, ``local_prices``) through one join, so a page is one query."""
    qs = (
        Strain.objects.annotate(
            local=FilteredRelation("availabilities", condition=Q(availabilities__country_code=country_code))
        )
        .filter(
            remote_missing_since__isnull=True,
            local__is_active=True,
            local__is_available=True,
        )
        .exclude(is_active=False)
        .exclude(is_available=False)
        .annotate(local_stock=F("local__stock_quantity"), local_prices=F("local__prices"))
    )
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(description__icontains=search))
    types = [t for t in types if t]
    if types:
        qs = qs.filter(type__in=types)
    levels = [lvl for lvl in thc_levels if lvl]
    if levels:
        qs = qs.filter(_thc_condition(levels))
    return qs


def strain_display_price(strain: Strain, *, currency: str) -> dict | None:
    """The retail price to show in ``currency``: the country's own price list first (a
    deployment that prices per location), then the strain's converted list, then the USD
    base figure."""
    for prices in (getattr(strain, "local_prices", None), strain.prices):
        for entry in prices or []:
            if isinstance(entry, dict) and str(entry.get("currency", "")).upper() == currency:
                amount = entry.get("retailPrice")
                if amount is not None:
                    return {"currency": currency, "amount": Decimal(str(amount)).quantize(Decimal("0.01"))}
    if strain.retail_price is not None:
        return {"currency": "USD", "amount": strain.retail_price}
    return None
