"""Beat entries of the polling engine: the due-orders sweep, the heartbeat, KYC, reconcile.

Overlapping ticks are harmless: each sweep takes a database lease.
"""

from __future__ import annotations

from datetime import timedelta

from celery.schedules import crontab

from integration.schedule.base import jittered_schedule

# Must match DRGREEN_SYNC["SWEEP_LOOKAHEAD_S"] (default 30): each sweep takes the orders
# due before the next tick, so an order is polled no later than its next_poll_at.
SWEEP_INTERVAL_S = 30.0
HEARTBEAT_INTERVAL_S = 60.0
HEARTBEAT_JITTER = 0.10
KYC_INTERVAL_S = 60.0


BEAT_SCHEDULE = {
    "drgreen-orders-sweep": {
        "task": "integration.orders_sweep",
        "schedule": SWEEP_INTERVAL_S,
        "options": {"expires": SWEEP_INTERVAL_S},
    },
    "drgreen-orders-heartbeat": {
        "task": "integration.orders_heartbeat",
        "schedule": jittered_schedule(timedelta(seconds=HEARTBEAT_INTERVAL_S), jitter=HEARTBEAT_JITTER),
        "options": {"expires": HEARTBEAT_INTERVAL_S * (1 - HEARTBEAT_JITTER)},
    },
    "drgreen-clients-kyc": {
        "task": "integration.clients_kyc_sweep",
        "schedule": KYC_INTERVAL_S,
        "options": {"expires": KYC_INTERVAL_S},
    },
    "drgreen-reconcile": {
        "task": "integration.mirror_reconcile",
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3600},
    },
}
