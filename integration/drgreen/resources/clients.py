"""Clients (customers): ``/dapp/clients`` and the singular ``/dapp/client/{id}/…`` routes (facts §6.1)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..core import DEFAULT_TAKE, BaseClient, search_params
from ..errors import ResponseFormatError
from ..pagination import Page
from .orders import unwrap_order_details

__all__ = ["ClientsMixin", "parse_created_client"]


def parse_created_client(data: Any) -> dict[str, Any]:
    """Normalise a client-create ``data`` into the client dict (+ ``kycLink`` when present).

    The backend source answers ``{"client": {...}, "message": ...}``; the docs show
    ``{"id": ...}``; integrators also saw ``clientId`` and a ``kycLink``. The id is taken from
    ``data.client.id ?? data.clientId ?? data.id``.
    """
    if not isinstance(data, Mapping):
        raise ResponseFormatError("client create returned no object", body=data)
    nested = data.get("client")
    client: dict[str, Any] = (
        dict(nested)
        if isinstance(nested, Mapping)
        else {k: v for k, v in data.items() if k not in ("message", "kycLink", "clientId")}
    )
    nested_id = nested.get("id") if isinstance(nested, Mapping) else None
    client_id = nested_id or data.get("clientId") or data.get("id")
    if not client_id:
        raise ResponseFormatError("client create response carries no client id", body=data)
    client["id"] = client_id
    kyc_link = data.get("kycLink") or client.get("kycLink")
    if kyc_link:
        client["kycLink"] = kyc_link
    return client


class ClientsMixin(BaseClient):
    """Client endpoints."""

    def create_client(
        self, payload: Mapping[str, Any], *, correlation_id: str | None = None
    ) -> dict[str, Any]:
        """``POST /dapp/clients``. Not idempotent (409 on a duplicate email/phone); never retried."""
        envelope = self.request("POST", "/dapp/clients", json=dict(payload), correlation_id=correlation_id)
        data = self._data(envelope)
        client = parse_created_client(data)
        if "kycLink" not in client and isinstance(envelope.get("kycLink"), str):
            client["kycLink"] = envelope["kycLink"]
        return client

    def list_clients(
        self,
        *,
        page: int = 1,
        take: int = DEFAULT_TAKE,
        order_by: str = "asc",
        admin_approval: str | None = None,
        status: str | None = None,
        is_verified: bool | None = None,
        search: str | None = None,
        country_codes: Sequence[str] | None = None,
        start_date: Any = None,
        end_date: Any = None,
    ) -> Page:
        """``GET /dapp/clients``; ``status`` is ``Active``/``InActive``, ``is_verified`` is KYC."""
        params: list[tuple[str, Any]] = [
            ("page", page),
            ("take", take),
            ("orderBy", order_by),
            ("adminApproval", admin_approval),
            ("status", status),
            ("isVerified", is_verified),
            *search_params(search),
            ("countryCodes", list(country_codes) if country_codes is not None else None),
            ("startDate", start_date),
            ("endDate", end_date),
        ]
        return self._list("/dapp/clients", "clients", params, page=page, take=take)

    def iter_clients(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every client matching ``filters`` (``list_clients`` keywords), de-duplicated by id."""
        return self._iter(self.list_clients, filters)

    def get_client(self, client_id: str) -> dict[str, Any]:
        """``GET /dapp/clients/{clientId}`` (missing → :class:`NotFound`, sent by Dr Green as a 500)."""
        return self._get_dict("/dapp/clients/{clientId}", path_params={"clientId": client_id})

    def update_client(self, client_id: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``PATCH /dapp/clients/{clientId}``; returns the updated client row."""
        return self._write_dict(
            "PATCH", "/dapp/clients/{clientId}", json=dict(payload), path_params={"clientId": client_id}
        )

    def client_summary(self) -> dict[str, Any]:
        """``GET /dapp/clients/summary`` → ``{"summary": {<adminApproval>: n, "totalCount": n}}``."""
        return self._get_dict("/dapp/clients/summary")

    def list_client_orders(
        self,
        client_id: str,
        *,
        page: int = 1,
        take: int = DEFAULT_TAKE,
        order_by: str = "asc",
        status: str | None = None,
    ) -> Page:
        """``GET /dapp/client/{clientId}/orders`` (singular ``client``; items lack ``adminApproval``)."""
        params = [("page", page), ("take", take), ("orderBy", order_by), ("status", status)]
        return self._list(
            "/dapp/client/{clientId}/orders",
            "orders",
            params,
            path_params={"clientId": client_id},
            page=page,
            take=take,
        )

    def list_client_transactions(
        self, client_id: str, *, status: str | None = None, method: str | None = None
    ) -> Page:
        """``GET /dapp/client/{clientId}/transactions`` (not really paginated: all rows at once)."""
        params = [("status", status), ("method", method)]
        return self._list(
            "/dapp/client/{clientId}/transactions",
            "transactions",
            params,
            path_params={"clientId": client_id},
        )

    def get_client_order(self, client_id: str, order_id: str) -> dict[str, Any]:
        """``GET /dapp/clients/{clientId}/orders/{orderId}``; ``orderDetails: null`` → :class:`NotFound`."""
        route = "/dapp/clients/{clientId}/orders/{orderId}"
        data = self._get_data(route, path_params={"clientId": client_id, "orderId": order_id})
        return unwrap_order_details(data, path=route)

    def find_client_by_email(self, email: str) -> dict[str, Any] | None:
        """Find one of *our* clients by exact email (``search`` + ``searchBy=clientName``).

        Emails are unique across all holders, so a 409 on create for an email not found here
        means the client belongs to another holder.
        """
        wanted = email.strip().lower()
        for item in self.iter_clients(search=wanted, take=50):
            if str(item.get("email", "")).strip().lower() == wanted:
                return item
        return None
