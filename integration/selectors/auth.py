"""The lookup every token-authenticated API request makes: the token and the user it acts
for, in one statement (fixed SQL in ``integration/db/reads.py``; ``bench.api`` says why)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integration.db import reads
from integration.models import ApiToken, TokenKind


@dataclass(frozen=True)
class ActiveToken:
    """An unrevoked token. ``customer``: for a storefront token, the customer it was asked
    to act for, when that account may be acted for (else ``None``). A customer or staff
    token's own user is on ``token.user`` (loaded with it; ``None`` if it has none)."""

    token: ApiToken
    customer: Any = None


def customer_may_be_acted_for(user) -> bool:
    """Only active accounts that are neither staff nor superuser: a storefront token must
    never be a way into staff rights."""
    return user is not None and user.is_active and not user.is_staff and not user.is_superuser


def api_token_active(*, token_hash: str, customer_id: int | None = None) -> ActiveToken | None:
    """The unrevoked token with this hash and, for a storefront token, the customer
    ``customer_id`` names; ``None`` for an unknown or revoked token."""
    found = reads.api_token_by_hash(token_hash, customer_id)
    if found is None:
        return None
    token, user = found
    if token.kind == TokenKind.STOREFRONT:
        return ActiveToken(token, user if customer_may_be_acted_for(user) else None)
    if user is not None:
        token.user = user  # joined by the same statement: no second query
    return ActiveToken(token)
