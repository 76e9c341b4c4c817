"""Key rotation for the data sealed at rest (``DRGREEN_DATA_KEYS``, newest first)."""

from __future__ import annotations

from integration.models import ClientRegistration


def data_keys_rotate(*, batch: int = 500) -> int:
    """Re-encrypt every held registration payload with the newest key: each value is opened
    with whichever configured key sealed it (or read as the plain JSON written before
    sealing existed) and written back sealed with the newest. Returns the rows rewritten.
    ``updated_at`` is left alone: the registration itself did not change."""
    done = 0
    last = 0
    while True:
        rows = list(
            ClientRegistration.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "payload")[:batch]
        )
        if not rows:
            return done
        for pk, payload in rows:
            last = pk
            if payload is None:
                continue
            ClientRegistration.objects.filter(pk=pk).update(payload=payload)
            done += 1
