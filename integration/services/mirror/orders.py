"""Order upserts for every endpoint shape: one page, one transaction, constant queries."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from integration.db.bulk import Guarded
from integration.models import Order, OrderLine, Sale, Strain
from integration.services.webhooks.facts import order_status_changes, orders_created

from . import rows as r
from .clients import ClientRef, HeldClient, clients_ensure
from .order_mapping import LineData, OrderData, map_order
from .parsing import as_dict
from .results import UpsertResult
from .status import StatusPlan, fingerprint, statuses_apply
from .tiers import TIER_TERMINAL, order_next_poll_at, order_poll_tier
from .transactions import announce_on_commit, run_page


def _schedule(order: Order, *, data: OrderData, observed_at: datetime, stale: bool, rng) -> list[str]:
    """Re-plan the next poll. A payload with all three statuses (the list, the create
    response) is a full check, so the clock restarts; a partial one (detail, /recent) only
    reschedules when it moved the order to another tier: it says nothing new about
    ``adminApproval``, and the review tier exists to watch exactly that."""
    tier = order_poll_tier(order)
    if tier == TIER_TERMINAL:
        due = None
    elif tier != order.poll_tier or order.next_poll_at is None or (data.carries_all_statuses and not stale):
        due = order_next_poll_at(order, now=observed_at, rng=rng)
    else:
        return []
    changed = []
    if tier != order.poll_tier:
        order.poll_tier = tier
        changed.append("poll_tier")
    if due != order.next_poll_at:
        order.next_poll_at = due
        changed.append("next_poll_at")
    return changed


def _new_order(data: OrderData, *, source: str, observed_at: datetime, rng) -> Order:
    order = r.new_instance(Order, data.row, source=source, observed_at=observed_at, origin=source)
    for name, value in data.statuses.items():
        setattr(order, name, value)
    order.status_fingerprint = fingerprint(data.statuses)
    if any(data.statuses.values()):
        order.status_observed_at = observed_at
    if data.lines is not None:
        order.lines_synced_at = observed_at
    order.poll_tier = order_poll_tier(order)
    order.next_poll_at = order_next_poll_at(order, now=observed_at, rng=rng)
    return order


def _sync_lines(pairs: list[tuple[Order, list[LineData]]]) -> None:
    """Lines have no ids and never change after placement, so they are compared by
    (position, strain, quantity) and replaced wholesale only when that differs; prices
    stay as first seen (the detail shows *today's* strain prices)."""
    if not pairs:
        return
    strain_ids = {line.strain_drgreen_id for _, lines in pairs for line in lines if line.strain_drgreen_id}
    strains = dict(Strain.objects.filter(drgreen_id__in=strain_ids).values_list("drgreen_id", "pk"))
    held: dict[int, list[tuple]] = {}
    for line in OrderLine.objects.filter(order_id__in=[o.pk for o, _ in pairs]).order_by(
        "order_id", "position"
    ):
        held.setdefault(line.order_id, []).append((line.position, line.strain_drgreen_id, line.quantity))
    replace = [(o, lines) for o, lines in pairs if held.get(o.pk, []) != [line.identity for line in lines]]
    if not replace:
        return
    OrderLine.objects.filter(order_id__in=[o.pk for o, _ in replace]).delete()
    # A concurrent worker replacing the same order's lines (two detail reads racing) may
    # commit first; its rows are the same lines, so ours are skipped rather than failing.
    new_lines = [
        OrderLine(
            order_id=order.pk,
            position=line.position,
            strain_id=strains.get(line.strain_drgreen_id),
            strain_drgreen_id=line.strain_drgreen_id,
            strain_name=line.strain_name,
            quantity=line.quantity,
            unit_retail_price=line.unit_retail_price,
            unit_wholesale_price=line.unit_wholesale_price,
            line_amount=line.line_amount,
            raw=line.raw,
        )
        for order, lines in replace
        for line in lines
    ]
    OrderLine.objects.bulk_create(new_lines, ignore_conflicts=True)


def _observed_guard(deferred: list[StatusPlan] | None) -> Guarded | None:
    """The deferred "observed at" moves of ``statuses_apply``, as the page UPDATE's
    compare-and-swap: only where (sequence, fingerprint) are still what the plan read."""
    if not deferred:
        return None
    return Guarded(
        field="status_observed_at",
        match=("status_sequence", "status_fingerprint"),
        when={p.order.pk: p.observed_at for p in deferred},
        expected={p.order.pk: (p.expected_sequence, p.expected_fingerprint) for p in deferred},
    )


def _upsert_orders(
    datas: list[OrderData],
    *,
    source: str,
    observed_at: datetime,
    rng: random.Random | None,
    skipped: int = 0,
    hint: CreatedHint | None = None,
) -> UpsertResult:
    by_id: dict[uuid.UUID, OrderData] = {}
    for data in datas:
        by_id[data.row.drgreen_id] = data  # page drift may repeat an order; keep the last

    def page() -> UpsertResult:
        result = UpsertResult(skipped=skipped)
        if not by_id:
            return result
        # Orders Dr Green just created for us are inserted first; one a poller mirrored in
        # the meantime is caught by ``create_missing`` as raced and read back there.
        orders = {} if hint is not None else r.prefetch(Order, by_id.keys())

        refs = [d.client_ref for d in by_id.values() if d.client_ref is not None]
        clients = dict(hint.clients) if hint is not None else {}
        clients_more, result.stub_client_ids = clients_ensure(
            refs=[ref for ref in refs if ref.drgreen_id not in clients or _fills(ref)],
            observed_at=observed_at,
        )
        clients.update(clients_more)
        for data in by_id.values():
            if data.client_ref is not None:
                client = clients[data.client_ref.drgreen_id]
                data.row.values["client_id"] = client.pk
                if client.erased:  # services/privacy: Dr Green's free text about them not kept
                    data.row.values.pop("rejection_note", None)
                if client.shipping_country_code:
                    data.row.fill.setdefault("shipping_country_code", client.shipping_country_code)

        fresh = [
            _new_order(d, source=source, observed_at=observed_at, rng=rng)
            for oid, d in by_id.items()
            if oid not in orders
        ]
        created, raced = r.create_missing(Order, fresh)
        # ``order.created`` for the orders this page brought into the mirror (a raced one
        # was brought in by the other writer, with its event).
        orders_created(created, correlation_id=hint.correlation_id if hint is not None else None)
        orders.update({o.drgreen_id: o for o in created})
        orders.update(r.prefetch(Order, raced))
        created_ids = {o.drgreen_id for o in created}
        existing = [(orders[oid], d) for oid, d in by_id.items() if oid not in created_ids]

        before = {o.pk: o.status_fingerprint for o, _ in existing}
        # PostgreSQL: the rows whose statuses are only confirmed get their "observed at"
        # moved in the page's own UPDATE below (guarded like the CAS), not in one of its own.
        deferred: list[StatusPlan] | None = [] if connection.vendor == "postgresql" else None
        detected_at = timezone.now()
        changes = statuses_apply(
            [(o, d.statuses) for o, d in existing],
            observed_at=observed_at,
            source=source,
            detected_at=detected_at,
            deferred=deferred,
        )

        writes = []
        moved_pks: set[int] = set()
        for order, data in existing:
            stale = r.is_stale(order, observed_at)
            changed = r.apply_values(
                order,
                data.row,
                source=source,
                observed_at=observed_at,
                stale=stale,
                protected=r.ORDER_STATUS_FIELDS,
            )
            moved = changed or order.status_fingerprint != before[order.pk]
            result.updated += bool(moved)
            result.unchanged += not moved
            if moved:
                moved_pks.add(order.pk)
            changed += _schedule(order, data=data, observed_at=observed_at, stale=stale, rng=rng)
            if data.lines is not None and (
                order.lines_synced_at is None or order.lines_synced_at < observed_at
            ):
                order.lines_synced_at = observed_at
                changed.append("lines_synced_at")
            writes.append((order, changed + r.stamp_seen(order, observed_at)))
        guarded = _observed_guard(deferred)
        r.bulk_write(
            Order,
            writes,
            monotonic_fields={"last_synced_at": {o.pk: observed_at for o, _ in writes}},
            guarded=guarded,
        )
        if guarded is not None and guarded.lost:
            # Another writer changed these orders' statuses between our read and our write:
            # the ordinary compare-and-swap path re-reads and re-plans them (it may record
            # a change), and their poll is re-planned from what they now hold.
            lost = [(order, data) for order, data in existing if order.pk in guarded.lost]
            changes += statuses_apply(
                [(o, d.statuses) for o, d in lost],
                observed_at=observed_at,
                source=source,
                detected_at=detected_at,
            )
            rewrites = []
            for order, data in lost:
                if order.status_fingerprint != before[order.pk] and order.pk not in moved_pks:
                    result.updated += 1
                    result.unchanged -= 1
                stale = r.is_stale(order, observed_at)
                rewrites.append(
                    (order, _schedule(order, data=data, observed_at=observed_at, stale=stale, rng=rng))
                )
            r.bulk_write(Order, rewrites)
        result.status_change_ids = [c.pk for c in changes]
        announce_on_commit((c.pk, c.order_id, source) for c in changes)
        # Their webhook events, in this page's transaction (the orders now hold the page's
        # values, e.g. a new invoice number).
        order_status_changes(changes, orders={o.pk: o for o in orders.values()})

        result.created = len(created)
        _sync_lines([(orders[oid], d.lines) for oid, d in by_id.items() if d.lines is not None])
        if created:
            # Sales mirrored before their order now point at it.
            unlinked = Sale.objects.filter(r.ids_filter(Sale, "order_drgreen_id", created_ids))
            order_pk = (
                created[0].pk
                if len(created) == 1
                else Subquery(Order.objects.filter(drgreen_id=OuterRef("order_drgreen_id")).values("pk")[:1])
            )
            unlinked.filter(order__isnull=True).update(order_id=order_pk)
        result.pks = {oid: orders[oid].pk for oid in by_id}
        return result

    # The checkout's outcome transaction rolls back as a whole: no savepoint of its own.
    return run_page(page, savepoint=hint is None)


def _fills(ref: ClientRef) -> bool:
    """Whether a nested client carries something ``clients_ensure`` could fill."""
    return bool(ref.shippings) or any(not r.is_blank(v) for v in ref.values.values())


def _map_all(items: Iterable[Any], *, source: str, **kwargs) -> tuple[list[OrderData], int]:
    return r.usable((map_order(item, **kwargs) for item in items or []), source=source)


def orders_map_list(items: list[Any]) -> list[OrderData | None]:
    """``map_order`` of each list item, aligned with ``items`` (``None``: no usable id).
    Pure (no database), so the reconcile runs it in its fetch thread, ahead of the write."""
    return [map_order(item) for item in items or []]


def orders_upsert_mapped(
    mapped: list[OrderData | None],
    *,
    observed_at: datetime | None = None,
    source: str = "orders.list",
    rng: random.Random | None = None,
) -> UpsertResult:
    """The write half of ``orders_upsert_from_list``, for items already mapped."""
    datas, skipped = r.usable(mapped, source=source)
    return _upsert_orders(
        datas, source=source, observed_at=observed_at or timezone.now(), rng=rng, skipped=skipped
    )


def orders_upsert_from_list(
    *,
    items: list[Any],
    observed_at: datetime | None = None,
    source: str = "orders.list",
    rng: random.Random | None = None,
) -> UpsertResult:
    """Items of ``GET /dapp/orders`` (``data.orders``): the only shape with all three
    statuses, so a sweep of it is a full status check."""
    return orders_upsert_mapped(orders_map_list(items), observed_at=observed_at, source=source, rng=rng)


def orders_upsert_from_recent(
    *, items: list[Any], observed_at: datetime | None = None, rng: random.Random | None = None
) -> UpsertResult:
    """Items of ``GET /dapp/orders/recent`` (``data.recentOrders``): adopts new orders;
    ``adminApproval`` is not carried and keeps its held value."""
    datas, skipped = _map_all(items, source="orders.recent")
    return _upsert_orders(
        datas, source="orders.recent", observed_at=observed_at or timezone.now(), rng=rng, skipped=skipped
    )


def orders_upsert_from_client_orders(
    *,
    client_drgreen_id: uuid.UUID | str,
    items: list[Any],
    observed_at: datetime | None = None,
    rng: random.Random | None = None,
) -> UpsertResult:
    """Items of ``GET /dapp/client/{clientId}/orders`` (``data.orders``): no client object
    and no ``adminApproval``; the client comes from the path."""
    client_id = uuid.UUID(str(client_drgreen_id))
    datas, skipped = _map_all(items, source="client.orders", client_drgreen_id=client_id)
    for data in datas:
        if data.client_ref is None:
            data.client_ref = ClientRef(drgreen_id=client_id)
    return _upsert_orders(
        datas, source="client.orders", observed_at=observed_at or timezone.now(), rng=rng, skipped=skipped
    )


def order_upsert_from_detail(
    *,
    payload: Any,
    observed_at: datetime | None = None,
    source: str = "orders.detail",
    rng: random.Random | None = None,
) -> UpsertResult:
    """``GET /dapp/orders/{id}`` (or ``/dapp/clients/{c}/orders/{id}``) → ``data``, with or
    without the ``orderDetails`` wrapper. A null ``orderDetails`` (Dr Green's "not found")
    is counted as skipped and changes nothing; deciding the order is gone is the
    reconcile's job, after re-checking."""
    payload = as_dict(payload)
    inner = payload["orderDetails"] if "orderDetails" in payload else payload
    datas, skipped = _map_all([inner] if inner else [None], source=source, recomputed_totals=True)
    return _upsert_orders(
        datas, source=source, observed_at=observed_at or timezone.now(), rng=rng, skipped=skipped
    )


@dataclass(frozen=True)
class CreatedHint:
    """What the checkout knows of an order Dr Green just created for it: the placing
    client's row (``HeldClient`` by Dr Green id, read under its lock) and the checkout's
    correlation id, which the order's ``order.created`` event carries from the start."""

    clients: dict[uuid.UUID, HeldClient] = field(default_factory=dict)
    correlation_id: uuid.UUID | str | None = None


def order_upsert_from_create(
    *,
    payload: Any,
    client_drgreen_id: uuid.UUID | str | None = None,
    observed_at: datetime | None = None,
    rng: random.Random | None = None,
    hint: CreatedHint | None = None,
) -> UpsertResult:
    """``POST /dapp/orders`` → ``data`` (the new order row). ``source``/``origin`` is
    ``checkout``. The caller's ``client_drgreen_id`` wins over ``clientId``. With ``hint``
    (the checkout's outcome transaction): the order is expected to be new, the hinted
    clients are not looked up again, and the page takes no savepoint."""
    client_id = uuid.UUID(str(client_drgreen_id)) if client_drgreen_id else None
    datas, skipped = _map_all([payload], source="checkout", client_drgreen_id=client_id)
    return _upsert_orders(
        datas,
        source="checkout",
        observed_at=observed_at or timezone.now(),
        rng=rng,
        skipped=skipped,
        hint=hint,
    )
