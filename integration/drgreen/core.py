"""The low-level signed request machinery shared by every resource of :class:`DrGreenClient`."""

from __future__ import annotations

import json as _json
import random as _random
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote

import requests

from .errors import AuthError, DrGreenError, NotFound, ResponseFormatError, error_from_response
from .jsjson import js_stringify
from .keys import load_secret_key
from .pagination import Page, iterate
from .routes import match_route
from .signing import QueryPairs, build_query, canonical_string, sign
from .transport import CallRecord, RawResponse, Transport

__all__ = ["BaseClient", "Params", "PathParams"]

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]
PathParams = Mapping[str, Any] | Sequence[tuple[str, Any]]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
DEFAULT_TAKE = 50
DEFAULT_ITER_TAKE = 200

# Values of the remembered canonical variant for detail GETs (facts §2.3).
_PARAMS = "params"  # sign {"orderId": "..."}: the backend source's rule
_EMPTY = "empty"  # sign {}: what the vendor docs claim


def _resolve_path(
    method: str, path: str, path_params: PathParams | None
) -> tuple[str, str, list[tuple[str, str]]]:
    """Return ``(route, concrete_path, ordered_path_params)``.

    A path with ``{name}`` placeholders is a route template: the values are filled in
    (percent-encoded; Express decodes them back) and their route order is the signing order.
    A concrete path of a known dapp route (:mod:`.routes`) gets that route's parameters,
    decoded from the path as Express does, so it signs exactly like the template form. Any
    other concrete path keeps ``path_params`` in the order given, for signing only.
    """
    values: dict[str, str] = {}
    if path_params is not None:
        items = path_params.items() if isinstance(path_params, Mapping) else path_params
        values = {str(k): str(v) for k, v in items}
    names = _PLACEHOLDER.findall(path)
    if not names:
        known = match_route(method, path) if path_params is None else None
        if known is not None:
            return known[0], path, known[1]
        return path, path, list(values.items())
    missing = [name for name in names if name not in values]
    if missing:
        raise ValueError(f"missing path parameters for {path}: {', '.join(missing)}")
    for name in names:
        if not values[name]:
            raise ValueError(f"empty path parameter {name!r} for {path}")
    concrete = _PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), path)
    return path, concrete, [(name, values[name]) for name in names]


class BaseClient:
    """Signed requests, envelope decoding and list helpers. Resources build on this."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        secret_key: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        get_retries: int = 3,
        on_call: Callable[[CallRecord], None] | None = None,
        session: requests.Session | None = None,
        accept_empty_detail_signature: bool | None = None,
        sleep: Callable[[float], None] = time.sleep,
        random: Callable[[], float] = _random.random,
        max_retry_after: float = 30.0,
    ) -> None:
        """Create a client for ``base_url`` (including ``/api/v1``).

        ``accept_empty_detail_signature``: ``None`` signs detail GETs with the path-params JSON
        and falls back once to ``{}`` on a 401, remembering what worked; ``True`` signs ``{}``
        from the start; ``False`` never tries ``{}``. ``sleep``/``random`` drive the GET retry
        backoff (injectable for tests); a ``Retry-After`` above ``max_retry_after`` seconds
        raises :class:`RateLimited` instead of sleeping.
        """
        self.base_url = base_url.rstrip("/")
        # The api key is looked up verbatim by the server: send it exactly as issued.
        self._api_key = api_key.strip()
        self._private_key = load_secret_key(secret_key)
        self._transport = Transport(
            self.base_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            get_retries=get_retries,
            on_call=on_call,
            session=session,
            sleep=sleep,
            random=random,
            max_retry_after=max_retry_after,
        )
        self._detail_variant: str | None = {None: None, True: _EMPTY, False: _PARAMS}[
            accept_empty_detail_signature
        ]
        # With an explicit choice there is nothing to discover, so no fallback either.
        self._detail_fallback = accept_empty_detail_signature is None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def detail_signature_variant(self) -> str | None:
        """``"params"`` or ``"empty"`` once known for this server, else ``None``."""
        return self._detail_variant

    def close(self) -> None:
        """Release pooled connections."""
        self._transport.close()

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- low level ---------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        concrete: str,
        route: str,
        query: QueryPairs,
        body_text: str | None,
        canonical: str | None,
        correlation_id: str | None,
    ) -> RawResponse:
        headers: dict[str, str] = {}
        if canonical is not None:
            headers["x-auth-apikey"] = self._api_key
            headers["x-auth-signature"] = sign(self._private_key, canonical)
        return self._transport.send(
            method,
            concrete,
            query=query,
            body=None if body_text is None else body_text.encode("utf-8"),
            headers=headers,
            route=route,
            correlation_id=correlation_id,
        )

    def _decode(self, raw: RawResponse, method: str, route: str) -> dict[str, Any]:
        try:
            envelope = _json.loads(raw.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            text = raw.content[:300].decode("utf-8", "replace")
            raise ResponseFormatError(
                "response body is not JSON", status=raw.status, body=text, method=method, path=route
            ) from None
        if not isinstance(envelope, dict):
            raise ResponseFormatError(
                "response body is not a JSON object",
                status=raw.status,
                body=envelope,
                method=method,
                path=route,
            )
        success = envelope.get("success")
        if success is False or success == "false":
            # An error envelope with a 2xx status line; trust the body's code when it has one.
            code = envelope.get("errorCode", envelope.get("statusCode"))
            status = code if isinstance(code, int) and not isinstance(code, bool) else raw.status
            raise error_from_response(status, envelope, raw.headers, method=method, path=route)
        return envelope

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        path_params: PathParams | None = None,
        correlation_id: str | None = None,
        signed: bool = True,
    ) -> dict[str, Any]:
        """Send a signed request and return the decoded envelope ``{success, statusCode, message, data}``.

        ``path`` is relative to the base URL, either concrete or a route template such as
        ``/dapp/orders/{orderId}`` filled from ``path_params``; a concrete path of a known dapp
        route is signed with that route's parameters, like its template form, and a query
        written into ``path`` is signed like ``params``. ``params`` become the query
        (``None`` values dropped; booleans, numbers and JSON-array filters converted), ``json``
        the body, sent as exactly the JavaScript-compatible JSON string that is signed.
        """
        method = method.upper()
        path, _, inline_query = path.partition("?")
        path = "/" + path.lstrip("/")  # relative to the base URL, with or without the slash
        if inline_query:
            # A query written into the path is parsed like Express's ``qs`` would (``+`` is a
            # space) and signed like ``params``, which follow it.
            inline = parse_qsl(inline_query, keep_blank_values=True)
            extra = list(params.items() if isinstance(params, Mapping) else params or [])
            params = [*inline, *extra]
        route, concrete, ordered_path_params = _resolve_path(method, path, path_params)
        query = build_query(params)
        body_text = None if json is None else js_stringify(json)
        if method == "GET":
            body_text = None  # the server ignores GET bodies; never send one

        if not signed:
            raw = self._send(method, concrete, route, query, body_text, None, correlation_id)
            return self._decode(raw, method, route)

        is_detail_get = method == "GET" and not query and bool(ordered_path_params)
        if not is_detail_get:
            canonical = canonical_string(method, query=query, body=json, path_params=ordered_path_params)
            raw = self._send(method, concrete, route, query, body_text, canonical, correlation_id)
            return self._decode(raw, method, route)
        return self._detail_get(concrete, route, ordered_path_params, correlation_id)

    def _detail_get(
        self,
        concrete: str,
        route: str,
        path_params: list[tuple[str, str]],
        correlation_id: str | None,
    ) -> dict[str, Any]:
        params_canonical = canonical_string("GET", path_params=path_params)
        if self._detail_variant == _EMPTY:
            raw = self._send("GET", concrete, route, [], None, "{}", correlation_id)
            return self._decode(raw, "GET", route)
        try:
            raw = self._send("GET", concrete, route, [], None, params_canonical, correlation_id)
        except AuthError as first:
            if not self._detail_fallback or self._detail_variant is not None:
                raise
            # The vendor docs say detail GETs sign {}; try that once and remember the answer.
            try:
                raw = self._send("GET", concrete, route, [], None, "{}", correlation_id)
            except AuthError:
                raise first from None
            self._detail_variant = _EMPTY
            return self._decode(raw, "GET", route)
        except NotFound:
            # The guard accepted the signature; only the resource is missing.
            self._detail_variant = self._detail_variant or _PARAMS
            raise
        self._detail_variant = self._detail_variant or _PARAMS
        return self._decode(raw, "GET", route)

    # -- helpers for resources ---------------------------------------------------------------

    @staticmethod
    def _data(envelope: Mapping[str, Any]) -> Any:
        if "data" not in envelope:
            raise ResponseFormatError("response envelope has no data", body=envelope)
        return envelope["data"]

    def _get_data(
        self, path: str, *, params: Params | None = None, path_params: PathParams | None = None
    ) -> Any:
        return self._data(self.request("GET", path, params=params, path_params=path_params))

    def _get_dict(
        self, path: str, *, params: Params | None = None, path_params: PathParams | None = None
    ) -> dict:
        data = self._get_data(path, params=params, path_params=path_params)
        if not isinstance(data, dict):
            raise ResponseFormatError(f"expected an object in data for {path}", body=data, path=path)
        return data

    def _write_dict(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Params | None = None,
        path_params: PathParams | None = None,
        correlation_id: str | None = None,
    ) -> dict:
        envelope = self.request(
            method, path, json=json, params=params, path_params=path_params, correlation_id=correlation_id
        )
        data = self._data(envelope)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ResponseFormatError(f"expected an object in data for {method} {path}", body=data, path=path)
        return data

    def _list(
        self,
        path: str,
        wrapper: str,
        params: Sequence[tuple[str, Any]],
        *,
        path_params: PathParams | None = None,
        page: int | None = None,
        take: int | None = None,
    ) -> Page:
        data = self._get_data(path, params=params, path_params=path_params)
        try:
            return Page.from_data(data, wrapper, page=page or 1, take=take or 10)
        except DrGreenError as exc:
            exc.method, exc.path = "GET", path
            raise

    @staticmethod
    def _iter(list_fn: Callable[..., Page], filters: dict[str, Any]) -> Iterator[dict[str, Any]]:
        take = filters.pop("take", DEFAULT_ITER_TAKE)
        order_by = filters.pop("order_by", "asc")
        start_page = filters.pop("page", 1)

        def fetch(*, page: int, take: int, order_by: str) -> Page:
            return list_fn(page=page, take=take, order_by=order_by, **filters)

        return iterate(fetch, take=take, order_by=order_by, start_page=start_page)


def search_params(search: str | None) -> list[tuple[str, Any]]:
    """``search`` is only applied by the server together with ``searchBy=clientName``."""
    if search is None:
        return []
    return [("search", search), ("searchBy", "clientName")]
