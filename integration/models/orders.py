"""Orders, their lines, and the append-only history of their status changes."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .base import MONEY, QUANTITY, MirroredModel
from .clients import Client
from .strains import Strain

# Values the sync layer and the poll tiers reason about. Statuses stay free strings: these
# are the values we *act* on, not a closed list of what Dr Green may send.
PAID_PAYMENT_STATUSES = frozenset({"PAID", "COMPLETED"})
TERMINAL_ORDER_STATUSES = frozenset({"DELIVERED", "CANCELLED", "CANCELED"})
TERMINAL_ADMIN_APPROVALS = frozenset({"REJECTED"})
STATUS_FIELDS = ("order_status", "admin_approval", "payment_status")


class OrderQuerySet(models.QuerySet):
    def active(self):
        """Orders still moving (not delivered, cancelled or rejected)."""
        return self.exclude(order_status__in=TERMINAL_ORDER_STATUSES).exclude(
            admin_approval__in=TERMINAL_ADMIN_APPROVALS
        )

    def due_for_poll(self, now):
        """Orders whose ``next_poll_at`` has passed and that no worker holds a live claim on."""
        return self.filter(next_poll_at__lte=now).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        )


class Order(MirroredModel):
    """A Dr Green order.

    The three statuses are free strings, blank = unknown. Only ``GET /dapp/orders`` (the
    list) carries all three: detail, ``/recent`` and client-orders lack ``adminApproval``, so
    a field a payload does not carry keeps its last known value (see services/mirror).

    ``status_fingerprint`` is ``orderStatus|adminApproval|paymentStatus`` of the values held;
    ``status_sequence`` counts the ``StatusChange`` rows and is the compare-and-swap token
    that lets racing workers record one change exactly once. ``status_observed_at`` is when
    the held status values were fetched, so a slow worker's older payload cannot move them
    backwards.
    """

    console_path = "orders"

    # No index of its own: ``order_client_created_idx`` (client, -created_at) leads with it.
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders", db_index=False
    )
    # Not indexed: nothing looks orders up by it (the client FK is set when the order is
    # written, a stub if need be, and every client filter goes through it), and a random
    # uuid b-tree was one of the costliest of the order's indexes on every insert.
    client_drgreen_id = models.UUIDField(null=True, blank=True)

    order_status = models.CharField(max_length=32, blank=True)
    admin_approval = models.CharField(max_length=32, blank=True)
    payment_status = models.CharField(max_length=32, blank=True)
    status_fingerprint = models.CharField(max_length=110, blank=True)
    status_sequence = models.PositiveIntegerField(default=0)
    status_observed_at = models.DateTimeField(null=True, blank=True)

    # USD, for accounting. The list/create value is what was charged; the detail endpoint
    # recomputes it from current prices, so it only fills a blank (facts wart 14).
    total_amount = models.DecimalField(**MONEY, null=True, blank=True)
    # What the customer sees and pays (``localPrice``): never show them the USD figure.
    local_currency = models.CharField(max_length=8, blank=True)
    local_total = models.DecimalField(**MONEY, null=True, blank=True)
    delivery_fee = models.DecimalField(**MONEY, null=True, blank=True)
    total_quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    line_count = models.PositiveIntegerField(null=True, blank=True)
    # Replaced by the payment processor's id once invoiced, so not an idempotency anchor.
    invoice_number = models.CharField(max_length=128, blank=True)
    rejection_note = models.TextField(blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    shipping_country_code = models.CharField(max_length=3, blank=True)
    shipping_drgreen_id = models.UUIDField(null=True, blank=True)
    # Which path first saw the order: "checkout" for ours, an endpoint name for adopted ones.
    origin = models.CharField(max_length=32, blank=True)
    # When orderLines were last read from a detail payload (null = lines never fetched).
    lines_synced_at = models.DateTimeField(null=True, blank=True, db_index=True)

    # Polling (services/mirror/tiers.py decides; the poller claims due rows).
    poll_tier = models.CharField(max_length=16, blank=True)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_by = models.CharField(max_length=128, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        # Plain b-trees declared here rather than ``db_index=True``: on PostgreSQL a
        # CharField with ``db_index`` also gets a ``varchar_pattern_ops`` "_like" index,
        # which only LIKE/startswith lookups use. Nothing filters these fields that way
        # (admin search is ``icontains``, which no b-tree serves), and every index is paid
        # for on each of the reconcile's page INSERTs.
        indexes = [
            models.Index(fields=["client", "-created_at"], name="order_client_created_idx"),
            models.Index(fields=["order_status"], name="order_order_status_idx"),
            models.Index(fields=["admin_approval"], name="order_admin_approval_idx"),
            models.Index(fields=["payment_status"], name="order_payment_status_idx"),
            models.Index(fields=["invoice_number"], name="order_invoice_number_idx"),
            models.Index(fields=["shipping_country_code"], name="order_shipping_country_idx"),
            models.Index(fields=["origin"], name="order_origin_idx"),
            models.Index(fields=["poll_tier"], name="order_poll_tier_idx"),
        ]

    def __str__(self) -> str:
        return self.invoice_number or str(self.drgreen_id)

    @property
    def is_paid(self) -> bool:
        return self.payment_status in PAID_PAYMENT_STATUSES

    @property
    def is_terminal(self) -> bool:
        return self.order_status in TERMINAL_ORDER_STATUSES or self.admin_approval in TERMINAL_ADMIN_APPROVALS


class OrderLine(models.Model):
    """One ``orderLines[]`` entry. The strain's name and prices are snapshots: the catalogue
    may change or drop the strain later."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    strain = models.ForeignKey(
        Strain, null=True, blank=True, on_delete=models.SET_NULL, related_name="order_lines"
    )
    strain_drgreen_id = models.UUIDField(null=True, blank=True, db_index=True)
    strain_name = models.CharField(max_length=255, blank=True)
    quantity = models.DecimalField(**QUANTITY, null=True, blank=True)
    unit_retail_price = models.DecimalField(**MONEY, null=True, blank=True)
    unit_wholesale_price = models.DecimalField(**MONEY, null=True, blank=True)
    line_amount = models.DecimalField(**MONEY, null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="uniq_order_line_position"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.strain_name or self.strain_drgreen_id}"


class StatusChange(models.Model):
    """One detected change of an order's status fingerprint (append-only).

    ``(order, sequence)`` is unique: two workers that detect the same change race for the
    same sequence number and the database lets exactly one of them record it.
    ``order_status``/``admin_approval``/``payment_status`` are the values *after* the change,
    so a notification renders the state it announces even if the order has moved on.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="status_changes")
    sequence = models.PositiveIntegerField()
    fingerprint_before = models.CharField(max_length=110, blank=True)
    fingerprint_after = models.CharField(max_length=110)
    # [{"field": "admin_approval", "before": "PENDING", "after": "VERIFIED"}, ...]; only
    # known→different-known changes, never unknown→known fill-ins.
    fields_changed = models.JSONField(default=list)
    order_status = models.CharField(max_length=32, blank=True)
    admin_approval = models.CharField(max_length=32, blank=True)
    payment_status = models.CharField(max_length=32, blank=True)
    source = models.CharField(max_length=32, db_index=True)
    observed_at = models.DateTimeField(help_text="When the payload that showed the change was fetched.")
    detected_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["order_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="uniq_status_change_order_sequence"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} #{self.sequence}: {self.fingerprint_before} → {self.fingerprint_after}"

    def changed(self, field: str) -> bool:
        return any(c.get("field") == field for c in self.fields_changed)
