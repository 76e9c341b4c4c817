"""``python -m bench.reconcile --orders 100000 --clients 20000``: the nightly full reconcile
into PostgreSQL, measured.

1. Start the sandbox and seed one holder (clients, orders across the lifecycle, strains
   stocked in four countries, the sales the platform creates on its own).
2. In a throwaway database next to ``DATABASE_URL`` (``test_<name>``, dropped afterwards):
   - fetch-only: walk exactly the pages the reconcile reads (same endpoints, ``take``,
     ``orderBy=asc``) with a bare client: no database, no call ledger;
   - the reconcile itself (``mirror_reconcile``, the service the nightly task and
     ``drgreen_reconcile`` run), into an empty mirror, counting SQL statements (transaction
     control excluded) and pages;
   - optionally (``--second-run``) once more over the now-full mirror;
   - fetch-only once more, after the reconcile(s).
   With ``--process-tuning`` the reconcile runs under the process tuning that only the
   ``drgreen_reconcile`` command applies (collector paused, short switch interval): the
   command's path, and the nightly task's, which runs the command as a child process
   (``DRGREEN_SYNC["RECONCILE_IN_CHILD"]``, on by default); without it, as a Celery worker
   runs the walk in-process when that setting is off.
   With ``--webhook-endpoints N`` N active endpoints (every event type, a port where nothing
   listens) exist before the run, so every adopted order writes N events and queues their
   sending on ``CELERY_BROKER_URL`` (no worker consumes them here: the publishing is measured).
3. Report wall time, fetch-only time, their ratio (target ≤ 1.5), queries per page
   (target ≤ 10, constant) and the process's peak RSS (target < 400 MB, flat in N).

The phases run one after the other, so a host that speeds up or slows down between them
(another tenant, CPU frequency) moves the ratio. Hence fetch-only is timed before *and*
after the reconcile, and the ratio's denominator (``fetch_only_s``) is their mean; both
are reported (``fetch_only_before_s``, ``fetch_only_after_s``), and the gap between them
says how far the host drifted. ``cpu_s`` splits each phase's CPU seconds between this
process, the sandbox and PostgreSQL (on two cores they compete for the same CPUs);
``chain_s`` says where the walking thread's time went: waiting for fetched pages (the
fetch side is the bottleneck) or for their writes (our write and the database are), and
how long the fetching itself took against the walks' wall time (near equal: the fetching
never sat idle, so the walk is as fast as its fetches; those run slower than in
fetch-only when the sandbox, PostgreSQL and our threads compete for the same cores).

Why ``integration/db/bulk.py`` writes pages by hand (measured on a 500-order page when it
was written): Django 5.2's ``bulk_update`` (a ``CASE WHEN`` per row and field) and its
PostgreSQL ``bulk_create`` (``UNNEST`` arrays escaped element by element) each cost about a
second of CPU per page; psycopg's client-side binding escaped the ~1 MB page parameter in
Python, more than the JSON encoding; orjson encodes the page ~5x faster than ``json`` (the
encoding had been a fifth of the writing thread's time; ``json``'s fallback without blanks
after separators is ~7% less to write and parse); a uuid written as its hex digits costs a
third of ``str()``; a page of held orders reads back ~2,500 timestamps, and Django's
regular-expression loader made that a fifth of a steady-state page's CPU (``fast_timestamps``);
each page commit and fetched page's ledger row waited ~40-90 ms for the WAL flush
(``integration/db/commits.py``). ``integration/db/outbox.py`` writes a page's webhook events
in one statement whatever its facts and endpoints, where the ORM would read the endpoints,
clients and placements and insert apart (``queries_per_page``); on PostgreSQL the facts are
one jsonb parameter: as eight parameters a fact (a ~60 kB statement text per page, parsed by
psycopg in Python) they cost ~4 of the 27 CPU seconds of a 100k-order reconcile, endpoints or none.
An order page fills its clients' blanks (the client list has no country code) last in its
transaction: taken first, those row locks made the other writer's page wait for the whole
page whenever both named a client (``write_s``).

The last line of output is one JSON object with ``orders``, ``clients``, ``wall_s``,
``fetch_only_s``, ``ratio``, ``queries_per_page``, ``peak_rss_mb`` (and more).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
import time

from sandbox.testing import SandboxProcess

from .sync_common import (
    boot_django,
    counting_statements,
    cpu_since,
    cpu_snapshot,
    fresh_database,
    peak_rss_mb,
)

COUNTRIES = ["GBR", "PRT", "DEU", "ZAF"]


def _fetch_only(api_url: str, keys: dict, *, take: int, countries: list[str]) -> tuple[float, int]:
    from integration.drgreen import DrGreenClient

    client = DrGreenClient(api_url, keys["apiKey"], keys["secretKey"], read_timeout=120)
    walks = [client.list_clients, client.list_orders, client.list_sales]
    walks += [lambda c=c, **kw: client.list_strains(country_code=c, **kw) for c in countries]
    pages = 0
    started = time.perf_counter()
    for fetch in walks:
        page_no = 1
        while True:
            page = fetch(page=page_no, take=take, order_by="asc")
            pages += 1
            if not page.items or not page.meta.has_next:
                break
            page_no += 1
    return time.perf_counter() - started, pages


def _chain(outcome) -> dict[str, float]:
    """The writing thread's time, summed over the resources: waiting for fetched and mapped
    pages vs writing them (see ``WalkReport``)."""
    reports = [outcome.stats.get(name, {}) for name in ("clients", "orders", "sales", "strains")]
    keys = {"wait": "wait_s", "write": "write_s", "fetch": "fetch_s", "walks": "walk_s"}
    return {out: round(sum(r.get(key, 0.0) for r in reports), 1) for out, key in keys.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reconcile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--strains", type=int, default=60)
    parser.add_argument("--take", type=int, default=500)
    parser.add_argument("--no-prefetch", action="store_true", help="fetch and write strictly in turn")
    parser.add_argument(
        "--process-tuning",
        action="store_true",
        help="as drgreen_reconcile: collector paused, short switch interval",
    )
    parser.add_argument("--second-run", action="store_true", help="also time a reconcile of the full mirror")
    parser.add_argument(
        "--webhook-endpoints", type=int, default=0, help="active webhook endpoints created before the run"
    )
    args = parser.parse_args(argv)

    with SandboxProcess(start_timeout=60) as sb:
        keys = sb.new_keys()
        boot_django(api_url=sb.api_url, keys=keys)
        from django.conf import settings
        from django.db import connection

        if connection.vendor != "postgresql":
            print("bench.reconcile measures PostgreSQL: set DATABASE_URL=postgres://…", file=sys.stderr)
            return 2
        t = time.perf_counter()
        sb.seed(
            apiKey=keys["apiKey"], seed=7, strains=args.strains, clients=args.clients, orders=args.orders,
            countries=COUNTRIES,
        )  # fmt: skip
        print(
            f"seeded {args.orders} orders / {args.clients} clients in {time.perf_counter() - t:.1f} s",
            flush=True,
        )
        settings.DRGREEN_SYNC = {"RECONCILE_TAKE": args.take, "RECONCILE_PREFETCH": not args.no_prefetch}

        with fresh_database() as db:
            from integration.management.commands.drgreen_reconcile import COLLECT_EVERY_PAGES, process_tuned
            from integration.models import Client, Order, Sale, Strain
            from integration.services.polling.reconcile import mirror_reconcile

            tuned = process_tuned if args.process_tuning else contextlib.nullcontext
            if args.webhook_endpoints:
                from integration.services import webhooks

                settings.DRGREEN_WEBHOOKS_ALLOW_PRIVATE = True
                for i in range(args.webhook_endpoints):
                    webhooks.endpoint_create(url=f"http://127.0.0.1:9/bench-{i}", description="bench")

            cpu = {"fetch_before": cpu_snapshot(sb.pid)}
            fetch_before_s, fetch_pages = _fetch_only(sb.api_url, keys, take=args.take, countries=COUNTRIES)
            print(f"fetch-only: {fetch_pages} pages in {fetch_before_s:.1f} s", flush=True)
            # The mirror's strain countries come from its clients; give the reconcile the
            # same list the fetch-only walk used, so both read the same pages.
            settings.DRGREEN_SYNC = {**settings.DRGREEN_SYNC, "STRAIN_COUNTRIES": COUNTRIES}

            per_page: list[int] = []
            mark = {"count": 0}

            def progress(event: dict) -> None:
                # Statements between two page events = one page's cost (fetch ledger, upsert,
                # lease renewal); a resource's first page also carries its start-up queries.
                if event.get("done"):
                    print(f"  {event.get('resource', '?'):<14} done: {event.get('rows')} rows", flush=True)
                else:
                    per_page.append(counter.count - mark["count"])
                    if args.process_tuning and len(per_page) % COLLECT_EVERY_PAGES == 0:
                        gc.collect()  # as the command does
                mark["count"] = counter.count

            cpu["reconcile"] = cpu_snapshot(sb.pid)
            with tuned(), counting_statements() as counter:
                t = time.perf_counter()
                outcome = mirror_reconcile(progress=progress, worker="bench.reconcile", use_breaker=False)
                wall = time.perf_counter() - t
            cpu["reconcile_end"] = cpu_snapshot(sb.pid)
            if outcome.state != "succeeded":
                print(json.dumps(outcome.as_dict(), default=str)[:2000], file=sys.stderr)
                return 1
            pages = outcome.pages
            result = {
                "orders": Order.objects.count(),
                "clients": Client.objects.count(),
                "sales": Sale.objects.count(),
                "strains": Strain.objects.count(),
                "wall_s": round(wall, 2),
                "pages": pages,
                "fetch_only_pages": fetch_pages,
                "queries": counter.count,
                # The typical page (median) and the worst one; all/pages includes the fixed
                # per-run and tombstone-phase queries.
                "queries_per_page": sorted(per_page)[len(per_page) // 2],
                "queries_per_page_max": max(per_page),
                "queries_all_over_pages": round(counter.count / pages, 2),
                "peak_rss_mb": peak_rss_mb(),
                "take": args.take,
                "prefetch": not args.no_prefetch,
                "process_tuning": args.process_tuning,
                "webhook_endpoints": args.webhook_endpoints,
                "database": db.split(":", 1)[0],
            }
            result["chain_s"] = _chain(outcome)
            wall2 = None
            if args.second_run:
                with tuned(), counting_statements() as counter2:
                    t = time.perf_counter()
                    again = mirror_reconcile(worker="bench.reconcile", use_breaker=False)
                    wall2 = time.perf_counter() - t
                cpu["second_run_end"] = cpu_snapshot(sb.pid)
                result["second_run_queries_per_page"] = round(counter2.count / max(again.pages, 1), 2)
                result["second_run_chain_s"] = _chain(again)
            fetch_after_s, pages_after = _fetch_only(sb.api_url, keys, take=args.take, countries=COUNTRIES)
            print(f"fetch-only again: {pages_after} pages in {fetch_after_s:.1f} s", flush=True)
            cpu["fetch_after_end"] = cpu_snapshot(sb.pid)
            if pages_after != fetch_pages:
                print(f"fetch-only read {fetch_pages} pages, then {pages_after}", file=sys.stderr)
                return 1
            fetch_s = (fetch_before_s + fetch_after_s) / 2
            result.update(
                {
                    "fetch_only_s": round(fetch_s, 2),
                    "fetch_only_before_s": round(fetch_before_s, 2),
                    "fetch_only_after_s": round(fetch_after_s, 2),
                    "ratio": round(wall / fetch_s, 3),
                    "ratio_before": round(wall / fetch_before_s, 3),
                    "ratio_after": round(wall / fetch_after_s, 3),
                }
            )
            if wall2 is not None:
                result.update(
                    {
                        "second_run_wall_s": round(wall2, 2),
                        "second_run_ratio": round(wall2 / fetch_s, 3),
                    }
                )
            second_end = cpu.get("second_run_end", cpu["reconcile_end"])
            result["cpu_s"] = {
                "fetch_only_before": cpu_since(cpu["fetch_before"], cpu["reconcile"]),
                "reconcile": cpu_since(cpu["reconcile"], cpu["reconcile_end"]),
                **({"second_run": cpu_since(cpu["reconcile_end"], second_end)} if wall2 is not None else {}),
                "fetch_only_after": cpu_since(second_end, cpu["fetch_after_end"]),
            }
            result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
