"""Pages of Dr Green list endpoints and an iterator over all of them (facts §5).

List responses look like ``data = {<wrapper>: [...], "pageMetaDto": {page, take, itemCount,
pageCount, hasPreviousPage, hasNextPage}}``. ``page`` and ``take`` are strings when we sent
them (the interceptor copies the raw query) and numbers when defaulted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ResponseFormatError

__all__ = ["Page", "PageMeta", "iterate"]


def _to_int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                number = float(value.strip())
            except ValueError:
                return default
            return int(number) if math.isfinite(number) else default
    return default


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


@dataclass(frozen=True)
class PageMeta:
    """Normalised ``pageMetaDto``."""

    page: int
    take: int
    item_count: int
    page_count: int
    has_next: bool
    has_previous: bool

    @classmethod
    def from_dict(
        cls, meta: Mapping[str, Any] | None, *, page: int = 1, take: int = 10, items_on_page: int = 0
    ) -> PageMeta:
        """Build from a ``pageMetaDto`` (or its absence) using the requested page/take as fallback."""
        if not isinstance(meta, Mapping):
            # No meta (an unpaginated endpoint or an odd build): assume more may follow only
            # when the page came back full; the iterator stops at the first empty page anyway.
            return cls(
                page=page,
                take=take,
                item_count=(page - 1) * take + items_on_page,
                page_count=page if items_on_page else page - 1,
                has_next=take > 0 and items_on_page >= take,
                has_previous=page > 1,
            )
        page_no = _to_int(meta.get("page"), page)
        take_no = _to_int(meta.get("take"), take)
        item_count = _to_int(meta.get("itemCount"), items_on_page)
        default_pages = math.ceil(item_count / take_no) if take_no > 0 else 0
        page_count = _to_int(meta.get("pageCount"), default_pages)
        has_next = _to_bool(meta.get("hasNextPage"))
        has_previous = _to_bool(meta.get("hasPreviousPage"))
        return cls(
            page=page_no,
            take=take_no,
            item_count=item_count,
            page_count=page_count,
            has_next=page_no < page_count if has_next is None else has_next,
            has_previous=page_no > 1 if has_previous is None else has_previous,
        )


@dataclass(frozen=True)
class Page:
    """One page of a list endpoint: the items, the normalised meta and the raw ``data`` dict."""

    items: list[dict[str, Any]]
    meta: PageMeta
    raw: dict[str, Any] = field(repr=False)

    @classmethod
    def from_data(cls, data: Any, wrapper: str, *, page: int = 1, take: int = 10) -> Page:
        """Build a page from an envelope's ``data`` using the endpoint's wrapper key."""
        if isinstance(data, list):
            # Tolerate a bare list (no wrapper, no meta) rather than guessing other keys.
            items, raw, meta = data, {wrapper: data}, None
        elif isinstance(data, Mapping) and isinstance(data.get(wrapper), list):
            items, raw, meta = data[wrapper], dict(data), data.get("pageMetaDto")
        else:
            raise ResponseFormatError(f"expected data.{wrapper} to be a list", body=data)
        if not all(isinstance(item, Mapping) for item in items):
            raise ResponseFormatError(f"data.{wrapper} holds non-object items", body=data)
        return cls(
            items=[dict(item) for item in items],
            meta=PageMeta.from_dict(meta, page=page, take=take, items_on_page=len(items)),
            raw=raw,
        )


FetchPage = Callable[..., Page]


def iterate(
    fetch_page: FetchPage, *, take: int, order_by: str = "asc", start_page: int = 1
) -> Iterator[dict[str, Any]]:
    """Yield every item of a list endpoint, page by page.

    ``fetch_page(page=, take=, order_by=)`` returns a :class:`Page`. The walk stops when
    ``hasNextPage`` is false or a page is empty. Rows can move between pages while we walk
    (inserts under ``desc``, deletes under ``asc``); items already yielded are skipped by
    ``id``. Use ``order_by="asc"`` for full walks: new rows then land at the end.
    """
    seen: set[Any] = set()
    previous_ids: list[Any] | None = None
    page_no = start_page
    while True:
        page = fetch_page(page=page_no, take=take, order_by=order_by)
        if not page.items:
            return
        page_ids = [item.get("id") for item in page.items]
        if previous_ids is not None and page_ids == previous_ids:
            # The server ignored ``page`` and sent the same rows again; stop instead of looping.
            return
        previous_ids = page_ids
        for item in page.items:
            item_id = item.get("id")
            if item_id is not None:
                key = str(item_id)
                if key in seen:
                    continue
                seen.add(key)
            yield item
        if not page.meta.has_next:
            return
        page_no += 1
