"""Control plane under ``/__sandbox__/``: play Dr Green's admin, payment processor and courier.

Guarded by ``X-Sandbox-Token``; JSON in and out. Errors are ``{"error": "..."}`` with
a 4xx status (409 ``Wrong order status flow`` mirrors the real admin endpoint).
"""

# SQL here is assembled only from fixed fragments; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox import auth, jsjson
from sandbox.store import new_id

if TYPE_CHECKING:
    from sandbox.app import App, Response


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


Handler = Callable[["App", dict[str, str], dict[str, Any], dict[str, Any]], Any]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        regex = re.compile("^/__sandbox__" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "/?$")
        _ROUTES.append((method, regex, fn))
        return fn

    return deco


def handle_control(
    app: App, method: str, path: str, raw_query: str, headers: dict[str, str], raw: bytes
) -> Response:
    from sandbox import qs
    from sandbox.app import json_response

    if not secrets.compare_digest(headers.get("x-sandbox-token", ""), app.control_token):
        return json_response(401, {"error": "missing or wrong X-Sandbox-Token"})
    try:
        body = jsjson.parse(raw.decode("utf-8")) if raw.strip() else {}
    except ValueError:
        return json_response(400, {"error": "body must be JSON"})
    if not isinstance(body, dict):
        return json_response(400, {"error": "body must be a JSON object"})
    query = {k: v for k, v in qs.parse(raw_query).items() if isinstance(v, str)}
    from sandbox import control_admin  # noqa: F401 - registers the admin routes on first use

    for m, regex, fn in _ROUTES:
        match = regex.match(path)
        if match and m == method:
            try:
                return json_response(200, fn(app, match.groupdict(), body, query))
            except ControlError as exc:
                return json_response(exc.status, {"error": exc.message})
            except ValueError as exc:
                return json_response(400, {"error": str(exc)})
    return json_response(404, {"error": f"no control route {method} {path}"})


# ---- holders and keys -------------------------------------------------------------------------


def create_holder(app: App) -> dict[str, Any]:
    """A new dapp user with a primary NFT and one API key (secret returned once, like the server)."""
    api_key, secret_key = auth.generate_key_pair()
    with app.store.tx() as conn:
        token_id = (app.store.scalar("SELECT MAX(token_id) FROM holders") or 0) + 1
        holder_id, nft_id = new_id(), new_id()
        owner = "0x" + secrets.token_hex(20)
        now = app.clock.now_iso()
        conn.execute(
            "INSERT INTO holders (id, nft_id, token_id, owner_id, created_at) VALUES (?,?,?,?,?)",
            (holder_id, nft_id, token_id, owner, now),
        )
        conn.execute(
            "INSERT INTO api_keys (key, holder_id, created_at) VALUES (?,?,?)", (api_key, holder_id, now)
        )
    return {
        "apiKey": api_key,
        "secretKey": secret_key,
        "holderId": holder_id,
        "nftTokenId": token_id,
        "nftId": nft_id,
        "ownerId": owner,
    }


@route("POST", "/keys")
def post_keys(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    return create_holder(app)


@route("POST", "/keys/revoke")
def revoke_key(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.tx() as conn:
        cur = conn.execute("UPDATE api_keys SET is_deleted = 1 WHERE key = ?", (body.get("apiKey"),))
    if cur.rowcount == 0:
        raise ControlError(404, "unknown apiKey")
    return {"revoked": True}


# ---- config, clock, faults, stats, reset ------------------------------------------------------


@route("GET", "/config")
def get_config(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    return {
        "acceptEmptyDetailSignature": app.config.accept_empty_detail_signature,
        "orderBodyMode": app.config.order_body_mode,
    }


@route("POST", "/config")
def post_config(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    if "acceptEmptyDetailSignature" in body:
        app.config.accept_empty_detail_signature = bool(body["acceptEmptyDetailSignature"])
    if "orderBodyMode" in body:
        if body["orderBodyMode"] not in ("cart", "docs"):
            raise ValueError("orderBodyMode must be cart or docs")
        app.config.order_body_mode = body["orderBodyMode"]
    return get_config(app, params, body, query)


@route("POST", "/clock")
def post_clock(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    seconds = body.get("advance_seconds", 0)
    if not isinstance(seconds, int | float) or isinstance(seconds, bool):
        raise ValueError("advance_seconds must be a number")
    app.clock.advance(seconds)
    return {"now": app.clock.now_iso(), "offset_seconds": app.clock.offset.total_seconds()}


@route("GET", "/clock")
def get_clock(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    return {"now": app.clock.now_iso(), "offset_seconds": app.clock.offset.total_seconds()}


@route("POST", "/faults")
def post_fault(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    fault = app.faults.add(body)
    return {"id": fault.id, "faults": app.faults.list()}


@route("GET", "/faults")
def get_faults(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    return {"faults": app.faults.list()}


@route("DELETE", "/faults")
def delete_faults(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    app.faults.clear()
    return {"faults": []}


@route("GET", "/stats")
def get_stats(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    with app.store.lock:
        orders = app.store.scalar("SELECT COUNT(*) FROM orders")
        clients = app.store.scalar("SELECT COUNT(*) FROM clients")
    return {"requests": app.stats.snapshot(), "orders": orders, "clients": clients}


@route("DELETE", "/stats")
def delete_stats(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    app.stats.reset()
    return {"requests": app.stats.snapshot()}


@route("POST", "/reset")
def post_reset(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    app.reset()
    return {"reset": True}


@route("POST", "/seed")
def post_seed(app: App, params: dict[str, str], body: dict[str, Any], query: dict[str, Any]) -> Any:
    from sandbox.seed import seed

    return seed(app, body)
