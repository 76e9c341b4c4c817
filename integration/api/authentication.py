"""Who is calling: a storefront server acting for one customer, a customer, or staff.

Three ways in, all ending in a :class:`Principal` on ``request.auth``:

* ``Authorization: Token <storefront token>`` + ``X-Customer-Id: <local user id>``: a
  storefront *server* acting for the customer it names. Without the header it may read the
  catalogue only. The named user must exist, be active and not be staff (a storefront
  token must never be a way into staff views).
* ``Authorization: Token <customer token>``: a customer calling directly (token bound to
  the user when it was issued).
* ``Authorization: Token <staff token>``: staff tools (staff endpoints only), only while
  the token's user is active and staff.
* a Django session (the demo storefront, the admin's logged-in staff): the session user,
  staff endpoints only when ``is_staff``; CSRF enforced for unsafe methods by DRF.

Tokens are looked up by their SHA-256 hash (the clear token is never stored), a revoked
token is refused, and neither the token nor its hash is ever logged or echoed back.
``Bearer`` is accepted as a synonym of ``Token``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header

from integration.models import ApiToken, TokenKind, hash_token
from integration.models.tokens import staff_user_current
from integration.selectors.auth import ActiveToken, api_token_active

logger = logging.getLogger("integration.api.auth")

CUSTOMER_HEADER = "X-Customer-Id"
_CUSTOMER_META = "HTTP_X_CUSTOMER_ID"
_KEYWORDS = (b"token", b"bearer")
# last_used_at is bookkeeping, not an audit log: one write per token per minute at most, so a
# busy storefront token does not turn every read into a write.
_LAST_USED_GRANULARITY = timedelta(seconds=60)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller as the API's permissions see it.

    ``kind``: ``customer`` (acting for ``customer``), ``storefront`` (a storefront server
    token not naming a customer: catalogue only) or ``staff``. ``via`` is ``token`` or
    ``session``; ``token_id`` is the ``ApiToken`` pk for token callers.
    """

    kind: str
    via: str
    customer: Any = None
    token_id: int | None = None
    token_kind: str = ""
    staff_user: Any = None

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def throttle_key(self) -> str:
        """A stable, non-secret identity for throttling: per customer when acting for one
        (so one storefront token's customers do not starve each other), else per token or
        per staff user."""
        if self.customer is not None:
            return f"customer:{self.customer.pk}"
        if self.token_id is not None:
            return f"token:{self.token_id}"
        return f"user:{getattr(self.staff_user, 'pk', '')}"


class TokenUser:
    """``request.user`` for a storefront token not naming a customer: authenticated, but it
    is nobody's account."""

    pk = id = None
    is_active = True
    is_anonymous = False
    is_authenticated = True
    username = ""

    def __init__(self, *, is_staff: bool) -> None:
        self.is_staff = is_staff
        self.is_superuser = False

    def __str__(self) -> str:
        return "api-token"


def _customer_id(raw: str | None) -> int | None:
    """The id ``X-Customer-Id`` names, or ``None`` when absent or malformed (which
    :func:`_customer_from_header` refuses once the token is known to be a storefront's)."""
    if raw is None:
        return None
    raw = raw.strip()
    # ASCII digits only: str.isdigit() is also true for "²" or "١", which int() reads or chokes on.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return int(raw)


def _customer_from_header(request, found: ActiveToken) -> Any | None:
    raw = request.META.get(_CUSTOMER_META)
    if raw is None:
        return None
    if _customer_id(raw) is None:
        raise exceptions.AuthenticationFailed(f"{CUSTOMER_HEADER} must be a customer id (digits).")
    # Staff accounts are not customers: naming one must not lend a storefront token any of
    # their rights; unknown and staff ids get the same answer so ids cannot be probed.
    if found.customer is None:
        raise exceptions.AuthenticationFailed(f"Unknown customer in {CUSTOMER_HEADER}.")
    return found.customer


class ApiTokenAuthentication(BaseAuthentication):
    """``Authorization: Token <token>`` (or ``Bearer``) against hashed ``ApiToken`` rows."""

    keyword = "Token"

    def authenticate(self, request):
        try:
            parts = get_authorization_header(request).split()
        except UnicodeEncodeError:  # not even Latin-1: no token of ours
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        if not parts or parts[0].lower() not in _KEYWORDS:
            if request.META.get(_CUSTOMER_META) is not None and not parts:
                # A customer header without a token is a storefront misconfiguration; say so
                # instead of silently treating the call as anonymous.
                raise exceptions.NotAuthenticated(f"{CUSTOMER_HEADER} needs a storefront token.")
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected 'Token <token>'.")
        try:
            clear = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        # One statement: the token and the user it acts for (see selectors.auth).
        found = api_token_active(
            token_hash=hash_token(clear), customer_id=_customer_id(request.META.get(_CUSTOMER_META))
        )
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        self._touch(found.token)
        return self._principal_for(request, found)

    def _principal_for(self, request, found: ActiveToken):
        token = found.token
        if token.kind == TokenKind.STOREFRONT:
            customer = _customer_from_header(request, found)
            kind = "customer" if customer is not None else "storefront"
            principal = Principal(
                kind=kind, via="token", customer=customer, token_id=token.pk, token_kind=token.kind
            )
            return customer or TokenUser(is_staff=False), principal
        if request.META.get(_CUSTOMER_META) is not None:
            raise exceptions.AuthenticationFailed(f"{CUSTOMER_HEADER} is only for storefront tokens.")
        if token.kind == TokenKind.STAFF:
            # Staff rights end with the account's: a staff token works only while its user
            # is active and staff (a token without a user is from before this rule).
            if not staff_user_current(token.user if token.user_id else None):
                raise exceptions.AuthenticationFailed("Invalid or revoked token.")
            principal = Principal(
                kind="staff", via="token", token_id=token.pk, token_kind=token.kind, staff_user=token.user
            )
            return token.user, principal
        if token.kind == TokenKind.CUSTOMER and token.user is not None and token.user.is_active:
            principal = Principal(
                kind="customer", via="token", customer=token.user, token_id=token.pk, token_kind=token.kind
            )
            return token.user, principal
        # A customer token whose user is gone or disabled, or an unknown kind.
        raise exceptions.AuthenticationFailed("Invalid or revoked token.")

    @staticmethod
    def _touch(token: ApiToken) -> None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > _LAST_USED_GRANULARITY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) with a WWW-Authenticate challenge.
        return self.keyword


class CustomerSessionAuthentication(SessionAuthentication):
    """A logged-in Django session. Staff sessions get staff rights; any session user is a
    customer for their own data. CSRF is enforced for unsafe methods (DRF's behaviour)."""

    def authenticate(self, request):
        if request.META.get(_CUSTOMER_META) is not None:
            return None  # only storefront tokens may name a customer
        result = super().authenticate(request)
        if result is None:
            return None
        user, _ = result
        if user.is_staff:
            principal = Principal(kind="staff", via="session", staff_user=user, customer=user)
        else:
            principal = Principal(kind="customer", via="session", customer=user)
        return user, principal
