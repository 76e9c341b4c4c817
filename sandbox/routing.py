"""Types every route module shares: the request context, responses and the route table.

They live apart from :mod:`sandbox.app` (the dispatcher) so route modules and the control
plane import these types, the app imports the route tables, and nothing imports back.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox import jsjson
from sandbox.validation import js_to_number

if TYPE_CHECKING:
    from sandbox.app import App
    from sandbox.store import Store

PREFIX = "/api/v1"
CONTROL_PREFIX = "/__sandbox__"


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False  # close the connection without answering (after the work was committed)


@dataclass
class Ctx:
    """Everything a dapp handler sees; ``holder`` is the authenticated key's user + primary NFT."""

    app: App
    method: str
    url: str
    path: str
    query: dict[str, Any]
    params: dict[str, str]
    body: Any
    holder: sqlite3.Row | None = None
    kyc_unavailable: bool = False

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def nft_id(self) -> str:
        assert self.holder is not None
        return str(self.holder["nft_id"])

    def now(self) -> str:
        return self.app.clock.now_iso()


Handler = Callable[..., Any]


@dataclass
class Route:
    """One ``METHOD template`` pair; ``:name`` segments become parameters."""

    method: str
    template: str
    handler: Handler
    auth: bool = True
    ignore_case: bool = True
    regex: re.Pattern[str] = field(init=False)
    param_names: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.param_names = re.findall(r":(\w+)", self.template)
        pattern = re.sub(r":(\w+)", r"([^/]+?)", re.escape(self.template).replace(r"\:", ":"))
        # Express defaults: case-insensitive, optional trailing slash.
        self.regex = re.compile("^" + pattern + "/?$", re.IGNORECASE if self.ignore_case else 0)

    def match(self, method: str, path: str) -> list[str] | None:
        """The raw parameter values when this route answers ``method path``."""
        if method != self.method:
            return None
        m = self.regex.match(path)
        return list(m.groups()) if m else None


class RouteTable:
    """Routes of one module in declaration order (static paths must precede ``:param`` siblings).

    The only way a route is registered: a module declares ``routes = RouteTable(...)`` and
    decorates its handlers; :func:`sandbox.routes.dapp_routes` and
    :func:`sandbox.control.control_routes` list the tables explicitly.
    """

    def __init__(self, prefix: str = PREFIX, *, ignore_case: bool = True) -> None:
        self.prefix = prefix
        self.ignore_case = ignore_case
        self.routes: list[Route] = []

    def add(self, method: str, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.routes.append(Route(method, self.prefix + path, fn, auth, self.ignore_case))
            return fn

        return deco

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.add("DELETE", path, **kw)


def json_response(status: int, payload: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, jsjson.dumps_bytes(payload), headers=headers or [])


def page_meta(query: dict[str, Any], item_count: int) -> dict[str, Any]:
    """``PageMetaDto`` built from the *raw* query: strings when sent, numbers when defaulted."""
    page = query.get("page", 1)
    take = query.get("take", 10)
    page_n, take_n = js_to_number(page), js_to_number(take)
    page_count = math.ceil(item_count / take_n) if take_n else 0
    return {
        "page": page,
        "take": take,
        "itemCount": item_count,
        "pageCount": page_count,
        "hasPreviousPage": page_n > 1,
        "hasNextPage": page_n < page_count,
    }


def envelope(status: int, result: Any, query: dict[str, Any]) -> dict[str, Any]:
    data = result
    message = result.get("message") if isinstance(result, dict) else None
    if isinstance(result, dict) and isinstance(result.get("paginationCount"), int):
        data = {k: v for k, v in result.items() if k != "paginationCount"}
        data["pageMetaDto"] = page_meta(query, result["paginationCount"])
    return {"success": True, "statusCode": status, "message": message or "Success", "data": data}


def interceptor_error(status: int, message: str, error: str, url: str, method: str) -> dict[str, Any]:
    return {
        "success": False,
        "message": message,
        "errorCode": status,
        "error": error,
        "url": url,
        "urlMethod": method,
    }
