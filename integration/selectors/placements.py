"""Read-only access to placements for the storefront API and the admin."""

from __future__ import annotations

import uuid

from integration.models import Client, OrderPlacement
from integration.services.errors import ServiceError


def placement_get(*, correlation_id: uuid.UUID | str, client: Client) -> OrderPlacement:
    """The client's placement with this correlation id (with its order), or a 404
    ``placement_not_found``: another client's id is reported as missing, not forbidden."""
    try:
        wanted = uuid.UUID(str(correlation_id))
    except (ValueError, TypeError):
        raise ServiceError("placement_not_found", "No such checkout.", status=404) from None
    placement = (
        OrderPlacement.objects.select_related("order").filter(correlation_id=wanted, client=client).first()
    )
    if placement is None:
        raise ServiceError("placement_not_found", "No such checkout.", status=404)
    return placement
