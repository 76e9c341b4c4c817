"""``GET /public/healthStatus``: the one unauthenticated route."""

from __future__ import annotations

from typing import Any

from sandbox.routing import Ctx, RouteTable

routes = RouteTable()


@routes.get("/public/healthStatus", auth=False)
def health_status(ctx: Ctx) -> Any:
    return "Success"
