"""Orders: ``/dapp/orders`` (facts §6.2)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..core import DEFAULT_TAKE, BaseClient, search_params
from ..errors import NotFound, ResponseFormatError
from ..pagination import Page

__all__ = ["OrdersMixin", "unwrap_order_details"]


def unwrap_order_details(data: Any, *, path: str | None = None) -> dict[str, Any]:
    """Return ``data.orderDetails``; ``null`` (Dr Green's 200 "not found") raises :class:`NotFound`."""
    if isinstance(data, Mapping) and "orderDetails" in data:
        details = data["orderDetails"]
        if details is None:
            raise NotFound(
                "order not found (orderDetails is null)", status=200, body=data, method="GET", path=path
            )
        if not isinstance(details, Mapping):
            raise ResponseFormatError("orderDetails is not an object", body=data, path=path)
        return dict(details)
    if isinstance(data, Mapping) and data.get("id"):
        return dict(data)  # tolerate a build that drops the wrapper
    if data is None:
        raise NotFound("order not found (no data)", status=200, method="GET", path=path)
    raise ResponseFormatError("order detail has neither orderDetails nor an id", body=data, path=path)


class OrdersMixin(BaseClient):
    """Order endpoints."""

    def create_order(
        self,
        client_id: str,
        *,
        extra: Mapping[str, Any] | None = None,
        correlation_id: str | None = None,
    ) -> dict[str, Any]:
        """``POST /dapp/orders`` with ``{"clientId"}``: Dr Green turns the client's cart into the order.

        ``extra`` adds the docs' fields (``orderLines``, ``shippingId``, ``paymentMethod``…),
        which the backend source strips. Never retried: a repeat would create a second order.
        """
        body: dict[str, Any] = {"clientId": client_id}
        if extra:
            body.update({k: v for k, v in extra.items() if k != "clientId"})
        return self._write_dict("POST", "/dapp/orders", json=body, correlation_id=correlation_id)

    def list_orders(
        self,
        *,
        page: int = 1,
        take: int = DEFAULT_TAKE,
        order_by: str = "asc",
        status: str | None = None,
        payment_status: str | None = None,
        admin_approval: str | None = None,
        client_ids: Sequence[str] | None = None,
        search: str | None = None,
        start_date: Any = None,
        end_date: Any = None,
    ) -> Page:
        """``GET /dapp/orders``; ``client_ids`` travels as the JSON-array text ``clientIds``."""
        params: list[tuple[str, Any]] = [
            ("page", page),
            ("take", take),
            ("orderBy", order_by),
            ("status", status),
            ("paymentStatus", payment_status),
            ("adminApproval", admin_approval),
            ("clientIds", [str(c) for c in client_ids] if client_ids is not None else None),
            *search_params(search),
            ("startDate", start_date),
            ("endDate", end_date),
        ]
        return self._list("/dapp/orders", "orders", params, page=page, take=take)

    def iter_orders(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every order matching ``filters`` (``list_orders`` keywords), de-duplicated by id."""
        return self._iter(self.list_orders, filters)

    def list_recent_orders(self, *, page: int | None = None, take: int | None = None) -> Page:
        """``GET /dapp/orders/recent`` (wrapper ``recentOrders``, newest first, no ``adminApproval``)."""
        return self._list(
            "/dapp/orders/recent", "recentOrders", [("page", page), ("take", take)], page=page, take=take
        )

    def order_summary(self) -> dict[str, Any]:
        """``GET /dapp/orders/summary`` → ``{"summary": {...adminApproval counts, "totalCount"}}``."""
        return self._get_dict("/dapp/orders/summary")

    def get_order(self, order_id: str) -> dict[str, Any]:
        """``GET /dapp/orders/{orderId}`` unwrapped from ``data.orderDetails`` (null → :class:`NotFound`)."""
        route = "/dapp/orders/{orderId}"
        data = self._get_data(route, path_params={"orderId": order_id})
        return unwrap_order_details(data, path=route)
