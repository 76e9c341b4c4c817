"""Client onboarding: keep what the customer typed until Dr Green has accepted it.

``POST /dapp/clients`` is not idempotent and calls a KYC provider first (facts §6.1, §4.5):

* 201 → mirror the client through the sync path, link it to the storefront user;
* 409 (email or phone exists, globally) → the client may be ours: look it up within the
  holder (``search`` + ``searchBy=clientName``); found → linked only after proof of its
  email (``email_proof``); not found → another store owns it (``client_exists_elsewhere``);
* 403 ``API not available`` (KYC provider down) → stay ``pending``; the beat sweep sends it
  again later, so nothing typed is lost;
* no answer after sending → ``unknown``; the next attempt looks the email up before
  sending again (a duplicate create can only ever be a 409, never a second client).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integration.drgreen import (
    Conflict,
    DrGreenError,
    ResponseFormatError,
    ServerError,
    TransportError,
    UpstreamUnavailable,
    ValidationError,
)
from integration.models import Client, ClientRegistration, RegistrationState
from integration.services.drgreen_api import correlation_scope, drgreen_client
from integration.services.errors import ServiceError
from integration.services.mirror import (
    client_upsert_from_create,
    client_upsert_from_detail,
    clients_upsert_from_list,
)
from integration.services.privacy.retention import payload_without_medical
from integration.services.text import json_has_bad_text

from .email_proof import link_proof_start
from .payload import registration_payload_build

logger = logging.getLogger("integration.onboarding")

OPEN_STATES = (RegistrationState.PENDING, RegistrationState.UNKNOWN)
DONE_STATES = (RegistrationState.CREATED, RegistrationState.LINKED)
LEASE = timedelta(minutes=2)
LOST_TASK_GRACE = timedelta(minutes=1)
BACKOFF_BASE_S = 60.0
BACKOFF_MAX_S = 1800.0
CUSTOMER_MESSAGES = {
    "kyc_unavailable": "Dr Green's identity check is unavailable right now; your registration is kept "
    "and sent again automatically.",
    "drgreen_unavailable": "Dr Green did not answer yet; your registration is kept and checked again "
    "automatically.",
    "registration_invalid": "Dr Green could not accept these details. Check them and try again, or "
    "contact support with the registration reference.",
}


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_MAX_S, BACKOFF_BASE_S * 2 ** max(0, attempts - 1)))


def client_register(*, user, data: dict[str, Any], submit: str = "inline") -> ClientRegistration:
    """Validate the form, keep it, and send it to Dr Green (``submit="inline"``, or
    ``"task"`` for a worker). Returns the registration: ``created``/``linked`` (with
    ``client``), or ``pending``/``unknown`` while Dr Green cannot take it yet.

    Raises ``invalid_registration`` (our checks), ``registration_invalid`` (Dr Green's),
    ``client_exists_elsewhere`` (the email or phone belongs to another store) and
    ``client_already_registered`` (it belongs to another customer of this store).
    """
    if submit not in ("inline", "task"):
        raise ValueError("submit must be 'inline' or 'task'")
    if json_has_bad_text(data):
        # Never kept, never sent: Dr Green could not take it and it would be retried forever.
        raise ServiceError(
            "invalid_registration", "NUL characters and lone surrogates are not accepted.", status=400
        )
    payload = registration_payload_build(data=data)
    owner = user if getattr(user, "pk", None) else None
    with transaction.atomic():
        registration = (
            ClientRegistration.objects.select_for_update()
            .filter(user=owner, email=payload["email"], state__in=OPEN_STATES)
            .order_by("pk")
            .first()
        )
        if registration is not None:
            # A corrected form replaces what is still waiting to be sent.
            registration.payload = payload
            registration.save(update_fields=["payload", "updated_at"])
        else:
            registration = ClientRegistration.objects.create(
                user=owner, email=payload["email"], payload=payload, state=RegistrationState.PENDING
            )
    if submit == "task":
        from integration.tasks.onboarding import registration_submit as task  # tasks import services

        transaction.on_commit(lambda: task.delay(registration.pk))
        return registration
    registration = registration_submit(registration_id=registration.pk)
    _raise_for(registration)
    return registration


def _raise_for(registration: ClientRegistration) -> None:
    if registration.state == RegistrationState.FOREIGN:
        raise ServiceError(
            registration.last_error_code or "client_exists_elsewhere",
            registration.last_error,
            details={"registration": str(registration.correlation_id)},
            status=409,
        )
    if registration.state == RegistrationState.INVALID:
        raise ServiceError(
            "registration_invalid",
            registration.last_error,
            details={"registration": str(registration.correlation_id)},
            status=400,
        )


def _claim(registration_id: int) -> tuple[ClientRegistration, bool] | None:
    now = timezone.now()
    with transaction.atomic():
        registration = ClientRegistration.objects.select_for_update().get(pk=registration_id)
        stuck = registration.state == RegistrationState.SUBMITTING and (
            registration.next_attempt_at is None or registration.next_attempt_at <= now
        )
        if registration.state not in OPEN_STATES and not stuck:
            return None
        # After an unanswered create (or a worker that died mid-call) the client may exist.
        look_first = registration.state == RegistrationState.UNKNOWN or stuck
        registration.state = RegistrationState.SUBMITTING
        registration.attempts += 1
        registration.next_attempt_at = now + LEASE
        registration.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
    return registration, look_first


def registration_submit(*, registration_id: int) -> ClientRegistration:
    """Send one registration to Dr Green (or find the client it already created). Safe to
    call repeatedly and concurrently: only the caller that claims it calls Dr Green."""
    claimed = _claim(registration_id)
    if claimed is None:
        return ClientRegistration.objects.get(pk=registration_id)
    registration, look_first = claimed
    api = drgreen_client()
    with correlation_scope(str(registration.correlation_id)):
        try:
            if look_first:
                found = api.find_client_by_email(registration.email)
                if found is not None:
                    return _link(registration, found, created=True)
            created = api.create_client(registration.payload, correlation_id=str(registration.correlation_id))
        except Conflict:
            return _resolve_conflict(registration)
        except UpstreamUnavailable as exc:
            return _finish(registration, RegistrationState.PENDING, code="kyc_unavailable", error=exc)
        except ValidationError as exc:
            return _finish(registration, RegistrationState.INVALID, code="registration_invalid", error=exc)
        except TransportError as exc:
            state = RegistrationState.UNKNOWN if exc.maybe_delivered else RegistrationState.PENDING
            return _finish(registration, state, code="drgreen_unavailable", error=exc)
        except (ServerError, ResponseFormatError) as exc:
            return _finish(registration, RegistrationState.UNKNOWN, code="drgreen_unavailable", error=exc)
        except DrGreenError as exc:  # 429, auth: the request was not processed
            return _finish(registration, RegistrationState.PENDING, code="drgreen_unavailable", error=exc)
    result = client_upsert_from_create(payload=created)
    client = Client.objects.get(pk=next(iter(result.pks.values())))
    _detail_refresh(client)
    return _done(registration, client, RegistrationState.CREATED, kyc_link=created.get("kycLink") or "")


def _detail_refresh(client: Client) -> None:
    """The create response has no cart id or shipping ids; the detail has both. Best effort:
    the KYC poller and checkout validation read the detail again anyway."""
    try:
        client_upsert_from_detail(payload=drgreen_client().get_client(str(client.drgreen_id)))
    except DrGreenError:
        logger.info("onboarding: detail of new client %s not read yet", client.drgreen_id)


def _resolve_conflict(registration: ClientRegistration) -> ClientRegistration:
    # Email and phone are unique across *all* holders: a 409 alone does not make it ours.
    try:
        found = drgreen_client().find_client_by_email(registration.email)
    except DrGreenError as exc:
        return _finish(registration, RegistrationState.UNKNOWN, code="drgreen_unavailable", error=exc)
    if found is None:
        return _finish(
            registration,
            RegistrationState.FOREIGN,
            code="client_exists_elsewhere",
            message="This email or phone number is already registered with Dr Green through another "
            "store (or under a different email). Use different details or contact support.",
        )
    return _link(registration, found, created=False)


def _link(registration: ClientRegistration, item: dict[str, Any], *, created: bool) -> ClientRegistration:
    result = clients_upsert_from_list(items=[item])
    client = Client.objects.get(pk=next(iter(result.pks.values())))
    if registration.user_id and client.user_id != registration.user_id:
        # A client this registration did not itself create (or whose user was deleted): an
        # email typed is no proof of owning it. Linked only once the mailed code comes back.
        # Held by another customer here: the same answer, and no code (it cannot be linked),
        # so the reply never tells whether this email is someone's account in this store.
        return link_proof_start(registration=registration, client=client, send=client.user_id is None)
    state = RegistrationState.CREATED if created else RegistrationState.LINKED
    return _done(registration, client, state)


def _done(
    registration: ClientRegistration, client: Client, state: str, *, kyc_link: str = ""
) -> ClientRegistration:
    with transaction.atomic():
        locked = Client.objects.select_for_update().get(pk=client.pk)
        if registration.user_id and locked.user_id and locked.user_id != registration.user_id:
            # The Dr Green client is already another customer's here; never hand it over.
            return _finish(
                registration,
                RegistrationState.FOREIGN,
                code="client_already_registered",
                message="This email is already registered by another customer of this store.",
            )
        if registration.user_id and locked.user_id is None:
            # ``user`` is our own column (not mirrored data): the link from the storefront
            # account to its Dr Green client.
            Client.objects.filter(pk=locked.pk).update(user_id=registration.user_id)
            locked.user_id = registration.user_id
        registration.state = state
        registration.client = locked
        registration.kyc_link = kyc_link[:1000]
        registration.last_error_code = ""
        registration.last_error = ""
        registration.next_attempt_at = None
        # Dr Green holds the medical record now; we keep no copy (services/privacy).
        registration.payload = payload_without_medical(registration.payload)
        registration.save()
    logger.info("onboarding %s: %s client %s", registration.correlation_id, state, client.drgreen_id)
    return registration


def _finish(
    registration: ClientRegistration,
    state: str,
    *,
    code: str,
    error: DrGreenError | None = None,
    message: str = "",
) -> ClientRegistration:
    now = timezone.now()
    registration.state = state
    registration.last_error_code = code
    # The customer reads last_error: a plain message per code, never Dr Green's own text
    # (which goes to the log, beside the correlation id the customer is shown).
    registration.last_error = message or CUSTOMER_MESSAGES.get(code, CUSTOMER_MESSAGES["drgreen_unavailable"])
    named = _fields_named(registration.payload, error) if code == "registration_invalid" else []
    if named:
        registration.last_error += f" Fields: {', '.join(named)}."
    if error is not None:
        logger.info("onboarding %s: Dr Green said: %s", registration.correlation_id, str(error)[:500])
    retry = state in OPEN_STATES
    registration.next_attempt_at = now + _backoff(registration.attempts) if retry else None
    fields = ["state", "last_error_code", "last_error", "next_attempt_at", "updated_at"]
    if not retry:
        # Given up (refused, another store's): it will never be sent, so no medical copy.
        registration.payload = payload_without_medical(registration.payload)
        fields.append("payload")
    if error is not None and getattr(error, "retry_after", None) and retry:
        registration.next_attempt_at = max(
            registration.next_attempt_at, now + timedelta(seconds=float(error.retry_after))
        )
    registration.save(update_fields=fields)
    logger.info("onboarding %s: %s (%s)", registration.correlation_id, state, code)
    return registration


def _fields_named(payload: Any, error: DrGreenError | None) -> list[str]:
    """Our own form's field names that Dr Green's refusal mentions (its text is not shown;
    the names it points at are)."""
    text = str(error or "")
    names: set[str] = set()
    stack = [payload]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            names.update(key for key in item if isinstance(key, str) and len(key) > 2)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return sorted(name for name in names if name in text)


def registrations_retry_due(*, now=None, limit: int = 100) -> dict[str, int]:
    """Beat: send again every registration whose back-off elapsed (and take over ones whose
    worker died mid-call). Returns how many ended in each state."""
    now = now or timezone.now()
    due = Q(state__in=[*OPEN_STATES, RegistrationState.SUBMITTING], next_attempt_at__lte=now) | Q(
        # Never attempted: its task was lost (or it was queued while the worker was down).
        state=RegistrationState.PENDING,
        next_attempt_at__isnull=True,
        created_at__lte=now - LOST_TASK_GRACE,
    )
    ids = list(
        ClientRegistration.objects.filter(due)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    counts: dict[str, int] = {}
    for registration_id in ids:
        try:
            state = registration_submit(registration_id=registration_id).state
        except Exception:  # noqa: BLE001 - one registration must not stop the sweep
            logger.exception("onboarding sweep: registration %s failed", registration_id)
            state = "error"
        counts[state] = counts.get(state, 0) + 1
    return counts
