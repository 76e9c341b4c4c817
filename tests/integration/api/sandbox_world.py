"""A customer whose Dr Green client lives in the sandbox, mirrored through the sync path:
what checkout and onboarding tests of the API need (real HTTP, nothing mocked)."""

from __future__ import annotations

from integration.models import Client
from integration.services.drgreen_api import drgreen_client
from integration.services.mirror import client_upsert_from_detail

from .conftest import make_user


def verified_client_ids(holder) -> list[str]:
    # The seed makes kinds 0-6 of every 10 clients VERIFIED, KYC-verified and active.
    return [cid for i, cid in enumerate(holder.client_ids) if i % 10 < 7]


def customer_for(drgreen_id: str):
    """A local customer linked to the mirrored copy of a sandbox client."""
    user = make_user()
    client_upsert_from_detail(payload=drgreen_client().get_client(drgreen_id))
    Client.objects.filter(drgreen_id=drgreen_id).update(user=user)
    return user
