"""The chaos scenario, shared by the test suite and ``python -m bench.checkout``.

N checkouts against the sandbox with faults on every Dr Green request (connection dropped
after commit, 5xx, 429, latency), a share of them submitted twice at the same moment, from
several threads. Then the faults stop, the recovery sweep runs until nothing is left in
flight, and the outcome is counted from the *sandbox's own records*, not from our tables.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils import timezone

from integration.models import OrderPlacement, PlacementState
from integration.services.checkout import order_place, placements_sweep
from integration.services.errors import ServiceError

IN_FLIGHT = (PlacementState.NEW, PlacementState.SUBMITTING, PlacementState.UNKNOWN, PlacementState.RETRY_SAFE)


def chaos_faults(sandbox, *, seed: int = 7) -> None:
    """10% dropped after commit, 5% 5xx, 5% 429, 20% slowed, on every dapp request."""
    sandbox.add_fault(kind="drop_after_commit", probability=0.10, seed=seed)
    sandbox.add_fault(kind="status", status=503, probability=0.05)
    sandbox.add_fault(kind="status", status=429, retry_after="0", probability=0.05)
    sandbox.add_fault(kind="latency", ms=15, probability=0.20)


@dataclass
class ChaosResult:
    checkouts: int = 0
    duplicate_submits: int = 0
    accepted: int = 0
    refused: Counter = field(default_factory=Counter)
    remote_orders: int = 0
    duplicates: int = 0
    doubled_lines: int = 0
    # Placed, but linked to an order this run did not make (adopted someone else's).
    foreign_orders: int = 0
    orphan_orders: int = 0
    left_unknown: int = 0
    left_in_flight: int = 0
    states: Counter = field(default_factory=Counter)
    duplicate_pairs_split: int = 0
    seconds: float = 0.0
    sweeps: int = 0
    # Every placement that did not end placed, with its attempts: what to read when a run
    # goes wrong under load, where it cannot simply be run again the same way.
    stragglers: list = field(default_factory=list)
    # How many placements made 1, 2, ... ``place`` attempts (the execution cap is in sight?).
    place_attempts: Counter = field(default_factory=Counter)
    # Seconds from the committed placement to its final state (p50, p90).
    final_p50_s: float = 0.0
    final_p90_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "checkouts": self.checkouts,
            "duplicate_submits": self.duplicate_submits,
            "accepted": self.accepted,
            "refused": dict(self.refused),
            "remote_orders": self.remote_orders,
            "duplicates": self.duplicates,
            "doubled_lines": self.doubled_lines,
            "foreign_orders": self.foreign_orders,
            "orphan_orders": self.orphan_orders,
            "left_unknown": self.left_unknown,
            "left_in_flight": self.left_in_flight,
            "states": dict(self.states),
            "duplicate_pairs_split": self.duplicate_pairs_split,
            "seconds": round(self.seconds, 2),
            "sweeps": self.sweeps,
            "stragglers": self.stragglers,
            "place_attempts": dict(sorted(self.place_attempts.items())),
            "final_p50_s": self.final_p50_s,
            "final_p90_s": self.final_p90_s,
        }


def chaos_run(
    *,
    sandbox,
    nft_id: str,
    clients: list,
    strain_ids: list[str],
    checkouts: int = 200,
    duplicate_share: float = 0.10,
    threads: int = 8,
    seed: int = 1,
    max_sweeps: int = 30,
) -> ChaosResult:
    """Run the scenario (faults must already be installed) and count the outcome."""
    rng = random.Random(seed)
    result = ChaosResult(checkouts=checkouts)
    # Orders the holder had before (e.g. the benchmark's earlier phases) are not ours to count.
    before = {o["id"] for o in sandbox.orders() if o.get("nftId") == nft_id}
    jobs = []
    for i in range(checkouts):
        client = clients[i % len(clients)]
        picks = rng.sample(strain_ids, k=rng.randint(1, min(3, len(strain_ids))))
        lines = [(sid, str(Decimal(rng.randint(1, 4000)) / 1000)) for sid in picks]
        jobs.append((client, f"chaos-{seed}-{i}", lines, rng.random() < duplicate_share))
    result.duplicate_submits = sum(1 for job in jobs if job[3])
    answers: dict[str, list[int]] = {}
    lock = threading.Lock()

    def submit(client, key, lines, gate):
        if gate is not None:
            try:
                gate.wait(timeout=10)
            except threading.BrokenBarrierError:
                pass  # the partner could not start in time (too few threads): submit anyway
        try:
            placement, _ = order_place(client=client, idempotency_key=key, lines=lines, execute="inline")
            with lock:
                answers.setdefault(key, []).append(placement.pk)
        except ServiceError as exc:
            with lock:
                result.refused[exc.code] += 1
        finally:
            connection.close()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = []
        for client, key, lines, duplicate in jobs:
            # A double click: both requests released at the same instant.
            gate = threading.Barrier(2) if duplicate else None
            futures.append(pool.submit(submit, client, key, lines, gate))
            if duplicate:
                futures.append(pool.submit(submit, client, key, lines, gate))
        for future in futures:
            future.result()
    sandbox.clear_faults()
    # Whatever the requests could not finish, the beat sweep finishes.
    for _ in range(max_sweeps):
        if not OrderPlacement.objects.filter(state__in=IN_FLIGHT).exists():
            break
        placements_sweep(now=timezone.now() + timedelta(days=1))
        result.sweeps += 1
    result.seconds = time.monotonic() - started

    result.duplicate_pairs_split = sum(1 for pks in answers.values() if len(set(pks)) > 1)
    chaos_count(result, sandbox=sandbox, nft_id=nft_id, before=before, key_prefix=f"chaos-{seed}-")
    return result


def chaos_count(
    result: ChaosResult, *, sandbox, nft_id: str, before: set[str], key_prefix: str
) -> ChaosResult:
    """Fill ``result`` with the outcome of the placements whose idempotency key starts with
    ``key_prefix``, checked against the sandbox's records of the holder's orders (those in
    ``before`` excepted)."""
    placements = list(OrderPlacement.objects.filter(idempotency_key__startswith=key_prefix))
    result.states = Counter(p.state for p in placements)
    result.left_unknown = result.states[PlacementState.UNKNOWN]
    result.left_in_flight = sum(result.states[s] for s in IN_FLIGHT)
    placed = [p for p in placements if p.state == PlacementState.PLACED]
    waits = sorted(
        ((p.placed_at or p.updated_at) - p.created_at).total_seconds()
        for p in placements
        if p.state not in IN_FLIGHT
    )
    if waits:
        result.final_p50_s = round(waits[len(waits) // 2], 2)
        result.final_p90_s = round(waits[min(len(waits) - 1, int(0.9 * len(waits)))], 2)
    result.accepted = len(placed)
    for p in placements:
        result.place_attempts[p.attempts.filter(kind="place").count()] += 1
        if p.state != PlacementState.PLACED:
            attempts = p.attempts.order_by("number").values_list("kind", "outcome", "error")
            result.stragglers.append(
                {
                    "key": p.idempotency_key,
                    "state": p.state,
                    "code": p.rejection_code,
                    "attempts": [f"{k}:{o}:{(e or '')[:160]}" for k, o, e in attempts],
                }
            )

    # Count from the sandbox's records of this holder's orders, with their lines.
    remote = [o for o in sandbox.orders() if o.get("nftId") == nft_id and o["id"] not in before]
    result.remote_orders = len(remote)
    by_id = {o["id"]: o for o in remote}
    claimed = Counter(str(p.order_drgreen_id) for p in placed)
    result.duplicates = sum(n - 1 for n in claimed.values() if n > 1)
    result.orphan_orders = sum(1 for oid in by_id if oid not in claimed)
    for p in placed:
        order = by_id.get(str(p.order_drgreen_id))
        if order is None:
            result.foreign_orders += 1
            continue
        wanted = {line["strain_id"]: Decimal(line["quantity"]) for line in p.lines}
        if {ln["strainId"]: Decimal(str(ln["quantity"])) for ln in order["lines"]} != wanted:
            result.doubled_lines += 1
    # Two remote orders for one client with the same lines inside one placement's life would
    # be a duplicate that no placement claims: counted as an orphan above.
    return result
