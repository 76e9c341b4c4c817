"""Tuning knobs of the polling engine, read at call time from ``settings.DRGREEN_SYNC``.

Every value has a default that suits a store with up to ~100k active orders; a deployment
(or a test) overrides only what it needs, e.g. ``DRGREEN_SYNC = {"BREAKER_THRESHOLD": 3}``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta

from django.conf import settings


@dataclass(frozen=True)
class SyncSettings:
    # List sweeps. ``take`` of 500 is the backend's own chunk size (facts §5).
    sweep_take: int = 500
    # A sweep also takes orders due before the next sweep tick would run, so an order is
    # checked no later than its ``next_poll_at`` (detection within the tier interval + 10%).
    sweep_lookahead_s: float = 30.0
    sweep_claim_limit: int = 5000
    claim_ttl_s: float = 300.0
    client_ids_batch: int = 50
    detail_fallback_limit: int = 50
    lines_per_run: int = 20
    # Heartbeat on /dapp/orders/recent.
    heartbeat_take: int = 50
    heartbeat_max_pages: int = 5
    heartbeat_details: int = 10
    # KYC sweep of clients not yet settled; at most one list walk per group per interval.
    kyc_take: int = 500
    kyc_group_interval_s: float = 300.0
    kyc_stubs_per_run: int = 20
    kyc_details_per_run: int = 20
    # Nightly reconcile.
    reconcile_take: int = 500
    reconcile_recheck_limit: int = 2000
    reconcile_prefetch: bool = True
    # Countries whose catalogue is mirrored; empty = the countries of the mirror's clients.
    strain_countries: tuple[str, ...] = ()
    # Leases: long enough for one page plus retries, renewed after every page.
    lease_ttl_s: float = 180.0
    reconcile_lease_ttl_s: float = 600.0
    # Circuit breaker.
    breaker_threshold: int = 5
    breaker_cooldown_s: float = 120.0
    # The mirror calls itself stale when no sweep succeeded for this long.
    stale_after_s: float = 600.0
    # Ledger retention.
    api_call_retention_days: int = 30
    sync_run_retention_days: int = 14

    @property
    def sweep_lookahead(self) -> timedelta:
        return timedelta(seconds=self.sweep_lookahead_s)


_KEYS = {f.name.upper(): f.name for f in fields(SyncSettings)}


def sync_settings() -> SyncSettings:
    raw = getattr(settings, "DRGREEN_SYNC", None) or {}
    kwargs = {}
    for key, value in raw.items():
        name = _KEYS.get(key.upper())
        if name is None:
            raise ValueError(f"unknown DRGREEN_SYNC setting {key!r}")
        kwargs[name] = tuple(value) if name == "strain_countries" else value
    return SyncSettings(**kwargs)
