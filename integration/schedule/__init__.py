"""The one Celery beat schedule, in code (``CELERY_BEAT_SCHEDULE`` in settings).

Every module of this package declares its feature's entries as ``BEAT_SCHEDULE``; they are
found here by walking the package, so a new feature adds a module and nothing else. Run
exactly one beat process. Each entry's ``expires`` is no longer than its shortest interval,
so a backed-up worker drops stale ticks instead of running them late in a burst.

No Django imports anywhere in this package: settings.py imports it while Django loads.
"""

from __future__ import annotations

import importlib
import pkgutil


def _collect() -> dict:
    merged: dict = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        entries = getattr(module, "BEAT_SCHEDULE", None)
        if entries is None:
            continue  # a helper module (base)
        clash = merged.keys() & entries.keys()
        if clash:
            raise ValueError(f"beat entries declared twice: {sorted(clash)} (again in {module.__name__})")
        merged.update(entries)
    return merged


BEAT_SCHEDULE = _collect()
