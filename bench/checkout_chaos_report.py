"""What ``bench.checkout_chaos`` reads back after a run: the workers' logs and each
placement's timeline."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

_ERROR_RECORD = re.compile(r'"level":\s*"(ERROR|CRITICAL)"')


def worker_logs(tmp: Path) -> dict:
    """Give-ups and error records in the workers' logs, and the seconds the workers spent
    in each task (from Celery's ``succeeded in`` records): what the two processes did."""
    out = {"max_retries_exceeded": 0, "error_records": 0, "tracebacks": 0}
    busy: Counter = Counter()
    runs: Counter = Counter()
    for path in tmp.glob("worker*.log"):
        for line in path.read_text(errors="replace").splitlines():
            out["max_retries_exceeded"] += "MaxRetriesExceeded" in line
            out["error_records"] += bool(_ERROR_RECORD.search(line))
            out["tracebacks"] += line.startswith("Traceback")
            if '"runtime"' in line:
                data = json.loads(line).get("data") or {}
                name = str(data.get("name", "")).removeprefix("integration.")
                busy[name] += float(data.get("runtime") or 0)
                runs[name] += 1
    out["task_busy_s"] = {k: round(v, 1) for k, v in busy.most_common()}
    out["task_runs"] = dict(runs.most_common())
    return out


def first_attempt_waits(path: Path) -> tuple[float, float]:
    """p50/p90 seconds from commit to the first attempt's start (the broker's queue plus
    waiting for the client's turn), from the timeline."""
    waits = sorted(
        row["attempts"][0][2] for row in map(json.loads, path.read_text().splitlines()) if row["attempts"]
    )
    if not waits:
        return 0.0, 0.0
    return waits[len(waits) // 2], waits[min(len(waits) - 1, int(0.9 * len(waits)))]


def placements_timeline(path: Path, prefix: str) -> None:
    """Each placement's life, one JSON line each (seconds after its commit): what to read
    when the tail is long (waiting for a turn, back-offs, recovery rounds, a dead worker)."""
    from integration.models import OrderPlacement

    with path.open("w") as out:
        for p in OrderPlacement.objects.filter(idempotency_key__startswith=prefix).order_by("created_at"):
            t0 = p.created_at
            attempts = [
                [a.kind, a.number, round((a.started_at - t0).total_seconds(), 2),
                 None if a.finished_at is None else round((a.finished_at - t0).total_seconds(), 2),
                 a.outcome, (a.error or "")[:80]]
                for a in p.attempts.order_by("number")
            ]  # fmt: skip
            final = ((p.placed_at or p.updated_at) - t0).total_seconds()
            row = {"key": p.idempotency_key, "client": p.client_id, "state": p.state,
                   "created": t0.isoformat(), "final_s": round(final, 2), "attempts": attempts}  # fmt: skip
            out.write(json.dumps(row) + "\n")
