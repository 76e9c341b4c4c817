"""The soak's accelerated clock, shared by the harness and both worker processes.

Every process computes ``sim = SIM_T0 + (time.time() - REAL_T0) * SPEED`` from the same
three environment variables, so they agree on "now" without talking to each other. It
replaces ``django.utils.timezone.now`` before any app module is imported: the app reads
time only through it (model defaults, leases, claims, tiers, the breaker, the ledger), so
every interval of the app runs ``SPEED`` times faster, consistently. What cannot be
accelerated stays real: HTTP round trips, database work, the broker's latency; at
``SPEED`` 30 one real second costs half a simulated minute, which the report includes.

``python -m bench.soak_worker …`` starts a Celery worker with the clock installed.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

ENV_SIM_T0 = "SOAK_SIM_T0"
ENV_REAL_T0 = "SOAK_REAL_T0"
ENV_SPEED = "SOAK_SPEED"


def configure(*, speed: float) -> dict[str, str]:
    """Fix the epoch for this run (in this process's environment); returns the variables
    the workers need."""
    now = time.time()
    values = {ENV_SIM_T0: repr(now), ENV_REAL_T0: repr(now), ENV_SPEED: repr(float(speed))}
    os.environ.update(values)
    return values


def rebase(*, speed: float) -> None:
    """Continue from the current simulated time at a new speed (before any worker starts:
    they read the epoch once, from the environment they inherit)."""
    now = time.time()
    sim = sim_timestamp()
    os.environ.update({ENV_SIM_T0: repr(sim), ENV_REAL_T0: repr(now), ENV_SPEED: repr(float(speed))})


def speed() -> float:
    return float(os.environ.get(ENV_SPEED, "1"))


def sim_timestamp() -> float:
    sim_t0 = float(os.environ[ENV_SIM_T0])
    real_t0 = float(os.environ[ENV_REAL_T0])
    return sim_t0 + (time.time() - real_t0) * speed()


def sim_now() -> datetime:
    return datetime.fromtimestamp(sim_timestamp(), tz=UTC)


def sleep_sim(seconds: float) -> None:
    """Sleep for ``seconds`` of simulated time."""
    time.sleep(max(0.0, seconds / speed()))


def install() -> None:
    """Make ``django.utils.timezone.now`` the accelerated clock (before Django starts)."""
    if ENV_SIM_T0 not in os.environ:
        raise RuntimeError("the soak clock is not configured (SOAK_SIM_T0 …)")
    from django.utils import timezone

    timezone.now = sim_now
