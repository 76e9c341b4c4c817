"""API tokens for storefront servers, staff tools and customers.

Only a SHA-256 hash of each token is stored; the clear token is shown once when created.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class TokenKind(models.TextChoices):
    STOREFRONT = "storefront", "Storefront server (acts for a customer named in a header)"
    STAFF = "staff", "Staff"
    CUSTOMER = "customer", "Customer"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=TokenKind.choices, db_index=True)
    prefix = models.CharField(
        max_length=12, db_index=True, help_text="first characters, to recognise a token"
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="drgreen_api_tokens",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.prefix}…)"

    def clean(self) -> None:
        if not self._state.adding:
            return  # who a token is for is fixed at issue; only its label changes later
        token_user_check(kind=self.kind, user=self.user if self.user_id else None)

    @classmethod
    def issue(cls, *, name: str, kind: str, user=None) -> tuple[ApiToken, str]:
        """Create a token and return it with its clear text (shown once, never stored).
        Raises ``ValidationError`` when ``user`` does not fit ``kind``."""
        token_user_check(kind=kind, user=user)
        clear = f"dgs_{secrets.token_urlsafe(32)}"
        token = cls.objects.create(
            name=name, kind=kind, user=user, prefix=clear[:12], token_hash=hash_token(clear)
        )
        return token, clear

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


def staff_user_current(user) -> bool:
    """Staff rights last as long as the account: active and staff, now."""
    return user is not None and bool(user.is_active) and bool(user.is_staff)


def token_user_check(*, kind: str, user) -> None:
    """Who a token may be issued for: a staff token needs an active staff user (it works
    only while that user stays so), a customer token a user, a storefront token none."""
    if kind == TokenKind.STAFF and not staff_user_current(user):
        raise ValidationError(
            {"user": "A staff token needs an active staff user; it stops working when they stop being one."}
        )
    if kind == TokenKind.CUSTOMER and user is None:
        raise ValidationError({"user": "A customer token needs its customer."})
    if kind == TokenKind.STOREFRONT and user is not None:
        raise ValidationError({"user": "A storefront token acts for customers named per request; no user."})
