"""Checkout: exactly-once order placement with Dr Green (DESIGN.md flow 1).

Public services: :func:`order_place`, :func:`placement_execute`, :func:`placement_recover`,
:func:`placements_sweep`; selector :func:`placement_get`. See ``placement.py`` for the
sequence and ``recovery.py`` for how an ambiguous outcome is settled.
"""

from .placement import PlacementBusy, order_place, placement_enqueue, placement_execute
from .recovery import placement_recover, recovery_decide
from .selectors import placement_get
from .sweep import placements_due, placements_sweep
from .validation import lines_hash, lines_normalize, order_validate

__all__ = [
    "PlacementBusy",
    "lines_hash",
    "lines_normalize",
    "order_place",
    "order_validate",
    "placement_enqueue",
    "placement_execute",
    "placement_get",
    "placement_recover",
    "placements_due",
    "placements_sweep",
    "recovery_decide",
]
