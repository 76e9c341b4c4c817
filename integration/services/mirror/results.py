"""What an upsert reports back to its caller (poller, reconcile, checkout, admin refresh)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass
class UpsertResult:
    """Counts per page plus the ids a caller acts on next.

    ``created``/``updated``/``unchanged`` count mirrored rows of the endpoint's resource
    (a row whose only news is "seen again" is unchanged). ``skipped`` counts items that
    could not be read (no usable id, or a null detail). ``status_change_ids`` are the new
    ``StatusChange`` pks this call recorded (each announced once by ``order_status_changed``
    after commit); ``stub_client_ids`` the Dr Green ids of stub clients it created, for the
    poller to fetch. ``pks`` maps each seen Dr Green id to its local pk.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    status_change_ids: list[int] = field(default_factory=list)
    stub_client_ids: list[uuid.UUID] = field(default_factory=list)
    pks: dict[uuid.UUID, int] = field(default_factory=dict)

    @property
    def seen(self) -> int:
        return self.created + self.updated + self.unchanged

    def merge(self, other: UpsertResult) -> UpsertResult:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.skipped += other.skipped
        self.status_change_ids.extend(other.status_change_ids)
        self.stub_client_ids.extend(other.stub_client_ids)
        self.pks.update(other.pks)
        return self
