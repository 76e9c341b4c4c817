"""One recovery round of a placement whose order POST may or may not have landed: read
the client's cart and newest orders from Dr Green (no transaction open), ask
:func:`~.decision.recovery_decide`, record the decision (``recovery_locks.py``)."""

from __future__ import annotations

import logging
from decimal import Decimal
from functools import partial

from django.utils import timezone

from integration.conf import drgreen_settings
from integration.drgreen import DrGreenError
from integration.models import OrderPlacement
from integration.services.drgreen_api import correlation_scope, drgreen_client, ledger_deferred
from integration.services.mirror.order_mapping import map_line

from .calls import cart_snapshot, client_orders_newest
from .decision import Decision, backoff, order_facts, recovery_decide
from .recovery_locks import claim_for_recovery, orders_taken, recovery_record
from .validation import quantity_text

logger = logging.getLogger("integration.checkout")


def recovery_round(placement_id: int) -> OrderPlacement | None:
    """Read, decide, record; ``None`` when the round is not due or someone else holds it."""
    claim = claim_for_recovery(placement_id)
    if claim is None:
        return None
    conf = drgreen_settings.checkout
    placement = claim.placement
    client = placement.client  # selected with the claim
    decide = partial(
        recovery_decide, placement=placement, unknown_since=claim.unknown_since, rounds=claim.rounds
    )
    # The reads' ledger rows are written with the decision (see ledger_deferred).
    with ledger_deferred():
        if not claim.posted:
            # Its worker stopped before sending the POST: nothing to read back.
            decision = decide(cart=None, orders=[], now=timezone.now(), posted=False)
            return recovery_record(placement_id=placement_id, claim=claim, decision=decision)
        try:
            with correlation_scope(str(placement.correlation_id)):
                cart = cart_snapshot(drgreen_client(), client) if conf.order_body_mode == "cart" else None
                orders = client_orders_newest(client=client, take=conf.recovery_take)
        except DrGreenError as exc:
            wait = backoff(conf.recovery_backoff_s, claim.rounds, conf.recovery_backoff_max_s)
            decision = Decision(
                "unknown",
                f"Dr Green could not be read: {exc}"[:500],
                next_at=timezone.now() + wait,
                evidence={"round": claim.rounds},
            )
        else:
            ids = [i for i, _, _ in map(order_facts, orders) if i is not None]
            decide = partial(
                decide, cart=cart, orders=orders, taken=orders_taken(placement=placement, order_ids=ids)
            )
            decision = decide(now=timezone.now())
            if decision.code == "ambiguous_orders":
                lines = _candidate_lines(placement, decision.evidence["candidates"])
                if lines is not None:
                    decision = decide(now=timezone.now(), order_lines=lines)
        return recovery_record(placement_id=placement_id, claim=claim, decision=decision)


def _candidate_lines(placement: OrderPlacement, order_ids: list[str]) -> dict[str, dict[str, str]] | None:
    """The lines of a few matching orders, from their details (the lists carry none).
    ``None`` when they cannot all be read: the decision then stays with staff."""
    if len(order_ids) > drgreen_settings.checkout.recovery_detail_max:
        return None
    out: dict[str, dict[str, str]] = {}
    try:
        with correlation_scope(str(placement.correlation_id)):
            for order_id in order_ids:
                lines: dict[str, Decimal] = {}
                for i, raw in enumerate(drgreen_client().get_order(order_id).get("orderLines") or []):
                    line = map_line(i, raw)
                    key = str(line.strain_drgreen_id)
                    lines[key] = lines.get(key, Decimal(0)) + (line.quantity or Decimal(0))
                out[order_id] = {sid: quantity_text(qty) for sid, qty in lines.items()}
    except DrGreenError as exc:
        logger.warning("checkout %s: order details unreadable (%s)", placement.correlation_id, exc)
        return None
    return out
