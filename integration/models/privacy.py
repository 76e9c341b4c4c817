"""Privacy records: the sealed (encrypted) JSON field, erasures, and the staff access log."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils import timezone

from integration.crypto import is_sealed, open_json, seal_json


class SealedJSONField(models.TextField):
    """JSON held encrypted at rest (``integration.crypto``: Fernet, ``DRGREEN_DATA_KEYS``).

    The attribute is the plain value (a dict); the column holds a Fernet token. A value
    written before the field was sealed (plain JSON text) still reads, and is sealed on its
    next save. Nothing can be filtered on it, by design."""

    description = "JSON, encrypted at rest"

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or not isinstance(value, str):
            return value
        if is_sealed(value):
            return open_json(value)
        return json.loads(value) if value else None

    def get_prep_value(self, value):
        if value is None:
            return None
        return seal_json(value)

    def value_to_string(self, obj):  # dumpdata: never the clear value
        return self.get_prep_value(self.value_from_object(obj))


class ErasureRecord(models.Model):
    """One customer's erasure: who asked, when, which local and Dr Green ids. No personal
    data, except ``subject_digest``: an HMAC of the erased email (key derived from
    ``SECRET_KEY``), so running the erasure again by that email says "already erased"
    instead of "unknown customer"."""

    user_id = models.IntegerField(null=True, blank=True, db_index=True)
    client_drgreen_ids = models.JSONField(default=list, blank=True)
    subject_digests = models.JSONField(default=list, blank=True)
    requested_by = models.CharField(max_length=150, blank=True, help_text="staff username or 'command'")
    source = models.CharField(max_length=16, help_text="command | admin")
    counts = models.JSONField(default=dict, blank=True, help_text="rows changed per table")
    erased_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-erased_at"]

    def __str__(self) -> str:
        return f"erasure of user {self.user_id} at {self.erased_at:%Y-%m-%d %H:%M}"


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the access log is append-only")


class AccessLogEntry(models.Model):
    """A staff member saw a client's personal data (an admin page, a staff API read).
    Append-only: rows are never changed, only pruned by age (``DRGREEN_ACCESS_LOG_DAYS``)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    staff_username = models.CharField(max_length=150, blank=True)
    client_id = models.IntegerField(null=True, blank=True, db_index=True)
    client_drgreen_id = models.UUIDField(null=True, blank=True, db_index=True)
    view = models.CharField(max_length=100, help_text="admin page or API endpoint")
    path = models.CharField(max_length=500, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"

    def __str__(self) -> str:
        return f"{self.staff_username or '?'} saw client {self.client_drgreen_id} ({self.view})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the access log is append-only")
        super().save(*args, **kwargs)
