"""``python -m bench.polling --active-orders N``: what keeping N active orders fresh costs.

1. Start the sandbox and seed one holder with enough orders that about N are active
   (the seed spreads orders over the lifecycle; ~70% are not terminal), then reconcile
   them into a fresh mirror (SQLite by default, ``DATABASE_URL`` for PostgreSQL). Order
   lines are a one-time backfill (one detail call per order, drained ``LINES_PER_RUN`` per
   sweep); the mirror is taken as warm, and the backfill is reported, not timed.
2. Simulate an hour (plus a tail long enough to see the slowest tier's transitions) by
   stepping the sandbox clock and the services' ``now=`` together, firing what beat fires:
   the due-order sweep every 30 s, the heartbeat every 60 s ± 10% (the jittered schedule),
   the KYC sweep every 60 s.
3. Meanwhile script Dr Green's side through the sandbox control plane at known times:
   approvals, rejections, payments, shipping and deliveries of orders in every tier, and new
   orders placed outside the store (adopted by the heartbeat).
4. Count the Dr Green calls the sandbox served during the first simulated hour (GETs; the
   scripted order placements are not polling) and compare with per-order detail polling at
   the same cadence (computed: every active order once per tier interval, plus the
   heartbeat). Detection delay = when the change was observed − when it happened, divided
   by the interval of the order's tier.

Targets at 10,000 active orders: ≤ 500 calls per hour; every transition detected within
its tier interval + 10% (``max_delay_over_tier`` ≤ 1.1). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import random
import sys
import time
from datetime import timedelta

from sandbox.testing import SandboxProcess

from .sync_common import boot_django, fresh_database, peak_rss_mb

COUNTRIES = ["GBR", "PRT", "DEU", "ZAF"]
HOUR = 3600.0
ACTIVE_SHARE = 0.70  # of seeded orders (sandbox/seed.py LIFECYCLE weights)


def _requests(sb: SandboxProcess) -> dict:
    return sb.stats()["requests"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.polling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--active-orders", type=int, default=10_000)
    parser.add_argument("--per-tier", type=int, default=10, help="scripted transitions per kind")
    parser.add_argument("--new-orders", type=int, default=10, help="orders placed outside the store")
    parser.add_argument("--tail-minutes", type=float, default=70, help="simulated time after the hour")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    with SandboxProcess(start_timeout=60) as sb:
        keys = sb.new_keys()
        boot_django(api_url=sb.api_url, keys=keys)
        from django.conf import settings
        from django.db.models import Count
        from django.utils import timezone

        from integration.drgreen import DrGreenClient
        from integration.models import Client, Order, StatusChange
        from integration.schedule import BEAT_SCHEDULE
        from integration.schedule.polling import SWEEP_INTERVAL_S
        from integration.services.mirror.tiers import TIER_INTERVALS
        from integration.services.polling.heartbeat import orders_heartbeat
        from integration.services.polling.kyc import clients_kyc_sweep
        from integration.services.polling.reconcile import mirror_reconcile
        from integration.services.polling.sweeps import orders_sweep

        with fresh_database() as db:
            total = math.ceil(args.active_orders / ACTIVE_SHARE)
            t = time.perf_counter()
            sb.seed(
                apiKey=keys["apiKey"], seed=args.seed, strains=20, clients=max(20, total // 8), orders=total,
                countries=COUNTRIES,
            )  # fmt: skip
            warm = mirror_reconcile(worker="bench.polling", use_breaker=False)
            assert warm.state == "succeeded", warm.as_dict()
            backfill = Order.objects.filter(lines_synced_at__isnull=True).count()
            Order.objects.filter(lines_synced_at__isnull=True).update(lines_synced_at=timezone.now())
            print(f"seeded and mirrored {total} orders in {time.perf_counter() - t:.0f} s", flush=True)

            tiers = dict(Order.objects.active().values_list("poll_tier").annotate(n=Count("pk")))
            active = sum(tiers.values())
            baseline = sum(n * HOUR / TIER_INTERVALS[tier].total_seconds() for tier, n in tiers.items())
            baseline += HOUR / 60  # the lifecycle guide's /recent heartbeat

            # -- the script: Dr Green's side of the hour ------------------------------------
            start = timezone.now()
            end = HOUR + args.tail_minutes * 60
            picks = {
                "approve": ("review", "admin_approval", "VERIFIED"),
                "reject": ("review", "admin_approval", "REJECTED"),
                "pay": ("payment", "payment_status", "PAID"),
                "ship": ("fulfilment", "order_status", "SHIPPED"),
                "deliver": ("delivery", "order_status", "DELIVERED"),
            }
            used: set = set()
            script: list[tuple[float, int, str, str]] = []  # (offset s, tiebreak, action, order id)
            for action, (tier, _field, _value) in picks.items():
                pool = list(
                    Order.objects.filter(poll_tier=tier)
                    .exclude(drgreen_id__in=used)
                    .values_list("drgreen_id", flat=True)[: args.per_tier * 5]
                )
                for drgreen_id in rng.sample(pool, min(args.per_tier, len(pool))):
                    used.add(drgreen_id)
                    script.append((rng.uniform(30, HOUR - 30), len(script), action, str(drgreen_id)))
            orderers = list(
                Client.objects.filter(admin_approval="VERIFIED", is_kyc_verified=True, is_active=True)
                .exclude(cart_id=None)
                .values_list("drgreen_id", "cart_id")[:200]
            )
            strain = sb.control("GET", "strains")["strains"][0]["id"]
            for _ in range(args.new_orders):
                script.append((rng.uniform(30, HOUR - 30), len(script), "place", ""))

            events: list[tuple[float, int, str, str]] = list(script)
            k = len(events)
            for i in range(int(end // SWEEP_INTERVAL_S) + 1):
                events.append((i * SWEEP_INTERVAL_S, k := k + 1, "sweep", ""))
            for i in range(int(end // 60) + 1):
                events.append((i * 60.0 + 1, k := k + 1, "kyc", ""))
            heapq.heapify(events)
            heartbeat = BEAT_SCHEDULE["drgreen-orders-heartbeat"]["schedule"]
            heapq.heappush(events, (0.5, k + 1, "heartbeat", ""))

            api = DrGreenClient(sb.api_url, keys["apiKey"], keys["secretKey"])
            happened: dict[str, tuple[float, str, str, str]] = {}  # order id -> (t, tier, field, value)
            placed: list[tuple[float, str]] = []
            sim_offset = 0.0
            before = _requests(sb)
            at_hour = None
            wall = time.perf_counter()
            while events:
                offset, _, action, order_id = heapq.heappop(events)
                if offset > end:
                    break
                if at_hour is None and offset >= HOUR:
                    at_hour = _requests(sb)
                if offset > sim_offset:
                    sb.advance_clock(offset - sim_offset)
                    sim_offset = offset
                now = start + timedelta(seconds=offset)
                if action == "sweep":
                    orders_sweep(now=now, worker="bench")
                elif action == "heartbeat":
                    orders_heartbeat(now=now, worker="bench")
                    nxt = heartbeat.interval_after(now).total_seconds()
                    heapq.heappush(events, (offset + nxt, k := k + 1, "heartbeat", ""))
                elif action == "kyc":
                    clients_kyc_sweep(now=now, worker="bench")
                elif action == "place":
                    client_id, cart_id = rng.choice(orderers)
                    api.add_to_cart(str(cart_id), [(strain, 1)])
                    placed.append((offset, api.create_order(str(client_id))["id"]))
                else:
                    tier, field, value = picks[action]
                    if action == "approve":
                        sb.approve_order(order_id)
                    elif action == "reject":
                        sb.reject_order(order_id)
                    elif action == "pay":
                        sb.pay_order(order_id)
                    else:
                        sb.set_order_status(order_id, value)
                    happened[order_id] = (offset, tier, field, value)
            after = _requests(sb)
            at_hour = at_hour or after
            sim_wall = time.perf_counter() - wall

            # -- what we saw -------------------------------------------------------------------
            gets = at_hour["by_method"].get("GET", 0) - before["by_method"].get("GET", 0)
            by_route = {
                r: n - before["by_route"].get(r, 0)
                for r, n in at_hour["by_route"].items()
                if r.startswith("GET") and n - before["by_route"].get(r, 0)
            }
            ratios, detected = [], 0
            for order_id, (offset, tier, field, value) in happened.items():
                change = (
                    StatusChange.objects.filter(order__drgreen_id=order_id)
                    .order_by("sequence")
                    .values_list("observed_at", "fields_changed")
                )
                seen = [
                    obs
                    for obs, fields in change
                    if any(c["field"] == field and c["after"] == value for c in fields)
                ]
                if len(seen) == 1:
                    detected += 1
                    delay = (seen[0] - (start + timedelta(seconds=offset))).total_seconds()
                    ratios.append(delay / TIER_INTERVALS[tier].total_seconds())
            duplicates = sum(
                1 for oid in happened if StatusChange.objects.filter(order__drgreen_id=oid).count() > 1
            )
            adoption = []
            for offset, oid in placed:
                first = Order.objects.filter(drgreen_id=oid).values_list("first_seen_at", flat=True).first()
                adoption.append(
                    None if first is None else (first - (start + timedelta(seconds=offset))).total_seconds()
                )
            result = {
                "active_orders": active,
                "calls_per_hour": gets,
                "baseline_calls_per_hour": round(baseline),
                "transitions": len(happened),
                "detected": detected,
                "max_delay_over_tier": round(max(ratios), 3) if ratios else None,
                "mean_delay_over_tier": round(sum(ratios) / len(ratios), 3) if ratios else None,
                "duplicate_detections": duplicates,
                "tiers": tiers,
                "calls_by_route": by_route,
                "new_orders": len(placed),
                "adopted": sum(1 for a in adoption if a is not None),
                "max_adoption_delay_s": round(max(a for a in adoption if a is not None), 1)
                if placed
                else None,
                "lines_backfill_calls_one_time": backfill,
                "simulated_minutes": round(end / 60),
                "wall_s": round(sim_wall, 1),
                "peak_rss_mb": peak_rss_mb(),
                "database": db.split(":", 1)[0],
                "settings": dict(getattr(settings, "DRGREEN_SYNC", {}) or {}),
            }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
