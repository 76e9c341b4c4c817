"""Dr Green clients (the store's customers) and their shipping addresses."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .base import AddressFields, MirroredModel


class Client(MirroredModel):
    """A Dr Green client. Ordering needs ``admin_approval == "VERIFIED"``, ``is_kyc_verified``
    and ``is_active`` all true; the three change independently.

    The booleans are nullable: ``None`` means "no payload told us yet" (a stub, or a client
    only seen nested in an order), which is different from Dr Green saying ``false``.
    ``admin_approval`` is a free string (blank = unknown) so new vendor values need no
    migration.
    """

    console_path = "clients"

    first_name = models.CharField(max_length=128, blank=True)
    last_name = models.CharField(max_length=128, blank=True)
    email = models.CharField(max_length=254, blank=True)
    phone_code = models.CharField(max_length=16, blank=True)
    phone_country_code = models.CharField(max_length=8, blank=True)
    contact_number = models.CharField(max_length=32, blank=True)

    admin_approval = models.CharField(max_length=32, blank=True)
    is_kyc_verified = models.BooleanField(null=True, blank=True, db_index=True)
    is_active = models.BooleanField(null=True, blank=True, db_index=True)
    # Only the client *list* carries these three (facts §6.1, wart 10).
    verified_at = models.DateTimeField(null=True, blank=True)
    rejected_at = models.DateTimeField(null=True, blank=True)
    rejection_note = models.TextField(blank=True)

    # The Dr Green cart (``clientCart[0].id``) that POST /dapp/carts needs as ``clientCartId``.
    cart_id = models.UUIDField(null=True, blank=True)
    # Primary shipping country (the first shipping row, which Dr Green uses for stock
    # checks); projected here because partial payloads (client list, order list) carry only
    # the country, not the address.
    shipping_country = models.CharField(max_length=128, blank=True)
    shipping_country_code = models.CharField(max_length=3, blank=True)

    # ``clientBusinesses[0]``; the full address stays as given.
    business_name = models.CharField(max_length=255, blank=True)
    business_type = models.CharField(max_length=128, blank=True)
    business_address = models.JSONField(default=dict, blank=True)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drgreen_clients",
        help_text="The storefront customer this Dr Green client belongs to.",
    )
    # A client referenced by an order or sale but never fetched from /dapp/clients: only the
    # id and the names that payload gave. The poller fetches stubs; the upsert never does.
    is_stub = models.BooleanField(default=False, db_index=True)
    next_kyc_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Set by the erasure (services/privacy): the person's fields were removed and the sync
    # never stores them again (PERSONAL_FIELDS); ids, flags and orders keep syncing.
    erased_at = models.DateTimeField(null=True, blank=True)

    # What identifies the person: blanked by the erasure and never written again after it.
    PERSONAL_FIELDS = (
        "first_name",
        "last_name",
        "email",
        "phone_code",
        "phone_country_code",
        "contact_number",
        "rejection_note",
        "business_name",
        "business_type",
        "business_address",
    )

    class Meta:
        verbose_name = "client"
        # Declared here, not ``db_index=True``, so PostgreSQL gets no "_like" pattern
        # index as well (see Order.Meta): nothing filters these with LIKE/startswith.
        indexes = [
            models.Index(fields=["email"], name="client_email_idx"),
            models.Index(fields=["admin_approval"], name="client_admin_approval_idx"),
            models.Index(fields=["shipping_country_code"], name="client_shipping_country_idx"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return name or self.email or str(self.drgreen_id)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def phone(self) -> str:
        # phoneCountryCode is often null; phoneCode + contactNumber is the dialable number.
        return f"{self.phone_code}{self.contact_number}" if self.contact_number else ""

    @property
    def can_order(self) -> bool:
        return self.admin_approval == "VERIFIED" and bool(self.is_kyc_verified) and bool(self.is_active)

    @property
    def primary_shipping_country_code(self) -> str:
        """The country Dr Green checks stock against: the first shipping row's, else the
        projected one from partial payloads."""
        # .all() + sort in Python so a prefetch_related("shipping_addresses") is reused.
        rows = sorted(self.shipping_addresses.all(), key=lambda a: (a.position, a.pk))
        if rows and rows[0].country_code:
            return rows[0].country_code
        return self.shipping_country_code


class ShippingAddress(AddressFields):
    """One of a client's ``shippings``. ``drgreen_id`` is null for an address we know only
    from our own registration payload (the create response does not return shipping ids)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="shipping_addresses")
    drgreen_id = models.UUIDField(null=True, blank=True, unique=True)
    # Position in Dr Green's ``shippings`` list (0 = the row Dr Green uses).
    position = models.PositiveSmallIntegerField(default=0)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client_id", "position", "pk"]
        verbose_name_plural = "shipping addresses"

    def __str__(self) -> str:
        parts = [self.address1, self.city, self.postal_code, self.country_code]
        return ", ".join(p for p in parts if p) or f"shipping #{self.pk}"
