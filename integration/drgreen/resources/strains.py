"""Strains (catalogue): ``/dapp/strains`` (facts §6.6)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..core import DEFAULT_TAKE, BaseClient
from ..pagination import Page

__all__ = ["StrainsMixin"]


class StrainsMixin(BaseClient):
    """Strain endpoints."""

    def list_strains(
        self,
        *,
        country_code: str | None = None,
        page: int = 1,
        take: int = DEFAULT_TAKE,
        order_by: str = "asc",
        search: str | None = None,
        thc_levels: Sequence[str] | None = None,
    ) -> Page:
        """``GET /dapp/strains`` (``country_code`` ISO alpha-3; ``thc_levels`` ⊂ None/Low/Mid/High)."""
        params: list[tuple[str, Any]] = [
            ("countryCode", country_code),
            ("page", page),
            ("take", take),
            ("orderBy", order_by),
            ("search", search),
            ("thcLevels", list(thc_levels) if thc_levels is not None else None),
        ]
        return self._list("/dapp/strains", "strains", params, page=page, take=take)

    def iter_strains(self, **filters: Any) -> Iterator[dict[str, Any]]:
        """Every strain matching ``filters`` (``list_strains`` keywords), de-duplicated by id."""
        return self._iter(self.list_strains, filters)

    def get_strain(self, strain_id: str, *, country_code: str | None = None) -> dict[str, Any]:
        """``GET /dapp/strains/{strainId}[?countryCode=…]`` (unknown → 500 → :class:`NotFound`)."""
        return self._get_dict(
            "/dapp/strains/{strainId}",
            params=[("countryCode", country_code)],
            path_params={"strainId": strain_id},
        )
