"""Route registration: one table per module, listed in one place, and no import back into the
dispatcher (``sandbox.app``) from the routes or the control plane."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sandbox.app import App
from sandbox.routing import CONTROL_PREFIX, PREFIX

ROOT = Path(__file__).resolve().parents[2]


def test_route_modules_and_control_plane_do_not_import_the_dispatcher() -> None:
    code = "import sys, sandbox.control, sandbox.routes; print('sandbox.app' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_route_is_registered_once_under_its_prefix() -> None:
    app = App()
    dapp = [(r.method, r.template.lower()) for r in app.routes]
    control = [(r.method, r.template) for r in app.control_routes]
    assert len(dapp) == len(set(dapp)) and len(control) == len(set(control))
    assert all(t.startswith(PREFIX.lower()) for _, t in dapp)
    assert all(t.startswith(CONTROL_PREFIX + "/") for _, t in control)
    assert ("GET", "/api/v1/public/healthstatus") in dapp
    assert ("POST", "/__sandbox__/orders/:order_id/approve") in control


def test_dapp_paths_match_any_case_and_control_paths_only_as_written() -> None:
    app = App()
    route, params = app.match("GET", "/API/v1/Dapp/Orders/abc/")
    assert route.template == "/api/v1/dapp/orders/:orderId" and params == {"orderId": "abc"}
    approve = next(r for r in app.control_routes if r.template.endswith("/orders/:order_id/approve"))
    assert approve.match("POST", "/__sandbox__/orders/x1/approve") == ["x1"]
    assert approve.match("POST", "/__sandbox__/Orders/x1/approve") is None
    assert approve.match("GET", "/__sandbox__/orders/x1/approve") is None
