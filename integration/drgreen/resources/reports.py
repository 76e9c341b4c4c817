"""Read-only figures: revenue, dashboard, commissions, health (facts §6.4, §6.7, §6.8, §1)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..core import DEFAULT_TAKE, BaseClient, search_params
from ..errors import ResponseFormatError
from ..pagination import Page

__all__ = ["ReportsMixin"]


def _json_list(values: Sequence[str] | None) -> list[str] | None:
    return [str(v) for v in values] if values is not None else None


class ReportsMixin(BaseClient):
    """Revenue, dashboard, commission and health endpoints."""

    def list_revenue(
        self,
        *,
        page: int = 1,
        take: int = DEFAULT_TAKE,
        start_date: Any = None,
        end_date: Any = None,
        search: str | None = None,
        country_codes: Sequence[str] | None = None,
        client_ids: Sequence[str] | None = None,
    ) -> Page:
        """``GET /dapp/revenue``: per-strain rows (wrapper ``strains``), always by ``totalSales`` desc."""
        params: list[tuple[str, Any]] = [
            ("page", page),
            ("take", take),
            ("startDate", start_date),
            ("endDate", end_date),
            ("search", search),  # strain name; no searchBy on this endpoint
            ("countryCodes", _json_list(country_codes)),
            ("clientIds", _json_list(client_ids)),
        ]
        return self._list("/dapp/revenue", "strains", params, page=page, take=take)

    def revenue_summary(self) -> dict[str, Any]:
        """``GET /dapp/revenue/summary`` → ``{"summary": {"totalSales", "totalProfit"}}``."""
        return self._get_dict("/dapp/revenue/summary")

    def revenue_chart_data(
        self,
        *,
        start_date: Any,
        end_date: Any,
        country_codes: Sequence[str] | None = None,
        client_ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        """``GET /dapp/revenue/chart-data`` → ``[{"name","value","date"}]`` (empty buckets omitted)."""
        params: list[tuple[str, Any]] = [
            ("startDate", start_date),
            ("endDate", end_date),
            ("countryCodes", _json_list(country_codes)),
            ("clientIds", _json_list(client_ids)),
        ]
        data = self._get_data("/dapp/revenue/chart-data", params=params)
        if not isinstance(data, list):
            raise ResponseFormatError("revenue chart-data is not a list", body=data)
        return data

    def dashboard_summary(self) -> dict[str, Any]:
        """``GET /dapp/dashboard/summary`` (sums may be ``null``; ``profitRecieved`` sic)."""
        return self._get_dict("/dapp/dashboard/summary")

    def list_commissions(
        self,
        *,
        page: int = 1,
        take: int = DEFAULT_TAKE,
        order_by: str = "asc",
        payment_status: str | None = None,
        search: str | None = None,
    ) -> Page:
        """``GET /dapp/commissions`` (wrapper ``commissions``)."""
        params: list[tuple[str, Any]] = [
            ("page", page),
            ("take", take),
            ("orderBy", order_by),
            ("paymentStatus", payment_status),
            *search_params(search),
        ]
        return self._list("/dapp/commissions", "commissions", params, page=page, take=take)

    def iter_commissions(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every commission matching ``filters``, de-duplicated by id."""
        return self._iter(self.list_commissions, filters)

    def commission_summary(self) -> dict[str, Any]:
        """``GET /dapp/commissions/summary`` → ``{"commissionSummary": {...}}``."""
        return self._get_dict("/dapp/commissions/summary")

    def health(self) -> dict[str, Any]:
        """``GET /api/v1/public/healthStatus`` (unsigned); returns the whole envelope."""
        return self.request("GET", "/public/healthStatus", signed=False)
