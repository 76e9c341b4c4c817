"""The dapp routes the client knows, in the backend's registration order (facts §2.3).

Dr Green's guard signs a bodiless GET without a query with ``JSON.stringify(req.params)``:
the *route's* parameters, named as in its controller, in route order. A concrete path
(``/dapp/orders/<uuid>``) carries no names, so :func:`match_route` finds the route Express
would pick for it and recovers them, which makes ``request("GET", "/dapp/orders/<id>")`` sign
exactly like ``request("GET", "/dapp/orders/{orderId}", path_params=...)``.

Matching follows Express: routes in registration order (the static ``/dapp/orders/summary``
is declared before ``/dapp/orders/:orderId``, so it wins), case-insensitive, one optional
trailing slash, a parameter is one non-empty segment, decoded with ``decodeURIComponent``.
Sources: the ``@Get``/``@Patch``/``@Delete`` decorators of ``src/*/*.controller.ts``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import unquote

__all__ = ["DAPP_ROUTES", "match_route"]

# (method, template) per controller, modules in app.module.ts order (strain, sale, order,
# client, dashboard, commission, carts); only the dapp routes an API key can reach.
DAPP_ROUTES: tuple[tuple[str, str], ...] = (
    ("GET", "/dapp/strains"),
    ("GET", "/dapp/strains/{strainId}"),
    ("POST", "/dapp/sales"),
    ("GET", "/dapp/sales"),
    ("GET", "/dapp/sales/summary"),
    ("GET", "/dapp/revenue"),
    ("GET", "/dapp/revenue/summary"),
    ("GET", "/dapp/revenue/chart-data"),
    ("PATCH", "/dapp/sales"),
    ("POST", "/dapp/orders"),
    ("GET", "/dapp/orders"),
    ("GET", "/dapp/orders/recent"),
    ("GET", "/dapp/orders/summary"),
    ("GET", "/dapp/orders/chart-data"),
    ("GET", "/dapp/orders/status-breakdown"),
    ("GET", "/dapp/orders/{orderId}"),
    ("POST", "/dapp/clients"),
    ("GET", "/dapp/clients"),
    ("GET", "/dapp/clients/chart-data"),
    ("GET", "/dapp/clients/status-breakdown"),
    ("GET", "/dapp/clients/list"),
    ("GET", "/dapp/clients/summary"),
    ("GET", "/dapp/clients/{clientId}"),
    ("PATCH", "/dapp/clients/{clientId}"),
    ("GET", "/dapp/client/{clientId}/orders"),
    ("GET", "/dapp/clients/{clientId}/orders/{orderId}"),
    ("GET", "/dapp/client/{clientId}/transactions"),
    ("GET", "/dapp/dashboard/summary"),
    ("GET", "/dapp/dashboard/analytics"),
    ("GET", "/dapp/commissions"),
    ("GET", "/dapp/commissions/summary"),
    ("GET", "/dapp/commissions/managers/summary"),
    ("GET", "/dapp/commissions/managers"),
    ("POST", "/dapp/carts"),
    ("DELETE", "/dapp/carts/{cartId}"),
    ("GET", "/dapp/carts"),
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@lru_cache(maxsize=1)
def _compiled() -> tuple[tuple[str, str, re.Pattern[str], tuple[str, ...]], ...]:
    out = []
    for method, template in DAPP_ROUTES:
        names = tuple(_PLACEHOLDER.findall(template))
        pattern = "".join(
            "([^/]+?)" if _PLACEHOLDER.fullmatch(part) else re.escape(part)
            for part in re.split(r"(\{\w+\})", template)
            if part
        )
        out.append((method, template, re.compile("^" + pattern + "/?$", re.IGNORECASE), names))
    return tuple(out)


def match_route(method: str, path: str) -> tuple[str, list[tuple[str, str]]] | None:
    """``(template, [(name, decoded value), ...])`` of the route Express would run for
    ``method`` and the concrete ``path`` (relative to ``/api/v1``), or ``None`` if unknown."""
    path = "/" + path.split("?", 1)[0].lstrip("/")
    for route_method, template, regex, names in _compiled():
        if route_method != method:
            continue
        m = regex.match(path)
        if m is None:
            continue
        try:
            values = [unquote(v, errors="strict") for v in m.groups()]
        except UnicodeDecodeError:
            return None  # Express answers 400 before any guard runs
        return template, list(zip(names, values, strict=True))
    return None
