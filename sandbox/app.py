"""Request pipeline shared by every route: routing, guard, pipes, handler, interceptor.

Mirrors the order of the real NestJS app: body parsing (Express middleware) →
route matching (unknown route: Nest 404) → DualAuthGuard (Nest default 401 body)
→ handler with validation (errors go through the response interceptor) →
success envelope with ``pageMetaDto``.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import auth, jsjson, qs
from sandbox.errors import GuardError, HttpError, UnhandledError
from sandbox.faults import ENVOY_BODIES, Faults
from sandbox.stats import Stats
from sandbox.store import Clock, Store
from sandbox.validation import js_to_number

PREFIX = "/api/v1"


@dataclass
class Config:
    accept_empty_detail_signature: bool = False
    order_body_mode: str = "cart"  # "cart" (source) or "docs" (orderLines honoured)


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False  # close the connection without answering (after the work was committed)


@dataclass
class Ctx:
    """Everything a handler sees; ``holder`` is the authenticated key's user + primary NFT."""

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


Handler = Callable[[Ctx], Any]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    auth: bool = True
    regex: re.Pattern[str] = field(init=False)
    param_names: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.param_names = re.findall(r":(\w+)", self.template)
        pattern = re.sub(r":(\w+)", r"([^/]+?)", re.escape(self.template).replace(r"\:", ":"))
        # Express defaults: case-insensitive, optional trailing slash.
        self.regex = re.compile("^" + pattern + "/?$", re.IGNORECASE)


class RouteTable:
    """Collects routes in declaration order (static paths must precede ``:param`` siblings)."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, path: str, *, auth: bool = True) -> Callable[[Handler], Handler]:
        def deco(fn: Handler) -> Handler:
            self.routes.append(Route(method, PREFIX + path, fn, auth))
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


def _parse_body(headers: dict[str, str], raw: bytes) -> Any:
    """body-parser json (strict): JSON content types only; anything else leaves ``{}``."""
    ctype = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if ctype != "application/json" or not raw:
        return {}
    text = raw.decode("utf-8", "replace")
    stripped = text.lstrip(" \t\n\r")
    if not stripped:
        return {}
    if stripped[0] not in "{[":
        raise GuardError(400, f"Unexpected token '{stripped[0]}', \"{stripped[:10]}\" is not valid JSON")
    try:
        return jsjson.parse(text)
    except ValueError as exc:
        raise GuardError(400, f"Unexpected token in JSON: {exc}") from None


class App:
    def __init__(
        self,
        *,
        db_path: str | None = None,
        control_token: str = "sandbox-dev-token",  # noqa: S107 - dev default, not a secret
        accept_empty_detail_signature: bool = False,
        order_body_mode: str = "cart",
    ) -> None:
        from sandbox.routes import build_routes

        self.store = Store(db_path)
        self.clock = Clock()
        self.faults = Faults()
        self.stats = Stats()
        self.control_token = control_token
        self.defaults = Config(accept_empty_detail_signature, order_body_mode)
        self.config = Config(accept_empty_detail_signature, order_body_mode)
        self.routes = build_routes()

    # -- routing ------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method != method:
                continue
            m = route.regex.match(path)
            if m:
                try:
                    values = [qs.decode_uri_component(v) for v in m.groups()]
                except Exception:  # noqa: BLE001 - Express answers 400 on undecodable params
                    raise GuardError(400, f"Failed to decode param '{m.group(1)}'") from None
                return route, dict(zip(route.param_names, values, strict=True))
        return None

    # -- the guard ----------------------------------------------------------------------------

    def authenticate(self, headers: dict[str, str], req: auth.ParsedRequest) -> sqlite3.Row:
        if "authorization" in headers:
            # Any Authorization header switches the real guard to JWT mode; we hold no JWT secret,
            # so every token fails as JsonWebTokenError.
            raise GuardError(401, auth.JWT_LOGIN_FIRST)
        api_key = headers.get("x-auth-apikey") or ""
        signature = headers.get("x-auth-signature") or ""
        if not api_key or not signature:
            raise GuardError(401, auth.NOT_AUTHORIZED)
        with self.store.lock:
            row = self.store.one(
                "SELECT h.* FROM api_keys k JOIN holders h ON h.id = k.holder_id "
                "WHERE k.key = ? AND k.is_deleted = 0",
                (api_key,),
            )
        if row is None:
            raise GuardError(401, auth.NOT_AUTHORIZED)
        candidates = auth.canonical_strings(
            req, accept_empty_detail=self.config.accept_empty_detail_signature
        )
        if not any(auth.verify_signature(api_key, signature, c) for c in candidates):
            raise GuardError(401, auth.NOT_AUTHORIZED)
        if row["nft_id"] is None:
            raise GuardError(401, auth.ACCESS_DENIED)
        return row

    # -- the pipeline -------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], raw_body: bytes) -> Response:
        path, _, raw_query = target.partition("?")
        if path.startswith("/__sandbox__"):
            from sandbox.control import handle_control

            return handle_control(self, method, path, raw_query, headers, raw_body)

        import time

        fired = self.faults.fire(method, path)
        delay = sum(f.ms for f in fired if f.kind == "latency")
        if delay:
            time.sleep(delay / 1000)
        for fault in fired:
            if fault.kind == "status":
                return self._record(method, path, None, self._fault_response(fault))
        drop = any(f.kind == "drop_after_commit" for f in fired)
        kyc_down = any(f.kind == "kyc_unavailable" for f in fired)

        route_info: tuple[Route, dict[str, str]] | None = None
        try:
            body = _parse_body(headers, raw_body)
            route_info = self.match(method, path)
            if route_info is None:
                raise GuardError(404, f"Cannot {method} {target}")
            route, params = route_info
            query = qs.parse(raw_query)
            ctx = Ctx(self, method, target, path, query, params, body, kyc_unavailable=kyc_down)
            if route.auth:
                ctx.holder = self.authenticate(headers, auth.ParsedRequest(method, query, params, body))
            response = self._run(route, ctx)
        except GuardError as exc:
            response = json_response(exc.status, exc.body())
        response.drop = drop
        return self._record(method, path, route_info[0] if route_info else None, response)

    def _run(self, route: Route, ctx: Ctx) -> Response:
        try:
            with self.store.tx():
                result = route.handler(ctx)
            if result is None:
                raise HttpError(400, "Internal Server Error")
        except HttpError as exc:
            return json_response(
                exc.status, interceptor_error(exc.status, exc.message, exc.error, ctx.url, ctx.method)
            )
        except UnhandledError as exc:
            return json_response(
                500, interceptor_error(500, exc.message, "Internal Server Error", ctx.url, ctx.method)
            )
        except Exception as exc:  # noqa: BLE001 - like Nest, any other error is an unhandled 500
            return json_response(
                500, interceptor_error(500, str(exc), "Internal Server Error", ctx.url, ctx.method)
            )
        status = 201 if ctx.method == "POST" else 200
        return json_response(status, envelope(status, result, ctx.query))

    def _fault_response(self, fault: Any) -> Response:
        status = int(fault.status)
        headers: list[tuple[str, str]] = [("server", "envoy")]
        if fault.retry_after is not None:
            headers.append(("Retry-After", fault.retry_after))
        if status in ENVOY_BODIES:
            return Response(status, ENVOY_BODIES[status].encode(), "text/plain", headers)
        if status == 429:
            headers.append(("x-envoy-ratelimited", "true"))
            return Response(status, b"", "text/plain", headers)
        if status == 500:
            payload = interceptor_error(500, "Internal Server Error", "Internal Server Error", "", "")
            return json_response(status, payload, headers)
        return json_response(status, {"message": HttpError(status, "").error, "statusCode": status}, headers)

    def _record(self, method: str, path: str, route: Route | None, response: Response) -> Response:
        key = f"{method} {route.template if route else path}"
        self.stats.record(method, key, "dropped" if response.drop else response.status)
        return response

    def reset(self) -> None:
        self.store.wipe()
        self.faults.clear()
        self.clock.reset()
        self.stats.reset()
        self.config = Config(self.defaults.accept_empty_detail_signature, self.defaults.order_body_mode)
