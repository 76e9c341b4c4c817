"""The abstract base every mirrored Dr Green resource shares."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from integration.conf import drgreen_settings


class MirroredModel(models.Model):
    """A local copy of one Dr Green resource, keyed by its Dr Green UUID.

    Two clocks are kept apart on purpose: ``first_seen_at``/``last_synced_at`` are ours (when
    we first and last saw the row in any Dr Green response), ``created_at``/``updated_at`` are
    Dr Green's (null when the endpoint does not send them, e.g. the order list has no
    ``updatedAt``).

    ``raw`` holds the last payload *per endpoint* (``{"orders.list": {...}, "orders.detail":
    {...}}``): the endpoints return different subsets of the same resource, and keeping one
    copy each means an unchanged list item compares equal on the next sweep instead of
    flip-flopping with the detail payload.

    Rows are never hard-deleted: a full reconcile that no longer sees a row (and confirms it
    one by one) sets ``remote_missing_since``; any upsert that sees the row again clears it.
    """

    # Path under DRGREEN.CONSOLE_URL where the console shows this kind of record.
    console_path: str = ""

    drgreen_id = models.UUIDField(unique=True)
    raw = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_synced_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    remote_missing_since = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        abstract = True

    @property
    def console_url(self) -> str:
        base = drgreen_settings.client.console_url.rstrip("/")
        return f"{base}/{self.console_path}/{self.drgreen_id}" if self.console_path else base

    @property
    def is_tombstoned(self) -> bool:
        return self.remote_missing_since is not None


class AddressFields(models.Model):
    """Dr Green's address shape (``CreateShippingDto``): ``countryCode`` is ISO alpha-3."""

    address1 = models.CharField(max_length=255, blank=True)
    address2 = models.CharField(max_length=255, blank=True)
    landmark = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=128, blank=True)
    state = models.CharField(max_length=128, blank=True)
    country = models.CharField(max_length=128, blank=True)
    country_code = models.CharField(max_length=3, blank=True, db_index=True)
    postal_code = models.CharField(max_length=32, blank=True)

    class Meta:
        abstract = True


# Money is USD (or the order's local currency where the field says so) as Decimal; the
# sync layer quantizes incoming JSON numbers to these places before comparing, so an
# unchanged payload never looks changed because of float noise.
MONEY = {"max_digits": 14, "decimal_places": 2}
# Grams, up to 3 decimals (Dr Green's cart rule).
QUANTITY = {"max_digits": 14, "decimal_places": 3}
