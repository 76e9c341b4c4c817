"""Request pipeline shared by every route: routing, guard, pipes, handler, interceptor.

Mirrors the order of the real NestJS app: body parsing (Express middleware) →
route matching (unknown route: Nest 404) → DualAuthGuard (Nest default 401 body)
→ handler with validation (errors go through the response interceptor) →
success envelope with ``pageMetaDto``.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from sandbox import auth, jsjson, qs
from sandbox.control import control_routes, handle_control
from sandbox.errors import GuardError, HttpError, UnhandledError
from sandbox.faults import ENVOY_BODIES, Faults
from sandbox.routes import dapp_routes
from sandbox.routing import (
    CONTROL_PREFIX,
    Ctx,
    Response,
    Route,
    envelope,
    interceptor_error,
    json_response,
)
from sandbox.stats import Stats
from sandbox.store import Clock, Store


@dataclass
class Config:
    accept_empty_detail_signature: bool = False
    order_body_mode: str = "cart"  # "cart" (source) or "docs" (orderLines honoured)


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
        self.store = Store(db_path)
        self.clock = Clock()
        self.faults = Faults()
        self.stats = Stats()
        self.control_token = control_token
        self.defaults = Config(accept_empty_detail_signature, order_body_mode)
        self.config = Config(accept_empty_detail_signature, order_body_mode)
        self.routes = dapp_routes()
        self.control_routes = control_routes()

    # -- routing ------------------------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            raw = route.match(method, path)
            if raw is not None:
                try:
                    values = [qs.decode_uri_component(v) for v in raw]
                except Exception:  # noqa: BLE001 - Express answers 400 on undecodable params
                    raise GuardError(400, f"Failed to decode param '{raw[0]}'") from None
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
        if path.startswith(CONTROL_PREFIX):
            return handle_control(self, method, path, raw_query, headers, raw_body)

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
