"""Status fingerprints and the compare-and-swap that records each change exactly once.

Rules (facts §7.3):
- a status a payload does not carry (``adminApproval`` on detail, ``/recent`` and
  client-orders) or carries as null keeps the value we hold and is never a change;
- unknown → known is a silent fill-in (no ``StatusChange``);
- known → different known is a change: one ``StatusChange`` with sequence + 1;
- a payload fetched before the held values (``status_observed_at``) cannot move a known
  value; it may still fill a blank.

Racing workers are settled by the database, not by locks held across reads: the order
row is updated only ``WHERE status_sequence = <read> AND status_fingerprint = <read>``, and
``StatusChange`` is unique on (order, sequence). The loser's savepoint rolls back, it
re-reads the order and re-plans against what the winner wrote, which usually means
"nothing left to do".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, DateTimeField, F, IntegerField, Value, When

from integration.db.bulk import status_observed_advance
from integration.models import STATUS_FIELDS, Order, StatusChange

from .parsing import logger
from .rows import monotonic

CAS_ATTEMPTS = 5


def fingerprint(values: dict[str, str]) -> str:
    return "|".join(values.get(name) or "" for name in STATUS_FIELDS)


def held_statuses(order: Order) -> dict[str, str]:
    return {name: getattr(order, name) or "" for name in STATUS_FIELDS}


@dataclass
class StatusPlan:
    order: Order
    expected_sequence: int
    expected_fingerprint: str
    new_values: dict[str, str]
    changes: list[dict[str, str]] = field(default_factory=list)
    observed_at: datetime | None = None
    advance_observed: bool = False

    @property
    def new_fingerprint(self) -> str:
        return fingerprint(self.new_values)

    @property
    def new_sequence(self) -> int:
        return self.expected_sequence + (1 if self.changes else 0)


def plan_statuses(order: Order, incoming: dict[str, str], *, observed_at: datetime) -> StatusPlan | None:
    """What ``incoming`` (blank = not carried) does to ``order``'s statuses; ``None`` when
    nothing is written."""
    held = held_statuses(order)
    stale = order.status_observed_at is not None and observed_at < order.status_observed_at
    new = dict(held)
    changes: list[dict[str, str]] = []
    for name in STATUS_FIELDS:
        value = incoming.get(name) or ""
        if not value or value == held[name]:
            continue
        if not held[name]:
            new[name] = value  # unknown → known: fill in silently
        elif stale:
            logger.info(
                "sync: stale %s=%s for order %s ignored (held %s observed later)",
                name,
                value,
                order.drgreen_id,
                held[name],
            )
        else:
            new[name] = value
            changes.append({"field": name, "before": held[name], "after": value})
    carries = any(incoming.get(name) for name in STATUS_FIELDS)
    advance = carries and not stale and order.status_observed_at != observed_at
    if new == held and not advance:
        return None
    return StatusPlan(
        order=order,
        expected_sequence=order.status_sequence,
        expected_fingerprint=order.status_fingerprint,
        new_values=new,
        changes=changes,
        observed_at=observed_at,
        advance_observed=advance,
    )


def _case(plans: list[StatusPlan], value_of, output_field):
    return Case(
        *[When(pk=p.order.pk, then=Value(value_of(p), output_field=output_field)) for p in plans],
        output_field=output_field,
    )


def _try_apply(plans: list[StatusPlan], *, source: str, detected_at: datetime) -> list[StatusChange] | None:
    """One CAS round for all plans; ``None`` if any order moved under us (all rolled back)."""
    try:
        with transaction.atomic():
            updates = {
                name: _case(plans, lambda p, n=name: p.new_values[n], CharField()) for name in STATUS_FIELDS
            }
            updates["status_fingerprint"] = _case(plans, lambda p: p.new_fingerprint, CharField())
            updates["status_sequence"] = _case(plans, lambda p: p.new_sequence, IntegerField())
            # Moved forward only, as GREATEST(COALESCE(held, t), t): two workers advancing it
            # concurrently must not leave the older time behind.
            updates["status_observed_at"] = Case(
                *[
                    When(pk=p.order.pk, then=monotonic("status_observed_at", p.observed_at))
                    for p in plans
                    if p.advance_observed
                ],
                default=F("status_observed_at"),
                output_field=DateTimeField(),
            )
            matched = (
                Order.objects.filter(pk__in=[p.order.pk for p in plans])
                .filter(status_sequence=_case(plans, lambda p: p.expected_sequence, IntegerField()))
                .filter(status_fingerprint=_case(plans, lambda p: p.expected_fingerprint, CharField()))
                .update(**updates)
            )
            if matched != len(plans):
                raise _Lost
            changes = [
                StatusChange(
                    order_id=p.order.pk,
                    sequence=p.new_sequence,
                    fingerprint_before=p.expected_fingerprint,
                    fingerprint_after=p.new_fingerprint,
                    fields_changed=p.changes,
                    source=source,
                    observed_at=p.observed_at,
                    detected_at=detected_at,
                    **p.new_values,
                )
                for p in plans
                if p.changes
            ]
            # The unique (order, sequence) is the last line of defence should the order row
            # have been rewritten behind the CAS (it is not, today).
            return StatusChange.objects.bulk_create(changes) if changes else []
    except (_Lost, IntegrityError):
        return None


class _Lost(Exception):
    pass


def _advance_only(plan: StatusPlan) -> bool:
    return plan.advance_observed and not plan.changes and plan.new_values == held_statuses(plan.order)


def _advance_observed(plans: list[StatusPlan]) -> set[int] | None:
    """Move ``status_observed_at`` forward (never back) for orders whose statuses did not
    change, guarded like the CAS: only rows still at the (sequence, fingerprint) we read.
    Returns the pks updated, or ``None`` when the one-statement path does not apply (then
    the CAS path handles them)."""
    if not plans:
        return None
    when = {p.observed_at for p in plans}
    if len(when) != 1:
        return None
    guards = [(p.order.pk, p.expected_sequence, p.expected_fingerprint) for p in plans]
    return status_observed_advance(Order, guards, observed_at=when.pop())


def statuses_apply(
    pairs: list[tuple[Order, dict[str, str]]],
    *,
    observed_at: datetime,
    source: str,
    detected_at: datetime,
    deferred: list[StatusPlan] | None = None,
) -> list[StatusChange]:
    """Apply incoming statuses to orders (``pairs`` of order as read + incoming values) and
    return the ``StatusChange`` rows this call recorded. On success the instances carry
    the values now held; a lost race is re-planned from a fresh read, so the loser records
    nothing twice and never raises.

    ``deferred`` (a list): the plans that only move ``status_observed_at`` forward (most
    of a sweep's page) are not written here but appended to it, for the caller to write
    in its own page UPDATE as a compare-and-swap (``db.bulk.Guarded``), one statement instead
    of two for each such row; the caller passes the ones that lost back through here."""
    incoming_by_pk = {order.pk: incoming for order, incoming in pairs}
    orders = {order.pk: order for order, _ in pairs}
    recorded: list[StatusChange] = []
    pending = sorted(orders)  # pk order: racing pages lock rows in the same order
    for attempt in range(1, CAS_ATTEMPTS + 1):
        plans = [
            p
            for pk in pending
            if (p := plan_statuses(orders[pk], incoming_by_pk[pk], observed_at=observed_at)) is not None
        ]
        if not plans:
            return recorded
        lost: list[int] = []
        # Most rows of a sweep page only confirm what we hold: their "observed at" moves
        # forward and nothing else. One plain statement does that for the whole page (the
        # CASE-per-row CAS below costs seconds of ORM work for 500 rows).
        advancing = [p for p in plans if _advance_only(p)]
        if advancing and deferred is not None and attempt == 1:
            deferred.extend(advancing)
            plans = [p for p in plans if not _advance_only(p)]
        elif advancing:
            moved = _advance_observed(advancing)
            if moved is not None:
                for p in advancing:
                    if p.order.pk in moved:
                        held = p.order.status_observed_at
                        p.order.status_observed_at = max(held, p.observed_at) if held else p.observed_at
                    else:
                        lost.append(p.order.pk)
                plans = [p for p in plans if not _advance_only(p)]
        # Batch first (and once more after a fresh read); then order by order, so one busy
        # order cannot starve the rest of the page.
        groups = [plans] if attempt <= 2 else [[p] for p in plans]
        for group in groups:
            if not group:
                continue
            created = _try_apply(group, source=source, detected_at=detected_at)
            if created is None:
                lost.extend(p.order.pk for p in group)
                continue
            recorded.extend(created)
            for p in group:
                for name, value in p.new_values.items():
                    setattr(p.order, name, value)
                p.order.status_fingerprint = p.new_fingerprint
                p.order.status_sequence = p.new_sequence
                if p.advance_observed:
                    held = p.order.status_observed_at
                    p.order.status_observed_at = max(held, p.observed_at) if held else p.observed_at
        if not lost:
            return recorded
        logger.info("sync: status CAS lost for %d orders (attempt %d); re-reading", len(lost), attempt)
        fresh = Order.objects.filter(pk__in=lost).only(
            "pk", "drgreen_id", *STATUS_FIELDS, "status_fingerprint", "status_sequence", "status_observed_at"
        )
        for row in fresh:
            order = orders[row.pk]
            for name in (*STATUS_FIELDS, "status_fingerprint", "status_sequence", "status_observed_at"):
                setattr(order, name, getattr(row, name))
        pending = sorted(lost)
    logger.warning("sync: gave up on statuses of %d orders after %d attempts", len(pending), CAS_ATTEMPTS)
    return recorded
