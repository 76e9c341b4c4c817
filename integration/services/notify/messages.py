"""Which customer message a ``StatusChange`` earns: the transition table, adapted to the
values Dr Green really sends (facts §7.1–7.2, order-lifecycle.md "Customer notifications").

=====================================  ===========  ================================================
transition (after-value)               message key  what the customer reads
=====================================  ===========  ================================================
adminApproval → REJECTED               rejected     not approved (+ Dr Green's ``rejectionNote``)
orderStatus → DELIVERED                delivered    delivered, thank you
orderStatus → SHIPPED                  shipped      dispatched
orderStatus → PROCESSING               processing   being prepared
paymentStatus → PAID | COMPLETED       paid         payment received (only from a not-paid value)
adminApproval → VERIFIED               approved     approved; Dr Green emails the payment link
=====================================  ===========  ================================================

Decisions:

- **One email per change.** A poll can see several fields move at once (an order approved
  and paid between two sweeps). The table is also the precedence, highest first: a
  rejection ends the order whatever else moved; otherwise the furthest stage wins, since it
  implies the earlier ones ("being prepared" already tells a customer their payment
  arrived; "approved, pay via the link" would be wrong for an order that is already paid).
- **No "order received" email here.** Placement is not a ``StatusChange`` (the sync layer
  records known → different-known changes only, never a first sighting), so this pipeline
  never sees it: our checkout answers the customer when it places the order, and orders
  adopted from Dr Green's own UI were confirmed there.
- **Adopted orders are notified like ours.** The client is our customer either way.
- **Anything else sends nothing**: values Dr Green does not send today (``CANCELLED``,
  ``FAILED``, ``REFUNDED``), unknown new values, and moves back (``PAID → PENDING``, a
  correction) or sideways (``COMPLETED → PAID``, both "paid"). A raw vendor enum is not a
  customer message, and a wrong email cannot be unsent. The change still gets a
  ``skipped`` notification whose reason names the transition, so staff see it in the admin
  and can decide; adding a row to ``RULES`` is all a new value needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from integration.models import PAID_PAYMENT_STATUSES, StatusChange


@dataclass(frozen=True)
class Rule:
    key: str
    field: str
    applies: Callable[[str, str], bool]  # (before, after) -> bool
    subject: str


def _to(*values: str) -> Callable[[str, str], bool]:
    wanted = frozenset(values)
    return lambda before, after: after in wanted


def _became_paid(before: str, after: str) -> bool:
    return after in PAID_PAYMENT_STATUSES and before not in PAID_PAYMENT_STATUSES


# Highest precedence first (see the module docstring).
RULES: tuple[Rule, ...] = (
    Rule("rejected", "admin_approval", _to("REJECTED"), "Your order could not be approved"),
    Rule("delivered", "order_status", _to("DELIVERED"), "Your order has been delivered"),
    Rule("shipped", "order_status", _to("SHIPPED"), "Your order has been dispatched"),
    Rule("processing", "order_status", _to("PROCESSING"), "Your order is being prepared"),
    Rule("paid", "payment_status", _became_paid, "Payment received for your order"),
    Rule("approved", "admin_approval", _to("VERIFIED"), "Your order has been approved"),
)
MESSAGE_KEYS = frozenset(rule.key for rule in RULES)

FIELD_LABELS = {
    "order_status": "orderStatus",
    "admin_approval": "adminApproval",
    "payment_status": "paymentStatus",
}


@dataclass(frozen=True)
class Choice:
    """The message for a change, or why there is none (``rule`` is ``None``)."""

    rule: Rule | None
    reason: str = ""

    @property
    def template(self) -> str:
        return f"integration/email/{self.rule.key}" if self.rule else ""


def describe(fields_changed: list[dict]) -> str:
    return ", ".join(
        f"{FIELD_LABELS.get(c.get('field'), c.get('field'))} {c.get('before') or '∅'}→{c.get('after') or '∅'}"
        for c in fields_changed
    )


def message_for_change(change: StatusChange) -> Choice:
    """The single most significant customer message of ``change`` (pure, no queries)."""
    moved = [c for c in change.fields_changed or [] if isinstance(c, dict)]
    for rule in RULES:
        for c in moved:
            if c.get("field") == rule.field and rule.applies(c.get("before") or "", c.get("after") or ""):
                return Choice(rule)
    return Choice(None, f"no customer message for this change ({describe(moved) or 'no fields'})")


def rule_for_key(key: str) -> Rule | None:
    return next((rule for rule in RULES if rule.key == key), None)
