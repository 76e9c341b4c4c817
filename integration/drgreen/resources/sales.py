"""Sales pipeline: ``/dapp/sales`` (facts §6.3). The platform moves stages itself."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..core import DEFAULT_TAKE, BaseClient, search_params
from ..pagination import Page

__all__ = ["SalesMixin"]


class SalesMixin(BaseClient):
    """Sales endpoints."""

    def list_sales(
        self,
        *,
        page: int = 1,
        take: int = DEFAULT_TAKE,
        order_by: str = "asc",
        stage: str | None = None,
        search: str | None = None,
    ) -> Page:
        """``GET /dapp/sales`` (``stage`` LEADS/ONGOING/CLOSED). ``search`` matches the client's
        first or last name only, never the email (``sale.service.ts`` ``getAllSales``)."""
        params: list[tuple[str, Any]] = [
            ("page", page),
            ("take", take),
            ("orderBy", order_by),
            ("stage", stage),
            *search_params(search),
        ]
        return self._list("/dapp/sales", "sales", params, page=page, take=take)

    def iter_sales(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every sale matching ``filters`` (``list_sales`` keywords), de-duplicated by id."""
        return self._iter(self.list_sales, filters)

    def sales_summary(self) -> dict[str, Any]:
        """``GET /dapp/sales/summary`` (``totalCount``/``count`` are *client* counts)."""
        return self._get_dict("/dapp/sales/summary")

    def create_sale(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /dapp/sales`` (payload passed through). The backend has no guard on it and
        requires ``nftId``, ``clientId`` and ``orderId`` (``createSaleDto``); the docs differ."""
        return self._write_dict("POST", "/dapp/sales", json=dict(payload))

    def update_sale(self, sale_id: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``PATCH /dapp/sales?id=<uuid>`` with ``{stage?, description?}``.

        The backend reads the id from the query only (an id only in the body is a 400); the
        docs put it in the body. We send both: the backend strips the body's ``id``. The route
        has no guard in the backend; the request is signed anyway.
        """
        body = {"id": str(sale_id), **{k: v for k, v in payload.items() if k != "id"}}
        return self._write_dict("PATCH", "/dapp/sales", json=body, params=[("id", str(sale_id))])
