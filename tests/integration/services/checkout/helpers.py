"""Small helpers the placement and recovery tests share."""

from __future__ import annotations

from decimal import Decimal


def placement_lines(holder, *quantities):
    """Request lines for the holder's strains, in order, with these quantities."""
    return [{"strain_id": sid, "quantity": q} for sid, q in zip(holder.strain_ids, quantities, strict=False)]


def remote_lines(holder, cid):
    """The lines of every order Dr Green holds for client ``cid``."""
    return [
        {line["strainId"]: Decimal(str(line["quantity"])) for line in order["lines"]}
        for order in holder.remote_orders(cid)
    ]


def attempt_kinds(placement):
    return [(a.kind, a.outcome.split(":")[0]) for a in placement.attempts.order_by("number")]


def checkout_settings(settings, **overrides):
    settings.DRGREEN_CHECKOUT = {**settings.DRGREEN_CHECKOUT, **{k.upper(): v for k, v in overrides.items()}}
