"""Tuning knobs of checkout, read at call time from ``settings.DRGREEN_CHECKOUT``.

Defaults suit the real Dr Green API; tests and the benchmark shorten the waits, e.g.
``DRGREEN_CHECKOUT = {"SETTLE_S": 0}``. The order body mode stays in
``DRGREEN["ORDER_BODY_MODE"]`` (``cart`` or ``docs``), shared with the rest of the app.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from django.conf import settings

from integration.conf import drgreen_settings


@dataclass(frozen=True)
class CheckoutSettings:
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
        return drgreen_settings().order_body_mode


def checkout_settings() -> CheckoutSettings:
    raw = getattr(settings, "DRGREEN_CHECKOUT", {}) or {}
    known = {f.name: f for f in fields(CheckoutSettings)}
    values = {}
    for key, value in raw.items():
        name = key.lower()
        if name not in known:
            raise ValueError(f"unknown DRGREEN_CHECKOUT setting {key!r}")
        values[name] = value
    return CheckoutSettings(**values)
