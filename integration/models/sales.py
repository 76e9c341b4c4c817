"""Dr Green's lightweight sales pipeline (mirror-only: the platform moves stages itself)."""

from __future__ import annotations

from django.db import models

from .base import MirroredModel
from .clients import Client
from .orders import Order


class Sale(MirroredModel):
    """A pipeline entry: ``LEADS`` at client creation, ``ONGOING`` once linked to an order,
    ``CLOSED`` on delivery. ``stage`` is a free string. A CLOSED sale with an order is won,
    without one lost."""

    console_path = "sales"

    stage = models.CharField(max_length=32, blank=True)
    description = models.TextField(blank=True)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="sales")
    client_drgreen_id = models.UUIDField(null=True, blank=True, db_index=True)
    # The order may not be mirrored yet; the order upsert links it when it arrives.
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.SET_NULL, related_name="sales")
    order_drgreen_id = models.UUIDField(null=True, blank=True, db_index=True)

    class Meta:
        # Not ``db_index=True``: that adds a PostgreSQL "_like" index nothing uses (see
        # Order.Meta).
        indexes = [models.Index(fields=["stage"], name="sale_stage_idx")]

    def __str__(self) -> str:
        return f"{self.stage or '?'} {self.drgreen_id}"

    @property
    def is_won(self) -> bool:
        return self.stage == "CLOSED" and self.order_drgreen_id is not None

    @property
    def is_lost(self) -> bool:
        return self.stage == "CLOSED" and self.order_drgreen_id is None
