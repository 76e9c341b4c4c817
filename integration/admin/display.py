"""Small HTML renderers the console shares: status badges, pretty JSON, links.

Everything that puts remote data into HTML goes through ``format_html``/``escape`` here, so a
hostile value in a Dr Green payload (a strain name, a rejection note) renders as text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Badge tone per known status value, across the three order statuses, client approval, sale
# stages and our own placement/notification/run states. Anything not listed (a value Dr Green
# adds tomorrow) keeps its raw text in a neutral badge: statuses are free strings (facts §7.1).
_TONES: dict[str, str] = {
    # good / finished
    "VERIFIED": "ok",
    "DELIVERED": "ok",
    "PAID": "ok",
    "COMPLETED": "ok",
    "CLOSED": "ok",
    "placed": "ok",
    "sent": "ok",
    "succeeded": "ok",
    "created": "ok",
    "linked": "ok",
    "closed": "ok",
    "delivered": "ok",
    "active": "ok",
    # waiting on someone
    "PENDING": "wait",
    "PROCESSING": "wait",
    "LEADS": "wait",
    "pending": "wait",
    "new": "wait",
    "submitting": "wait",
    "sending": "wait",
    "running": "wait",
    "retry_safe": "wait",
    "half_open": "wait",
    # moving forward
    "SHIPPED": "info",
    "ONGOING": "info",
    "REFUNDED": "info",
    "skipped": "info",
    "partial": "info",
    # bad / needs a person
    "REJECTED": "bad",
    "CANCELLED": "bad",
    "CANCELED": "bad",
    "FAILED": "bad",
    "failed": "bad",
    "rejected": "bad",
    "invalid": "bad",
    "foreign": "bad",
    "open": "bad",
    "disabled": "bad",
    "failing": "alert",
    "unknown": "alert",
    "needs_staff": "alert",
}


def status_tone(value: str | None) -> str:
    return _TONES.get(value or "", "neutral")


def badge(value: str | None, *, label: str | None = None) -> SafeString:
    """A coloured badge for a status value; blank means "not known yet" (never a guess)."""
    if not value:
        return format_html('<span class="dg-badge dg-badge--neutral dg-badge--blank">{}</span>', "unknown")
    return format_html(
        '<span class="dg-badge dg-badge--{}" title="{}">{}</span>', status_tone(value), value, label or value
    )


def bool_badge(value: bool | None, *, yes: str = "yes", no: str = "no") -> SafeString:
    """Nullable booleans: ``None`` is "not known yet", which is not the same as ``False``."""
    if value is None:
        return badge("")
    return format_html(
        '<span class="dg-badge dg-badge--{}">{}</span>', "ok" if value else "bad", yes if value else no
    )


def pretty_json(value: Any) -> SafeString:
    """Indented, key-sorted JSON in a ``<pre>``, HTML-escaped."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre class="dg-json">{}</pre>', text)


def pre(text: str) -> SafeString:
    return format_html('<pre class="dg-pre">{}</pre>', text) if text else format_html("{}", "—")


def admin_url(obj: Any, action: str = "change") -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{action}", args=[obj.pk])


def changelist_url(model: Any, **query: Any) -> str:
    meta = model._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
    if query:
        from urllib.parse import urlencode

        url = f"{url}?{urlencode(query)}"
    return url


def admin_link(obj: Any, text: Any | None = None) -> SafeString:
    """A link to ``obj``'s admin page, or a dash when there is nothing to link to."""
    if obj is None:
        return format_html("{}", "—")
    return format_html('<a href="{}">{}</a>', admin_url(obj), text if text is not None else str(obj))


def console_link(obj: Any) -> SafeString:
    """Link to the record in Dr Green's own dapp console (opens a new tab, no referrer)."""
    return format_html(
        '<a class="dg-console-link" href="{}" target="_blank" rel="noopener noreferrer">{}</a>',
        obj.console_url,
        "Open in Dr Green ↗",
    )


def html_table(headers: Iterable[str], rows: Iterable[Iterable[Any]], *, empty: str = "None") -> SafeString:
    """A plain read-only table for lists that cannot be a Django inline (no direct FK)."""
    rows = list(rows)
    if not rows:
        return format_html('<p class="dg-empty">{}</p>', empty)
    head = format_html_join("", "<th>{}</th>", ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        (
            (
                format_html_join(
                    "", "<td>{}</td>", ((cell if cell not in (None, "") else "—",) for cell in row)
                ),
            )
            for row in rows
        ),
    )
    return format_html(
        '<table class="dg-table"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>', head, body
    )


def money(amount: Any, currency: str = "") -> str:
    if amount is None:
        return "—"
    return f"{amount:,.2f} {currency}".strip()


def client_standing(client: Any) -> str:
    """The readable status the customer is shown (one shared rule in
    ``services.onboarding.readable_status``), plus what staff need to know on top: that a value has
    simply not been fetched yet (a stub or a partial payload), which the customer-facing
    text cannot say."""
    from integration.services.onboarding.readable_status import client_readable_status

    text = client_readable_status(client=client)
    unknown = [
        name
        for name, value in (
            ("approval", client.admin_approval or None),
            ("KYC", client.is_kyc_verified),
            ("active flag", client.is_active),
        )
        if value is None
    ]
    if client.admin_approval and client.admin_approval not in ("PENDING", "VERIFIED", "REJECTED"):
        text = f"{text} (Dr Green says adminApproval={client.admin_approval})"
    if unknown:
        text = f"{text} — {', '.join(unknown)} not fetched from Dr Green yet"
    return text
