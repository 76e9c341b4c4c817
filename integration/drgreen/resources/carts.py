"""Carts: ``/dapp/carts`` (facts §6.5). Orders are created from the server-side cart."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..core import DEFAULT_TAKE, BaseClient
from ..pagination import Page

__all__ = ["CartsMixin", "cart_items"]

CartItem = Mapping[str, Any] | tuple[str, Any]


def cart_items(items: Iterable[CartItem]) -> list[dict[str, Any]]:
    """Normalise ``(strain_id, quantity)`` tuples or ``{"strainId", "quantity"}`` dicts."""
    out: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            strain_id, quantity = item["strainId"], item["quantity"]
        else:
            strain_id, quantity = item
        out.append({"strainId": str(strain_id), "quantity": quantity})
    if not out:
        raise ValueError("a cart add needs at least one item")
    return out


class CartsMixin(BaseClient):
    """Cart endpoints."""

    def add_to_cart(
        self, client_cart_id: str, items: Iterable[CartItem], *, correlation_id: str | None = None
    ) -> dict[str, Any]:
        """``POST /dapp/carts`` with ``{"items": [...], "clientCartId"}``.

        The server *adds* quantities to what is already in the cart, so this is never retried;
        to set a cart exactly, :meth:`empty_cart` first. ``client_cart_id`` is
        ``clientCart[0].id`` of the client, not the client id.
        """
        body = {"items": cart_items(items), "clientCartId": str(client_cart_id)}
        return self._write_dict("POST", "/dapp/carts", json=body, correlation_id=correlation_id)

    def list_carts(
        self, *, page: int = 1, take: int = DEFAULT_TAKE, order_by: str = "asc", search: str | None = None
    ) -> Page:
        """``GET /dapp/carts``: *clients* with non-empty carts (wrapper ``clients``)."""
        params = [("page", page), ("take", take), ("orderBy", order_by), ("search", search)]
        return self._list("/dapp/carts", "clients", params, page=page, take=take)

    def empty_cart(self, cart_id: str) -> dict[str, Any]:
        """``DELETE /dapp/carts/{cartId}``; an unknown cart is a 502 → :class:`NotFound`."""
        return self._write_dict("DELETE", "/dapp/carts/{cartId}", path_params={"cartId": cart_id})

    def remove_cart_strain(self, cart_id: str, strain_id: str) -> dict[str, Any]:
        """``DELETE /dapp/carts/{cartId}?strainId=…`` (signed ``{}``: non-GETs sign the body)."""
        return self._write_dict(
            "DELETE",
            "/dapp/carts/{cartId}",
            params=[("strainId", strain_id)],
            path_params={"cartId": cart_id},
        )
