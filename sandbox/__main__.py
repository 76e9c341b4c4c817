"""``python -m sandbox --host 127.0.0.1 --port 0 [--db PATH] [--control-token T] ...``."""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import signal
import sys

from sandbox.app import App
from sandbox.server import make_server


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m sandbox", description="Dr Green dapp API simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--db", default=None, help="SQLite file (default: private in-memory database)")
    p.add_argument("--control-token", default=None, help="X-Sandbox-Token (default $SANDBOX_CONTROL_TOKEN)")
    p.add_argument(
        "--accept-empty-detail-signature", action="store_true", help="also accept {} on detail GETs"
    )
    p.add_argument("--order-body-mode", choices=("cart", "docs"), default="cart")
    p.add_argument("--seed", type=int, default=None, help="seed demo data (N clients/orders) at start-up")
    p.add_argument(
        "--keys-out", default=None, help="with --seed: write the demo holder's keys to this JSON file"
    )
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return p.parse_args(argv)


def _raise_interrupt(*_: object) -> None:
    # SIGTERM ends serve_forever the same way Ctrl-C does, so the database is closed cleanly.
    raise KeyboardInterrupt


DEV_CONTROL_TOKEN = "sandbox-dev-token"  # noqa: S105 - the well-known development default


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: could be any interface


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    token = args.control_token or os.environ.get("SANDBOX_CONTROL_TOKEN") or DEV_CONTROL_TOKEN
    if token == DEV_CONTROL_TOKEN and not _is_loopback(args.host):
        # The control plane rewrites the world (clients, orders, clocks, faults): with the
        # well-known token it must not be reachable from anywhere but this machine.
        print(
            f"sandbox: refusing to listen on {args.host} with the default control token; "
            "set SANDBOX_CONTROL_TOKEN (or --control-token) to a random value",
            file=sys.stderr,
            flush=True,
        )
        return 2
    app = App(
        db_path=args.db,
        control_token=token,
        accept_empty_detail_signature=args.accept_empty_detail_signature,
        order_body_mode=args.order_body_mode,
    )
    if args.seed:
        from sandbox.seed import seed_demo

        keys = seed_demo(app, args.seed)
        if args.keys_out:
            with open(args.keys_out, "w", encoding="utf-8") as fh:
                json.dump(keys, fh)
        print(f"sandbox seeded {args.seed} orders for holder {keys['holderId']}", file=sys.stderr, flush=True)
    server = make_server(app, args.host, args.port, verbose=args.verbose)
    host, port = server.server_address[:2]
    signal.signal(signal.SIGTERM, _raise_interrupt)
    print(f"sandbox listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
