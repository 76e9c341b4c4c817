"""Dapp users ("holders") with a primary NFT and an API key, as the control plane and seeding make them."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sandbox import auth
from sandbox.store import new_id

if TYPE_CHECKING:
    from sandbox.app import App


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
