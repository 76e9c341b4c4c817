"""Control plane under ``/__sandbox__/``: play Dr Green's admin, payment processor and courier.

Guarded by ``X-Sandbox-Token``; JSON in and out. Errors are ``{"error": "..."}`` with
a 4xx status (409 ``Wrong order status flow`` mirrors the real admin endpoint). This module
holds the dispatcher and the sandbox's own knobs (keys, config, clock, faults, stats, reset,
seed); clients, orders and the catalogue have their own route tables, listed in
:func:`control_routes`.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sandbox import control_admin, control_clients, control_orders, jsjson, qs
from sandbox.errors import ControlError
from sandbox.holders import create_holder
from sandbox.routing import CONTROL_PREFIX, Response, Route, RouteTable, json_response
from sandbox.seed import seed

if TYPE_CHECKING:
    from sandbox.app import App

# Handlers take (app, params, body, query) and return the JSON answer.
routes = RouteTable(CONTROL_PREFIX, ignore_case=False)


def control_routes() -> list[Route]:
    tables = [routes, control_clients.routes, control_orders.routes, control_admin.routes]
    return [route for table in tables for route in table.routes]


def handle_control(
    app: App, method: str, path: str, raw_query: str, headers: dict[str, str], raw: bytes
) -> Response:
    if not secrets.compare_digest(headers.get("x-sandbox-token", ""), app.control_token):
        return json_response(401, {"error": "missing or wrong X-Sandbox-Token"})
    try:
        body = jsjson.parse(raw.decode("utf-8")) if raw.strip() else {}
    except ValueError:
        return json_response(400, {"error": "body must be JSON"})
    if not isinstance(body, dict):
        return json_response(400, {"error": "body must be a JSON object"})
    query = {k: v for k, v in qs.parse(raw_query).items() if isinstance(v, str)}
    for route in app.control_routes:
        values = route.match(method, path)
        if values is not None:
            params = dict(zip(route.param_names, values, strict=True))
            try:
                return json_response(200, route.handler(app, params, body, query))
            except ControlError as exc:
                return json_response(exc.status, {"error": exc.message})
            except ValueError as exc:
                return json_response(400, {"error": str(exc)})
    return json_response(404, {"error": f"no control route {method} {path}"})


# ---- holders and keys -------------------------------------------------------------------------


@routes.post("/keys")
def post_keys(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    return create_holder(app)


@routes.post("/keys/revoke")
def revoke_key(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        cur = conn.execute("UPDATE api_keys SET is_deleted = 1 WHERE key = ?", (body.get("apiKey"),))
    if cur.rowcount == 0:
        raise ControlError(404, "unknown apiKey")
    return {"revoked": True}


# ---- config, clock, faults, stats, reset ------------------------------------------------------


@routes.get("/config")
def get_config(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    return {
        "acceptEmptyDetailSignature": app.config.accept_empty_detail_signature,
        "orderBodyMode": app.config.order_body_mode,
    }


@routes.post("/config")
def post_config(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    if "acceptEmptyDetailSignature" in body:
        app.config.accept_empty_detail_signature = bool(body["acceptEmptyDetailSignature"])
    if "orderBodyMode" in body:
        if body["orderBodyMode"] not in ("cart", "docs"):
            raise ValueError("orderBodyMode must be cart or docs")
        app.config.order_body_mode = body["orderBodyMode"]
    return get_config(app, params, body, query)


@routes.post("/clock")
def post_clock(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    seconds = body.get("advance_seconds", 0)
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise ValueError("advance_seconds must be a number")
    app.clock.advance(seconds)
    return {"now": app.clock.now_iso(), "offset_seconds": app.clock.offset.total_seconds()}


@routes.get("/clock")
def get_clock(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    return {"now": app.clock.now_iso(), "offset_seconds": app.clock.offset.total_seconds()}


@routes.post("/faults")
def post_fault(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    fault = app.faults.add(body)
    return {"id": fault.id, "faults": app.faults.list()}


@routes.get("/faults")
def get_faults(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    return {"faults": app.faults.list()}


@routes.delete("/faults")
def delete_faults(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    app.faults.clear()
    return {"faults": []}


@routes.get("/stats")
def get_stats(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        orders = app.store.scalar("SELECT COUNT(*) FROM orders")
        clients = app.store.scalar("SELECT COUNT(*) FROM clients")
    return {"requests": app.stats.snapshot(), "orders": orders, "clients": clients}


@routes.delete("/stats")
def delete_stats(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    app.stats.reset()
    return {"requests": app.stats.snapshot()}


@routes.post("/reset")
def post_reset(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    app.reset()
    return {"reset": True}


@routes.post("/seed")
def post_seed(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    return seed(app, body)
