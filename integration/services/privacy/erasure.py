"""The right to erasure: remove a customer's personal data from every table, keep the
commercial facts (order ids, invoice numbers, amounts, lines, statuses, dates), record it.

Dr Green still holds the person, so the client row stays (ids, flags, orders keep syncing)
with ``erased_at`` set: the sync never writes its ``Client.PERSONAL_FIELDS`` or shipping
rows again (services/mirror/clients.py, shippings.py, sales.py), and raw payloads never hold
personal keys for anyone (services/mirror/parsing.REDACTED_KEYS).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integration.crypto import DataKeyError
from integration.models import (
    ApiCall,
    ApiToken,
    Client,
    ClientRegistration,
    ErasureRecord,
    Notification,
    Order,
    OrderLine,
    PlacementAttempt,
    RegistrationState,
    Sale,
    ShippingAddress,
)
from integration.services.errors import ServiceError
from integration.services.mirror.parsing import payload_redact

from .retention import WAITING_STATES

logger = logging.getLogger("integration.privacy")

ERASED_TEXT = ""
_DIGEST_INFO = b"drgreen-store erasure subject v1"


def subject_digest(email: str) -> str:
    """HMAC-SHA256 of a lower-cased email (keyed from ``SECRET_KEY``): recognises an email
    already erased without keeping it."""
    key = hmac.new(str(settings.SECRET_KEY).encode(), _DIGEST_INFO, hashlib.sha256).digest()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()


@dataclass
class Subject:
    """Who is erased: the local user (if any) and every Dr Green client row that is theirs."""

    user: object | None
    clients: list[Client] = field(default_factory=list)
    record: ErasureRecord | None = None  # an earlier erasure found by the email's digest


def customer_find(*, ref: str) -> Subject:
    """A customer by local user id or email (the account's, the client's, a registration's).

    Raises ``ServiceError("customer_not_found")`` when nothing matches."""
    ref = (ref or "").strip()
    users = get_user_model().objects
    user = None
    clients: list[Client] = []
    if ref.isdigit():
        user = users.filter(pk=int(ref)).first()
    elif "@" in ref:
        email = ref.lower()
        user = users.filter(email__iexact=email).order_by("pk").first()
        clients = list(Client.objects.filter(email__iexact=email))
        if user is None:
            user = next((c.user for c in clients if c.user_id), None)
        if user is None:
            reg = ClientRegistration.objects.filter(email__iexact=email, user__isnull=False).first()
            user = reg.user if reg else None
        if user is None and not clients:
            record = _record_by_digest(subject_digest(email))
            if record is not None:
                return Subject(user=None, record=record)
    if user is not None:
        clients = list({c.pk: c for c in [*clients, *Client.objects.filter(user=user)]}.values())
    if user is None and not clients:
        raise ServiceError("customer_not_found", "No customer matches that user id or email.", status=404)
    return Subject(user=user, clients=clients)


def _record_by_digest(digest: str) -> ErasureRecord | None:
    # Erasures are few; JSON containment differs per backend, a scan does not.
    for record in ErasureRecord.objects.only("pk", "subject_digests").iterator():
        if digest in (record.subject_digests or []):
            return record
    return None


def _identifiers(user, clients: list[Client], registrations: list[ClientRegistration]) -> tuple[set, set]:
    """(emails, other identifying strings) to scrub from free text and call paths."""
    emails = {e.strip().lower() for e in [getattr(user, "email", ""), *(c.email for c in clients)] if e}
    emails |= {r.email.strip().lower() for r in registrations if r.email}
    words = set()
    for c in clients:
        words |= {c.contact_number, f"{c.phone_code}{c.contact_number}", c.first_name, c.last_name}
    if user is not None:
        words |= {user.first_name, user.last_name}
    for r in registrations:
        try:
            payload = r.payload if isinstance(r.payload, dict) else {}
        except DataKeyError:  # sealed with a key no longer configured: unreadable anyway
            payload = {}
        words |= {str(payload.get(k) or "") for k in ("firstName", "lastName", "contactNumber")}
    # Very short strings would match unrelated rows; an email is never that short.
    return emails, {w.strip() for w in words if w and len(w.strip()) >= 3}


def _strip_raw(raw):
    """A mirror row's ``raw`` ({source: payload}) with personal keys dropped (the same rule
    the sync applies to every payload it stores today)."""
    if not isinstance(raw, dict):
        return {}
    return {source: payload_redact(payload) for source, payload in raw.items()}


def customer_erase(
    *, subject: Subject, requested_by: str = "", source: str = "command"
) -> tuple[ErasureRecord, bool]:
    """Erase ``subject``. Idempotent: an already erased customer is erased again (anything
    that slipped back is removed) without a second record. Returns (record, created)."""
    if subject.user is None and not subject.clients:
        if subject.record is not None:
            return subject.record, False
        raise ServiceError("customer_not_found", "No customer to erase.", status=404)
    now = timezone.now()
    user = subject.user
    with transaction.atomic():
        client_pks = [c.pk for c in subject.clients]
        clients = list(Client.objects.select_for_update().filter(pk__in=client_pks).order_by("pk"))
        drgreen_ids = [c.drgreen_id for c in clients]
        reg_q = Q(client_id__in=client_pks)
        if user is not None:
            reg_q |= Q(user=user)
        # ``payload`` deferred: a registration sealed with a key no longer configured must
        # not stop an erasure (it is overwritten below either way).
        registrations = list(ClientRegistration.objects.filter(reg_q).only("pk", "email"))
        emails, words = _identifiers(user, clients, registrations)
        if emails:
            registrations += list(
                ClientRegistration.objects.filter(email__in=emails)
                .exclude(pk__in=[r.pk for r in registrations])
                .only("pk", "email")
            )
        counts = _erase_mirror(client_pks, drgreen_ids, now=now)
        counts.update(
            _erase_records(user, client_pks, [r.pk for r in registrations], emails | words, now=now)
        )
        record, created = _record(user, drgreen_ids, emails, counts, requested_by, source, now)
    logger.info("privacy: customer erased (user %s, %d clients)", getattr(user, "pk", None), len(drgreen_ids))
    return record, created


def _erase_mirror(client_pks: list[int], drgreen_ids: list, *, now) -> dict[str, int]:
    """The mirror: client columns, raw payloads, shipping rows, order and sale free text,
    placement evidence. Ids, flags, amounts, lines and statuses stay."""
    counts: dict[str, int] = {}
    blank = {name: ({} if name == "business_address" else ERASED_TEXT) for name in Client.PERSONAL_FIELDS}
    counts["clients"] = Client.objects.filter(pk__in=client_pks).update(**blank, raw={}, erased_at=now)
    counts["shipping_addresses"], _ = ShippingAddress.objects.filter(client_id__in=client_pks).delete()
    mine = Q(client_id__in=client_pks) | Q(client_drgreen_id__in=drgreen_ids)
    orders = Order.objects.filter(mine)
    counts["orders"] = counts["order_lines"] = counts["sales"] = counts["placement_attempts"] = 0
    for order in orders.only("pk", "raw"):
        Order.objects.filter(pk=order.pk).update(raw=_strip_raw(order.raw), rejection_note=ERASED_TEXT)
        counts["orders"] += 1
    for line in OrderLine.objects.filter(order__in=orders).only("pk", "raw"):
        OrderLine.objects.filter(pk=line.pk).update(raw=payload_redact(line.raw or {}))
        counts["order_lines"] += 1
    # Sales: the free-text description goes (it may copy names), the stage stays.
    for sale in Sale.objects.filter(mine).only("pk", "raw"):
        raw = {
            s: {k: v for k, v in (p or {}).items() if k != "description"}
            for s, p in _strip_raw(sale.raw).items()
        }
        Sale.objects.filter(pk=sale.pk).update(raw=raw, description=ERASED_TEXT)
        counts["sales"] += 1
    # Placement evidence may hold order payloads with the client nested.
    attempts = PlacementAttempt.objects.filter(placement__client_id__in=client_pks).only("pk", "evidence")
    for attempt in attempts:
        PlacementAttempt.objects.filter(pk=attempt.pk).update(evidence=payload_redact(attempt.evidence or {}))
        counts["placement_attempts"] += 1
    return counts


def _erase_records(
    user, client_pks: list[int], reg_pks: list[int], texts: set[str], *, now
) -> dict[str, int]:
    """Everything else that names them: registrations, notifications, the call ledger, the
    admin's history, the account and its tokens."""
    counts: dict[str, int] = {}
    # Registrations: the payload (sealed), email, messages; waiting ones are never sent.
    ClientRegistration.objects.filter(pk__in=reg_pks, state__in=WAITING_STATES).update(
        state=RegistrationState.EXPIRED, next_attempt_at=None
    )
    counts["registrations"] = ClientRegistration.objects.filter(pk__in=reg_pks).update(
        payload={}, email="", last_error="", kyc_link="", payload_purged_at=now, updated_at=now
    )
    # Notifications: the address they were (or would be) sent to.
    emails = [t for t in texts if "@" in t]
    notes = Notification.objects.filter(
        Q(status_change__order__client_id__in=client_pks) | Q(recipient__in=emails)
    )
    notes.filter(state__in=[Notification.STATE_PENDING, Notification.STATE_FAILED]).update(
        state=Notification.STATE_SKIPPED
    )
    counts["notifications"] = notes.update(recipient="", last_error="customer erased")
    # The call ledger: query strings (search=<email>) and error texts that name them.
    call_q = Q(pk__in=[])
    for text in texts:
        call_q |= Q(path__icontains=text) | Q(error__icontains=text)
    counts["api_calls"] = 0
    for call in ApiCall.objects.filter(call_q).only("pk", "path"):
        ApiCall.objects.filter(pk=call.pk).update(path=call.path.split("?", 1)[0], error="")
        counts["api_calls"] += 1
    # The admin's own history of these objects names them (object_repr).
    counts["admin_log"] = _admin_log_scrub(user, client_pks, reg_pks)
    if user is not None:
        counts["user"] = _user_anonymise(user)
        tokens = ApiToken.objects.filter(user=user)
        counts["api_tokens"] = tokens.update(name="erased")
        tokens.filter(revoked_at__isnull=True).update(revoked_at=now)
    return counts


def _record(user, drgreen_ids, emails, counts, requested_by, source, now) -> tuple[ErasureRecord, bool]:
    """The erasure's record: one per customer (found by user, else by client id)."""
    record = ErasureRecord.objects.filter(user_id=user.pk).first() if user is not None else None
    if record is None and drgreen_ids:
        wanted = set(map(str, drgreen_ids))
        record = next((r for r in ErasureRecord.objects.all() if wanted & set(r.client_drgreen_ids)), None)
    digests = sorted({subject_digest(e) for e in emails})
    if record is None:
        record = ErasureRecord.objects.create(
            user_id=user.pk if user is not None else None,
            client_drgreen_ids=sorted(str(i) for i in drgreen_ids),
            subject_digests=digests,
            requested_by=requested_by[:150],
            source=source,
            counts=counts,
            erased_at=now,
        )
        return record, True
    if digests and not set(digests) <= set(record.subject_digests):
        record.subject_digests = sorted(set(record.subject_digests) | set(digests))
        record.save(update_fields=["subject_digests"])
    return record, False


def _user_anonymise(user) -> int:
    model = type(user)
    user.set_unusable_password()
    values = {"is_active": False, "password": user.password}
    for name, value in (
        ("email", ""),
        ("first_name", ""),
        ("last_name", ""),
        (model.USERNAME_FIELD, f"erased-{user.pk}"),
    ):
        if any(f.name == name for f in model._meta.concrete_fields):
            values[name] = value
    return model.objects.filter(pk=user.pk).update(**values)


def _admin_log_scrub(user, client_pks: list[int], reg_pks: list[int]) -> int:
    q = Q(pk__in=[])
    targets = [(Client, client_pks), (ClientRegistration, reg_pks)]
    if user is not None:
        targets.append((type(user), [user.pk]))
    for model, pks in targets:
        if pks:
            ct = ContentType.objects.get_for_model(model)
            q |= Q(content_type=ct, object_id__in=[str(pk) for pk in pks])
    return LogEntry.objects.filter(q).update(object_repr="erased", change_message="")


def erasure_is_recorded(*, user_id: int) -> bool:
    return ErasureRecord.objects.filter(user_id=user_id).exists()
