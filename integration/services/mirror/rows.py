"""The generic half of every upsert: prefetch a page's rows by Dr Green id, create the
missing ones in one statement, diff the rest field by field, write them back in one
statement. Constant queries per page, whatever its size.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import F, Value, signals
from django.db.models.base import ModelState
from django.db.models.fields import return_None
from django.db.models.functions import Coalesce, Greatest

from integration.db.bulk import Guarded, ids_filter, values_insert, values_update

from .parsing import logger

# Order fields never part of a data diff: the status trio goes through the compare-and-swap
# in status.py, so a page write can never clobber a status another worker just recorded.
ORDER_STATUS_FIELDS = frozenset(
    {"order_status", "admin_approval", "payment_status", "status_fingerprint", "status_sequence"}
)


@dataclass
class Row:
    """One payload item mapped to model fields.

    ``values`` holds only what the payload actually carried (a key the endpoint does not
    send is simply absent, so the held value is kept). ``fill`` is applied only where the
    held value is blank (e.g. the detail endpoint's recomputed ``totalAmount``).
    """

    drgreen_id: uuid.UUID
    values: dict[str, Any] = field(default_factory=dict)
    fill: dict[str, Any] = field(default_factory=dict)
    payload: Any = None


def usable(mapped: Iterable[Any], *, source: str) -> tuple[list[Any], int]:
    """The mapped items that have a usable id (a mapper gives ``None`` for the rest), and
    how many were skipped; each skipped one is logged."""
    kept, skipped = [], 0
    for m in mapped:
        if m is None:
            logger.warning("sync: %s item without a usable id skipped", source)
            skipped += 1
        else:
            kept.append(m)
    return kept, skipped


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def dedupe(rows: Iterable[Row]) -> list[Row]:
    """One row per id; the later item wins (page drift can repeat an item across pages,
    and within one page the later copy is no older)."""
    by_id: dict[uuid.UUID, Row] = {}
    for row in rows:
        by_id[row.drgreen_id] = row
    return list(by_id.values())


def prefetch(model: type[models.Model], ids: Iterable[uuid.UUID], **select) -> dict[uuid.UUID, Any]:
    """The rows with these Dr Green ids, by id. ``only``: load just these fields (the
    caller must touch no other, or each row costs a query of its own)."""
    ids = list(ids)
    if not ids:
        return {}
    qs = model._default_manager.filter(ids_filter(model, "drgreen_id", ids)).order_by()
    if select.get("select_related"):
        qs = qs.select_related(*select["select_related"])
    if select.get("only"):
        qs = qs.only("drgreen_id", *select["only"])
    if select or _init_listened(model) or model.from_db.__func__ is not models.Model.from_db.__func__:
        return {obj.drgreen_id: obj for obj in qs}
    return {obj.drgreen_id: obj for obj in _loaded(model, qs)}


def _loaded(model: type[models.Model], qs) -> Iterator[models.Model]:
    """``qs``'s rows as instances, as ``Model.from_db`` builds them, without
    ``Model.__init__``'s per-field work (a page's 500 held orders spent more time there
    than in the query): the converted values of every concrete field (``values_list``)
    go straight into the instance's ``__dict__``, which is what ``__init__`` ends up with
    for plain values, and the state says "loaded from ``qs.db``"."""
    names = [f.attname for f in model._meta.concrete_fields]
    alias = qs.db
    for values in qs.values_list(*names):
        obj = model.__new__(model)
        state = obj._state = ModelState()
        state.adding = False
        state.db = alias
        obj.__dict__.update(zip(names, values, strict=True))
        yield obj


def new_instance(model: type[models.Model], row: Row, *, source: str, observed_at: datetime, **extra):
    kwargs = {**{k: v for k, v in row.fill.items() if not is_blank(v)}, **row.values, **extra}
    raw = {source: row.payload} if row.payload is not None else {}
    kwargs.update(drgreen_id=row.drgreen_id, raw=raw, first_seen_at=observed_at, last_synced_at=observed_at)
    return _unsaved(model, kwargs)


def _unsaved(model: type[models.Model], kwargs: dict[str, Any]):
    """``model(**kwargs)`` for a page's new rows, without ``Model.__init__``'s per-argument
    work (a third of the cost of a new row): every concrete field goes straight into the
    instance's ``__dict__``, the given value or the field's default, which is what
    ``__init__`` ends up with for plain values. Anything else (a relation object, a
    property, init signals listening) takes the ordinary constructor."""
    names, constants, computed = _field_defaults(model)
    if not kwargs.keys() <= names or _init_listened(model):
        return model(**kwargs)
    obj = model.__new__(model)
    obj._state = ModelState()
    held = obj.__dict__
    # Constant defaults first, then what was given over them; only a default that is
    # computed (a callable, a relation's) costs a call, and only for a field not given.
    held.update(constants)
    held.update(kwargs)
    for name, default in computed:
        if name not in kwargs:
            held[name] = default()
    return obj


def _init_listened(model: type[models.Model]) -> bool:
    # No receiver connected at all (the usual case) is an attribute read; ``has_listeners``
    # resolves receivers per sender, which for every row of a page added up.
    return bool(
        (signals.pre_init.receivers and signals.pre_init.has_listeners(model))
        or (signals.post_init.receivers and signals.post_init.has_listeners(model))
    )


@functools.cache
def _field_defaults(
    model: type[models.Model],
) -> tuple[frozenset[str], dict[str, Any], list[tuple[str, Callable[[], Any]]]]:
    # Once per model, not once per row: a page builds up to 500 instances of the same model.
    # A plain field's default that is not callable is the same value on every call
    # (``Field._get_default``: ``lambda: self.default``, ``return_None`` or ``str``), so it
    # is read once here; anything else is called per instance, as ``__init__`` would.
    constants: dict[str, Any] = {}
    computed: list[tuple[str, Callable[[], Any]]] = []
    for f in model._meta.concrete_fields:
        get = f._get_default if type(f).get_default is models.Field.get_default else None
        if get is return_None:
            constants[f.attname] = None
        elif get is str:
            constants[f.attname] = ""
        elif get is not None and f.has_default() and not callable(f.default):
            constants[f.attname] = f.default
        else:
            computed.append((f.attname, f.get_default))
    return frozenset(f.attname for f in model._meta.concrete_fields), constants, computed


def create_missing(model: type[models.Model], instances: list, *, attempts: int = 3) -> tuple[list, set]:
    """Insert ``instances`` in one statement. Another worker may insert some of the same ids
    first: the unique ``drgreen_id`` rejects our batch, the savepoint rolls it back, and we
    retry without the ids that now exist. Returns (created, ids that someone else created);
    the caller re-reads the latter and treats them as existing rows.
    """
    raced: set[uuid.UUID] = set()
    pending = list(instances)
    for _ in range(attempts):
        if not pending:
            return [], raced
        try:
            with transaction.atomic():
                if not values_insert(model, pending):
                    model._default_manager.bulk_create(pending)
            return pending, raced
        except IntegrityError:
            now_present = set(
                model._default_manager.filter(drgreen_id__in=[i.drgreen_id for i in pending]).values_list(
                    "drgreen_id", flat=True
                )
            )
            if not now_present:
                raise  # not a race on drgreen_id: a real constraint violation
            logger.info("sync: %d %s rows created concurrently", len(now_present), model.__name__)
            raced |= now_present
            pending = [i for i in pending if i.drgreen_id not in now_present]
            for inst in pending:
                inst.pk = None
                inst._state.adding = True
    raise IntegrityError(f"could not insert {model.__name__} rows after {attempts} attempts")


def is_stale(instance, observed_at: datetime) -> bool:
    """A payload fetched before the newest one already applied (a slow worker's read).
    Stub rows were never synced from their own endpoint, so nothing about them is fresher."""
    if getattr(instance, "is_stub", False):
        return False
    held = getattr(instance, "last_synced_at", None)
    return held is not None and observed_at < held


def blanks_filled(current: Callable[[str], Any], fill: dict[str, Any]) -> dict[str, Any]:
    """The ``fill`` values that land: a second-hand source (a client nested in an order,
    a stale payload) only fills fields that are blank, never overwrites one."""
    filled = {}
    for name, value in fill.items():
        held = current(name)
        if is_blank(held) and not is_blank(value) and held != value:
            filled[name] = value
    return filled


def apply_values(
    instance, row: Row, *, source: str, observed_at: datetime, stale: bool, protected=frozenset()
) -> list[str]:
    """Set the fields ``row`` changes on ``instance``; return their names. A stale payload
    only fills blanks; ``protected`` fields are left to their own write path."""
    changed: list[str] = []
    for name, value in row.values.items():
        if name in protected:
            continue
        held = getattr(instance, name)
        if held == value or (stale and not is_blank(held)):
            continue
        setattr(instance, name, value)
        changed.append(name)
    for name, value in blanks_filled(partial(getattr, instance), row.fill).items():
        setattr(instance, name, value)
        changed.append(name)
    if row.payload is not None and hasattr(instance, "raw"):
        held_raw = (instance.raw or {}).get(source)
        if held_raw != row.payload and (not stale or held_raw is None):
            instance.raw = {**(instance.raw or {}), source: row.payload}
            changed.append("raw")
    return changed


def stamp_seen(instance, observed_at: datetime) -> list[str]:
    """Mark the row as seen at ``observed_at`` and clear a tombstone. Written as
    ``GREATEST(COALESCE(col, t), t)`` so a slow worker never moves the stamp backwards."""
    fields = []
    held = instance.last_synced_at
    if held is None or observed_at > held:
        fields.append("last_synced_at")
    if instance.remote_missing_since is not None:
        instance.remote_missing_since = None
        fields.append("remote_missing_since")
    return fields


def monotonic(field_name: str, when: datetime):
    """An expression for bulk_update: the later of the held value and ``when``."""
    return Greatest(Coalesce(F(field_name), Value(when)), Value(when))


def bulk_write(
    model: type[models.Model],
    writes: list[tuple[Any, list[str]]],
    *,
    monotonic_fields=None,
    protected=frozenset(),
    guarded: Guarded | None = None,
) -> int:
    """One UPDATE for every row that has something to write. ``monotonic_fields`` maps a
    field to the time each row should move it forward to (see ``monotonic``). Rows are
    written in pk order so two workers lock overlapping rows in the same order.
    ``guarded`` (PostgreSQL): one more field, written as a compare-and-swap in the same
    statement (``db.bulk.Guarded``); its rows are written even with nothing else to, its
    instances then hold what was written, and ``guarded.lost`` says where it was not."""
    monotonic_fields = monotonic_fields or {}
    wanted = guarded.when if guarded is not None else {}
    todo = [(inst, names) for inst, names in writes if names or inst.pk in wanted]
    if not todo:
        return 0
    union = sorted({n for _, names in todo for n in names} - protected)
    if not union and not wanted:
        return 0
    todo.sort(key=lambda pair: pair[0].pk)
    objs = [inst for inst, _ in todo]
    if values_update(model, objs, union, monotonic_fields, guarded):
        if guarded is not None:
            for inst in objs:
                when = wanted.get(inst.pk)
                if when is not None and inst.pk not in guarded.lost:
                    held = getattr(inst, guarded.field)
                    setattr(inst, guarded.field, max(held, when) if held else when)
        # The statement moved each monotonic field forward itself; the instances now say
        # what the row holds: the later of the two.
        for name, when_by_pk in monotonic_fields.items():
            if name not in union:
                continue
            for inst in objs:
                when = when_by_pk.get(inst.pk)
                held = getattr(inst, name)
                if when is not None and (held is None or when > held):
                    setattr(inst, name, when)
        return len(objs)
    if guarded is not None:
        raise ValueError("a guarded page write needs PostgreSQL")
    # Other backends: the ORM's bulk_update, with each monotonic field as an expression
    # (built only here: a page's 500 expressions cost more than the statement that does
    # without them).
    concrete: dict[int, dict[str, Any]] = {}
    for inst in objs:
        for name, when_by_pk in monotonic_fields.items():
            if name in union:
                held = getattr(inst, name)
                when = when_by_pk.get(inst.pk) or held
                if when is None:
                    continue  # nothing to move forward to
                concrete.setdefault(inst.pk, {})[name] = max(held, when) if held else when
                setattr(inst, name, monotonic(name, when))
    try:
        model._default_manager.bulk_update(objs, union)
    finally:
        for inst in objs:
            for name, value in concrete.get(inst.pk, {}).items():
                setattr(inst, name, value)
    return len(objs)


def child_changes(row, values: dict[str, Any], *, observed_at: datetime) -> list[str]:
    """Set the ``values`` that differ on a held child row (a shipping address, a country's
    availability) and stamp it seen; returns the fields to write."""
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    for k in changed:
        setattr(row, k, values[k])
    row.last_synced_at = observed_at
    return [*changed, "last_synced_at"]


def child_rows_write(model: type[models.Model], *, create: list, update: list[tuple[Any, list[str]]]) -> None:
    """Write a page's child rows: the changed ones in one bulk UPDATE, in pk order (the
    same lock order for every writer), the new ones in one INSERT. Two workers reading the
    same parent may both find a child missing; the second insert of it is skipped (ON
    CONFLICT DO NOTHING) instead of failing the page."""
    if update:
        union = sorted({n for _, names in update for n in names})
        model._default_manager.bulk_update(sorted((u for u, _ in update), key=lambda u: u.pk), union)
    if create:
        model._default_manager.bulk_create(create, ignore_conflicts=True)


def upsert_plain(
    model: type[models.Model], rows: dict[uuid.UUID, Row], *, source: str, observed_at: datetime, result
) -> tuple[dict[uuid.UUID, Any], set[uuid.UUID]]:
    """Insert-or-update one page of rows that carry no status fingerprint (sales, strains):
    new ids in one INSERT, the rest compared field by field and written in one bulk UPDATE;
    an observation older than the row never overwrites it. Counts into ``result`` (created,
    updated, unchanged, pks); returns ``{drgreen_id: instance}`` and the ids it created."""
    held = prefetch(model, rows.keys())
    fresh = [
        new_instance(model, row, source=source, observed_at=observed_at)
        for rid, row in rows.items()
        if rid not in held
    ]
    created, raced = create_missing(model, fresh)
    held.update({obj.drgreen_id: obj for obj in created})
    held.update(prefetch(model, raced))
    created_ids = {obj.drgreen_id for obj in created}
    writes = []
    for rid, row in rows.items():
        obj = held[rid]
        result.pks[rid] = obj.pk
        if rid in created_ids:
            continue
        stale = is_stale(obj, observed_at)
        changed = apply_values(obj, row, source=source, observed_at=observed_at, stale=stale)
        result.updated += bool(changed)
        result.unchanged += not changed
        writes.append((obj, changed + stamp_seen(obj, observed_at)))
    bulk_write(model, writes, monotonic_fields={"last_synced_at": {obj.pk: observed_at for obj, _ in writes}})
    result.created = len(created)
    return held, created_ids
