"""The two lookups every authenticated API request makes: the token, then the customer it
names (fixed SQL in ``integration/db/reads.py``; ``bench.api`` says why)."""

from __future__ import annotations

from integration.db import reads
from integration.models import ApiToken


def api_token_active(*, token_hash: str) -> ApiToken | None:
    """The unrevoked token with this hash (the user is loaded lazily, only customer and
    staff tokens have one)."""
    return reads.api_token_by_hash(token_hash)


def customer_active(*, user_id: int):
    """An active, non-staff user by id: the only accounts a storefront token may act for."""
    return reads.customer_by_id(user_id)
