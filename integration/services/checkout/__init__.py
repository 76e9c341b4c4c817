"""Checkout: exactly-once order placement with Dr Green (DESIGN.md flow 1).

``driver.py`` owns a placement's state loop, ``decision.py`` decides recovery from Dr
Green's records (pure), ``locks.py`` holds the short transactions (``recovery_locks.py``
those of a recovery round), ``calls.py`` the Dr Green calls, ``recovery.py`` one recovery
round, ``placements_sweep.py`` the sweep that finishes what requests and tasks could not.
"""

from .decision import recovery_decide
from .driver import PlacementBusy, order_place, placement_enqueue, placement_execute, placement_recover
from .placements_sweep import placements_due, placements_sweep
from .validation import lines_hash, lines_normalize, order_validate

__all__ = [
    "PlacementBusy",
    "lines_hash",
    "lines_normalize",
    "order_place",
    "order_validate",
    "placement_enqueue",
    "placement_execute",
    "placement_recover",
    "placements_due",
    "placements_sweep",
    "recovery_decide",
]
