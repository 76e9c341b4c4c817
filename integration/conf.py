"""Every ``DRGREEN_*`` setting, read through one object: ``drgreen_settings`` (DRF's
``api_settings`` is the model).

Each namespace is a frozen dataclass whose field defaults are the defaults and whose comment
is the doc; settings.py fills them from the environment. A deployment (or a test) names only
what it changes, e.g. ``DRGREEN_SYNC = {"BREAKER_THRESHOLD": 3}``; an unknown key is an error.
Values are read at every access (an unchanged setting's object is reused), so
``override_settings`` and a benchmark assigning settings take effect at once. No other module
reads ``settings.DRGREEN_*``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields, replace
from datetime import timedelta
from typing import Any

from django.conf import settings

# The only notification channel today (a second one is one more row per status change).
CHANNEL_EMAIL = "email"
DEFAULT_RETRY_SCHEDULE = (5, 300, 1800, 7200, 18000, 36000, 36000)


@dataclass(frozen=True)
class ClientSettings:
    """``DRGREEN``: how to reach and sign for the Dr Green API."""

    # Base URL of the dapp API, e.g. https://api.drgreennft.com/api/v1.
    api_url: str = ""
    # The API key sent with every call (base64 of the PEM public key).
    api_key: str = ""
    # The secp256k1 private key that signs every call (base64 of the PEM).
    secret_key: str = ""
    # Seconds to connect / to wait for an answer.
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    # Retries of an idempotent GET on transport errors and 5xx.
    get_retries: int = 3
    # "cart": fill the Dr Green cart then POST {clientId}; "docs": POST the docs' body with lines.
    order_body_mode: str = "cart"
    # Dr Green's own console, linked from the admin.
    console_url: str = "https://dapp.drgreennft.com"

    def __repr__(self) -> str:  # never print the secret key
        return (
            f"ClientSettings(api_url={self.api_url!r}, api_key=<{len(self.api_key)} chars>, "
            "secret_key=<hidden>)"
        )


@dataclass(frozen=True)
class SyncSettings:
    """``DRGREEN_SYNC``: tuning of the polling engine (defaults suit ~100k active orders)."""

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
    # The nightly task runs ``manage.py drgreen_reconcile`` as a child process, the one place
    # allowed to tune a process for the walk (polling/reconcile_process.py).
    reconcile_in_child: bool = True
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


@dataclass(frozen=True)
class CheckoutSettings:
    """``DRGREEN_CHECKOUT``: waits and limits of order placement and its recovery."""

    # The mirror's client flags and strain stock count as fresh for this long; older data is
    # re-read from Dr Green before a placement is committed. A mirror that says "no" is
    # always re-read once, so a stale refusal never reaches the customer.
    mirror_ttl_s: float = 30.0
    # How long a worker may hold a placement in ``submitting`` (three writes of at most
    # connect + read timeout each, plus margin). After that the sweep presumes the worker
    # died and recovers the placement from Dr Green's records.
    lease_s: float = 150.0
    # An ambiguous POST may still be running on Dr Green (its order transaction allows 20 s).
    # "No order and the cart still full" only proves nothing landed once this much time has
    # passed since the POST started.
    settle_s: float = 30.0
    # Our clock and Dr Green's may disagree: orders created up to this long before the
    # placement was committed still count as candidates.
    clock_skew_s: float = 120.0
    # Recovery: how many newest orders of the client to inspect, the USD tolerance, the back
    # off between recovery rounds and the round after which a human has to look.
    recovery_take: int = 20
    total_tolerance: str = "0.01"
    recovery_backoff_s: float = 15.0
    recovery_backoff_max_s: float = 600.0
    recovery_max_rounds: int = 8
    # Several new orders with our total: read at most this many details to find the one
    # holding our lines (more than that is left to staff).
    recovery_detail_max: int = 5
    # Pre-POST failures (nothing can have been ordered) are retried this many times in all.
    max_executions: int = 8
    retry_backoff_s: float = 5.0
    # A placement still ``new`` after this long lost its task; the sweep executes it.
    new_grace_s: float = 60.0
    # Inline execution waits at most this long for another placement of the same client.
    inline_wait_s: float = 20.0
    sweep_limit: int = 200
    # After a placement lands, read the client's sales so the mirror links the sale.
    link_sale: bool = True

    @property
    def order_body_mode(self) -> str:
        return drgreen_settings.client.order_body_mode


@dataclass(frozen=True)
class NotifySettings:
    """``DRGREEN_NOTIFY``: customer notifications."""

    # Channels a status change is sent on.
    channels: tuple[str, ...] = (CHANNEL_EMAIL,)
    # Sender address; empty means Django's DEFAULT_FROM_EMAIL.
    from_email: str = ""
    # Reply-To addresses (a string is one address).
    reply_to: tuple[str, ...] = ()
    # The store's name in the messages.
    store_name: str = "Dr Green Store"
    # How long a sender owns a claimed row: must outlive any send still in progress, so 0
    # means the Celery hard time limit plus a minute (after that the worker was killed).
    claim_s: float = 0.0
    # Transient failures are retried this many times in total, retry_base_s · 2^(n-1) apart
    # (capped at one hour).
    max_attempts: int = 5
    retry_base_s: float = 60.0
    # The sweep leaves rows younger than this to the task queued on commit.
    sweep_grace_s: float = 60.0
    # The sweep backfills rows only for changes this recent (never emails about old history).
    backfill_s: float = 24 * 3600.0
    # A second staff re-send of the same row within this window is a double click, ignored.
    resend_cooldown_s: float = 120.0


@dataclass(frozen=True)
class WebhookSettings:
    """``DRGREEN_WEBHOOK_*``: outbound webhooks (flat settings, one per field)."""

    # Seconds before retry 1, 2, …; after the last one the event is ``failed``.
    retry_schedule: tuple[float, ...] = DEFAULT_RETRY_SCHEDULE
    # Each wait is drawn from [w·(1 − jitter), w·(1 + jitter)] so a backlog never returns as
    # one burst after an outage.
    retry_jitter: float = 0.2
    # Development and tests only: http:// and loopback/private addresses allowed.
    allow_private: bool = False
    # Seconds to wait for a receiver.
    timeout_s: float = 10.0
    # A worker owns a claimed event this long (the timeout plus a margin).
    claim_s: float = 60.0
    # An endpoint whose every attempt has failed for this long is disabled.
    disable_after_s: float = 5 * 24 * 3600.0
    # How long the previous secret keeps signing after a rotation.
    rotation_overlap_s: float = 24 * 3600.0
    # The sweep leaves events younger than this (or queued this recently) to their task.
    sweep_grace_s: float = 30.0
    # Events queued per send task (one endpoint's events per task, sent one after another;
    # keep batch_size × timeout_s under CELERY_TASK_SOFT_TIME_LIMIT).
    batch_size: int = 50


# The flat setting each webhook field is read from.
_WEBHOOK_NAMES = {
    "retry_schedule": "DRGREEN_WEBHOOK_RETRY_SCHEDULE",
    "retry_jitter": "DRGREEN_WEBHOOK_RETRY_JITTER",
    "allow_private": "DRGREEN_WEBHOOKS_ALLOW_PRIVATE",
    "timeout_s": "DRGREEN_WEBHOOK_TIMEOUT_S",
    "claim_s": "DRGREEN_WEBHOOK_CLAIM_S",
    "disable_after_s": "DRGREEN_WEBHOOK_DISABLE_AFTER_S",
    "rotation_overlap_s": "DRGREEN_WEBHOOK_ROTATION_OVERLAP_S",
    "sweep_grace_s": "DRGREEN_WEBHOOK_SWEEP_GRACE_S",
    "batch_size": "DRGREEN_WEBHOOK_BATCH_SIZE",
}


@dataclass(frozen=True)
class PrivacySettings:
    """``DRGREEN_PRIVACY``: retention of personal data."""

    # A registration never sent to Dr Green is purged after this many days.
    registration_retention_days: int = 30
    # Access log rows older than this are deleted by the daily prune.
    access_log_retention_days: int = 365


@dataclass(frozen=True)
class ApiSettings:
    """``DRGREEN_API``: the storefront API."""

    # A mirrored order counts as fresh this long while it moves / once it is final.
    active_ttl_s: float = 30.0
    terminal_ttl_s: float = 300.0
    # At most one background refresh per order is queued in this window.
    refresh_dedupe_s: float = 15.0
    # Default page size of the list endpoints.
    page_size: int = 20
    # "task": a worker places the order; "inline": the checkout request places it itself.
    checkout_execute: str = "task"
    # "inline": the registration request sends it to Dr Green; "task": a worker does.
    registration_submit: str = "inline"


@dataclass(frozen=True)
class OperationsSettings:
    """Flat ``DRGREEN_*`` switches of operations, data keys and sales (one setting per field)."""

    # Fernet keys, comma-separated, newest first (DRGREEN_DATA_KEYS); empty: derived, dev only.
    data_keys: str = ""
    # Bearer token of /metrics (DRGREEN_METRICS_TOKEN); empty: no token accepted.
    metrics_token: str = ""
    # Client addresses /metrics answers without a token (DRGREEN_METRICS_ALLOWED_IPS).
    metrics_allowed_ips: tuple[str, ...] = ("127.0.0.1/32", "::1/128")
    # Window of the windowed metrics, seconds (DRGREEN_METRICS_WINDOW_S).
    metrics_window_s: int = 3600
    # Demo storefront and "play Dr Green" pages (DRGREEN_DEMO); never in production.
    demo: bool = False
    # Allow writing sales stages to Dr Green (DRGREEN_SALES_WRITABLE); the platform owns them.
    sales_writable: bool = False


def parse_schedule(value) -> tuple[float, ...]:
    """``"5,300,1800"`` or a sequence of numbers → seconds; a blank entry is an error."""
    if isinstance(value, str):
        if not value.strip():
            return ()
        return tuple(float(p.strip()) for p in value.split(","))
    return tuple(float(v) for v in value)


_COERCE = {"float": float, "int": int, "bool": bool, "str": str}


def _coerce(field, value):
    if str(field.type) == "str" and isinstance(value, list | tuple):
        return ",".join(value)  # DRGREEN_DATA_KEYS given as a list
    if str(field.type).startswith("tuple"):
        if isinstance(value, str):
            return (value,) if value else ()
        return tuple(value)
    convert = _COERCE.get(str(field.type))
    return convert(value) if convert else value


# The last object built per namespace, with the setting it was built from: a hot path
# (a checkout reads its namespace about seven times) reuses it while the setting is the
# same dict with the same items; replacing or editing it in any way builds a new one.
_built: dict[str, tuple[Any, dict, Any]] = {}
_UNSET: dict = {}


def _from_dict(cls, setting: str):
    """``cls`` with the keys named in ``settings.<setting>`` (upper-case field names)."""
    raw = getattr(settings, setting, None) or _UNSET
    held = _built.get(setting)
    if held is not None and held[0] is raw and held[1] == raw and type(held[2]) is cls:
        return held[2]
    obj = _build(cls, setting, raw)
    _built[setting] = (raw, copy.deepcopy(raw), obj)
    return obj


def _build(cls, setting: str, raw: dict):
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in raw.items():
        field = known.get(key.lower())
        if field is None:
            raise ValueError(f"unknown {setting} setting {key!r}")
        values[field.name] = _coerce(field, value)
    return cls(**values)


class DrGreenSettingsObject:
    """The one reader of ``DRGREEN_*`` settings: ``drgreen_settings.<namespace>.<field>``."""

    @property
    def client(self) -> ClientSettings:
        return _from_dict(ClientSettings, "DRGREEN")

    @property
    def sync(self) -> SyncSettings:
        return _from_dict(SyncSettings, "DRGREEN_SYNC")

    @property
    def checkout(self) -> CheckoutSettings:
        return _from_dict(CheckoutSettings, "DRGREEN_CHECKOUT")

    @property
    def notify(self) -> NotifySettings:
        conf = _from_dict(NotifySettings, "DRGREEN_NOTIFY")
        hard_limit = float(getattr(settings, "CELERY_TASK_TIME_LIMIT", None) or 15 * 60)
        from_email = conf.from_email or settings.DEFAULT_FROM_EMAIL
        return replace(conf, from_email=from_email, claim_s=conf.claim_s or hard_limit + 60)

    @property
    def webhooks(self) -> WebhookSettings:
        values = {}
        for field in fields(WebhookSettings):
            name = _WEBHOOK_NAMES[field.name]
            if hasattr(settings, name):
                value = getattr(settings, name)
                values[field.name] = (
                    parse_schedule(value) if field.name == "retry_schedule" else _coerce(field, value)
                )
        return WebhookSettings(**values)

    @property
    def privacy(self) -> PrivacySettings:
        return _from_dict(PrivacySettings, "DRGREEN_PRIVACY")

    @property
    def api(self) -> ApiSettings:
        return _from_dict(ApiSettings, "DRGREEN_API")

    @property
    def operations(self) -> OperationsSettings:
        values = {}
        for field in fields(OperationsSettings):
            name = f"DRGREEN_{field.name.upper()}"
            if hasattr(settings, name):
                value = getattr(settings, name)
                values[field.name] = _coerce(field, value if value is not None else field.default)
        return OperationsSettings(**values)


drgreen_settings = DrGreenSettingsObject()
