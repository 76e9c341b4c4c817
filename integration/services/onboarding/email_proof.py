"""Linking an existing Dr Green client to a storefront user needs proof of its email.

Dr Green answers 409 when a registration's email already belongs to a client; if that
client is this store's and no local user holds it (never linked, or its user was deleted),
whoever typed the email would otherwise be handed its name, address, KYC state and
orders, and could check out as that patient. Instead:

* a single-use 6-digit code goes to the email *on the client record* through Django's email
  backend (never to an address the caller chose); only a keyed hash of it is stored;
* it expires after :data:`PROOF_TTL`, allows :data:`MAX_ATTEMPTS` guesses, a new one
  supersedes the caller's older ones, and at most :data:`MAX_PROOFS_PER_CLIENT_PER_HOUR`
  are sent for one client (the answer is the same when the cap holds, so nothing leaks);
* until the code comes back the registration is ``proof_required`` with no client: the
  caller sees nothing of the client and cannot order;
* staff may link by hand in the admin (:func:`client_link_by_staff`, logged there).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from integration.models import Client, ClientLinkProof, ClientRegistration, RegistrationState
from integration.services.errors import ServiceError

logger = logging.getLogger("integration.onboarding")

PROOF_TTL = timedelta(minutes=30)
MAX_ATTEMPTS = 5
MAX_PROOFS_PER_CLIENT_PER_HOUR = 5
CODE_DIGITS = 6
PROOF_REQUIRED_CODE = "email_proof_required"
PROOF_REQUIRED_MESSAGE = (
    "Check your email: if this address belongs to an existing account, we sent it a code to confirm it."
)


def _code_hash(*, user_id: int, client_id: int, code: str) -> str:
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, f"link-proof:{user_id}:{client_id}:{code}".encode(), hashlib.sha256).hexdigest()


def link_proof_start(
    *, registration: ClientRegistration, client: Client, send: bool = True
) -> ClientRegistration:
    """Park ``registration`` as ``proof_required`` and mail a code to the client's email.

    Called by onboarding when Dr Green's client for this email exists and the caller does
    not hold it. ``send=False`` (another customer holds it): the same answer, no code. The
    registration keeps no client and no medical record (nothing is sent to Dr Green)."""
    now = timezone.now()
    recent = ClientLinkProof.objects.filter(client=client, created_at__gte=now - timedelta(hours=1)).count()
    code = ""
    with transaction.atomic():
        if send and recent < MAX_PROOFS_PER_CLIENT_PER_HOUR and client.email:
            # A new code supersedes this caller's older ones for the same client.
            ClientLinkProof.objects.filter(
                user_id=registration.user_id, client=client, used_at__isnull=True, expires_at__gt=now
            ).update(expires_at=now)
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            ClientLinkProof.objects.create(
                user_id=registration.user_id,
                client=client,
                registration=registration,
                email=client.email,
                code_hash=_code_hash(user_id=registration.user_id, client_id=client.pk, code=code),
                expires_at=now + PROOF_TTL,
            )
        registration.state = RegistrationState.PROOF_REQUIRED
        registration.client = None
        registration.last_error_code = PROOF_REQUIRED_CODE
        registration.last_error = PROOF_REQUIRED_MESSAGE
        registration.next_attempt_at = None
        registration.payload = {k: v for k, v in registration.payload.items() if k != "medicalRecord"}
        registration.save()
    if code:
        _send_code(email=client.email, code=code)
    else:
        reason = "cap reached" if send else "held by another customer"
        logger.warning("onboarding %s: link proof not sent (%s)", registration.correlation_id, reason)
    logger.info("onboarding %s: proof of email required", registration.correlation_id)
    return registration


def _send_code(*, email: str, code: str) -> None:
    minutes = int(PROOF_TTL.total_seconds() // 60)
    body = (
        f"Someone asked to connect this email's Dr Green patient account to a storefront login.\n\n"
        f"Your code: {code}\n\nIt works once and expires in {minutes} minutes. If this was not you, "
        "ignore this email: nothing is shared without the code."
    )
    try:
        send_mail("Your confirmation code", body, None, [email])
    except Exception:  # noqa: BLE001 - the caller may ask again; the code is never logged
        logger.exception("onboarding: link proof email could not be sent")


_INVALID = ServiceError(
    "link_code_invalid",
    "This code is wrong, used or expired. Register again to receive a new one.",
    status=400,
)


def link_proof_confirm(*, user, code: str) -> ClientRegistration:
    """The caller's latest open proof, checked against ``code``: linked on a match.

    Raises ``link_code_invalid`` (wrong, used, expired, or out of attempts: one answer for
    all) and ``client_already_registered`` (someone linked the client meanwhile)."""
    now = timezone.now()
    proof = (
        ClientLinkProof.objects.filter(
            user=user, used_at__isnull=True, expires_at__gt=now, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if proof is None:
        raise _INVALID
    expected = _code_hash(user_id=user.pk, client_id=proof.client_id, code=code)
    with transaction.atomic():
        # Count the attempt first, under the row lock, so concurrent guesses cannot overrun it.
        counted = ClientLinkProof.objects.filter(
            pk=proof.pk, used_at__isnull=True, attempts__lt=MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1)
        matched = counted and hmac.compare_digest(expected, proof.code_hash)
        if matched:
            ClientLinkProof.objects.filter(pk=proof.pk).update(used_at=now)
    if not matched:
        logger.info("onboarding: wrong or spent link code for proof %s", proof.pk)
        raise _INVALID
    client = _link_client(client_id=proof.client_id, user=user)
    registration = proof.registration
    if registration is None:
        registration = ClientRegistration.objects.create(
            user=user, email=client.email, payload={}, state=RegistrationState.LINKED, client=client
        )
    else:
        _registration_linked(registration, client)
    logger.info("onboarding %s: email proven, client linked", registration.correlation_id)
    return registration


def _link_client(*, client_id: int, user) -> Client:
    with transaction.atomic():
        client = Client.objects.select_for_update().get(pk=client_id)
        if client.user_id is not None and client.user_id != user.pk:
            raise ServiceError(
                "client_already_registered",
                "This email is already registered by another customer of this store.",
                status=409,
            )
        if Client.objects.filter(user=user).exclude(pk=client.pk).exists():
            raise ServiceError(
                "already_registered", "This customer already has a Dr Green client.", status=409
            )
        Client.objects.filter(pk=client.pk).update(user=user)
        client.user_id = user.pk
        # Every other open proof for this client is void now.
        ClientLinkProof.objects.filter(client=client, used_at__isnull=True).update(used_at=timezone.now())
    return client


def _registration_linked(registration: ClientRegistration, client: Client) -> None:
    registration.state = RegistrationState.LINKED
    registration.client = client
    registration.last_error_code = ""
    registration.last_error = ""
    registration.save(update_fields=["state", "client", "last_error_code", "last_error", "updated_at"])


def client_link_by_staff(*, client: Client, user) -> Client:
    """Staff link ``client`` to ``user`` by hand (after checking identity another way); the
    admin view records it in the admin log. Refuses staff accounts and a client held by
    someone else."""
    if user.is_staff or user.is_superuser or not user.is_active:
        raise ServiceError("invalid_user", "Only an active customer account can hold a client.")
    linked = _link_client(client_id=client.pk, user=user)
    waiting = ClientRegistration.objects.filter(user=user, state=RegistrationState.PROOF_REQUIRED)
    for registration in waiting:
        _registration_linked(registration, linked)
    return linked
