"""Page-sized statements: id lookups and the bulk insert/update, on every backend."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from integration.db.bulk import Guarded, ids_filter
from integration.models import Order
from integration.services.mirror import rows as r

pytestmark = pytest.mark.django_db

T = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _orders(n: int) -> list[Order]:
    fresh = [
        r.new_instance(Order, r.Row(uuid.uuid4(), values={"total_amount": Decimal("9.09")}), source="t",
                       observed_at=T)
        for _ in range(n)
    ]  # fmt: skip
    created, raced = r.create_missing(Order, fresh)
    assert not raced
    return created


def test_ids_filter_finds_exactly_the_given_ids():
    orders = _orders(3)
    wanted = [orders[0].drgreen_id, orders[2].drgreen_id, uuid.uuid4()]
    found = set(Order.objects.filter(ids_filter(Order, "drgreen_id", wanted)).values_list("pk", flat=True))
    assert found == {orders[0].pk, orders[2].pk}
    by_pk = Order.objects.filter(ids_filter(Order, "id", [orders[1].pk]))
    assert list(by_pk.values_list("drgreen_id", flat=True)) == [orders[1].drgreen_id]


def test_ids_filter_of_no_ids_matches_nothing():
    _orders(2)
    assert not Order.objects.filter(ids_filter(Order, "drgreen_id", [])).exists()


def test_prefetch_by_ids_returns_instances_by_drgreen_id():
    orders = _orders(2)
    held = r.prefetch(Order, [o.drgreen_id for o in orders])
    assert {k: v.pk for k, v in held.items()} == {o.drgreen_id: o.pk for o in orders}


def test_the_bulk_insert_stores_what_the_instances_hold_nulls_included():
    order = _orders(1)[0]
    stored = Order.objects.get(pk=order.pk)
    assert stored.drgreen_id == order.drgreen_id
    assert stored.total_amount == Decimal("9.09")
    assert stored.raw == {} and stored.remote_missing_since is None and stored.last_synced_at == T


def test_page_json_is_the_same_document_whichever_encoder_writes_it():
    import json

    from integration.db.bulk import page_json

    when = datetime(2026, 3, 1, 12, 0, 0, 120000, tzinfo=UTC)
    rows = [
        {"pk__": 1, "total": Decimal("9.09"), "at": when, "id": uuid.UUID(int=7), "raw": {"é": [1e-07, 2.5]}}
    ]
    doc = page_json(rows)
    assert json.loads(doc) == [
        {
            "pk__": 1,
            "total": "9.09",
            "at": when.isoformat(),
            "id": str(uuid.UUID(int=7)),
            "raw": {"é": [1e-07, 2.5]},
        }
    ]
    # orjson refuses an int past 64 bits: json's document instead, the same value kept.
    assert json.loads(page_json([{"n": 2**70}])) == [{"n": 2**70}]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL loader")
def test_fast_timestamps_read_the_same_values_as_djangos_loader():
    from integration.db.bulk import fast_timestamps

    sql = (
        "SELECT v FROM unnest(ARRAY['2026-03-01 12:00:00+00', '2026-03-01 12:00:00.1+00', "
        "'2026-03-01 12:00:00.123456+00', '0099-01-02 03:04:05.06+00', '2026-03-01 14:00:00+02', "
        "'9999-12-31 23:59:59.999999+00']::timestamptz[]) AS v"
    )

    def read():
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return [row[0] for row in cursor.fetchall()]

    django_values = read()
    with fast_timestamps():
        loader = connection.connection.adapters.get_loader(1184, 0)
        fast_values = read()
    assert loader.__name__ == "UtcTimestampLoader"  # the fast path was really in place
    assert fast_values == django_values
    assert [v.tzinfo for v in fast_values] == [UTC] * len(django_values)
    assert connection.connection.adapters.get_loader(1184, 0) is not loader  # undone


def test_fast_timestamps_change_nothing_elsewhere():
    from integration.db.bulk import fast_timestamps

    order = _orders(1)[0]
    with fast_timestamps():
        assert Order.objects.get(pk=order.pk).last_synced_at == T


@pytest.mark.skipif(connection.vendor != "postgresql", reason="guarded writes are PostgreSQL only")
def test_a_guarded_field_moves_only_where_the_row_still_holds_what_was_read():
    kept, moved, ahead = _orders(3)
    Order.objects.filter(pk=kept.pk).update(status_sequence=1)  # written by someone else since
    Order.objects.filter(pk=ahead.pk).update(status_observed_at=T.replace(hour=14))
    later = T.replace(hour=13)
    guarded = Guarded(
        field="status_observed_at",
        match=("status_sequence", "status_fingerprint"),
        when={o.pk: later for o in (kept, moved, ahead)},
        expected={o.pk: (0, "") for o in (kept, moved, ahead)},
    )
    ahead.status_observed_at = T.replace(hour=14)
    writes = [(o, ["last_synced_at"]) for o in (kept, moved, ahead)]
    r.bulk_write(Order, writes, monotonic_fields={"last_synced_at": {kept.pk: later}}, guarded=guarded)
    assert guarded.lost == {kept.pk}
    held = {o.pk: o for o in Order.objects.all()}
    assert held[kept.pk].status_observed_at is None and kept.status_observed_at is None
    assert held[moved.pk].status_observed_at == later == moved.status_observed_at
    assert held[ahead.pk].status_observed_at == T.replace(hour=14) == ahead.status_observed_at  # never back
    assert held[kept.pk].last_synced_at == later  # the rest of the row is not guarded


@pytest.mark.skipif(connection.vendor != "postgresql", reason="guarded writes are PostgreSQL only")
def test_a_steady_order_page_is_one_update_on_postgresql():
    from django.test.utils import CaptureQueriesContext

    from integration.services.mirror import orders_upsert_from_list
    from tests.integration.services.mirror import payloads as p

    items = [p.order_list_item() for _ in range(5)]
    orders_upsert_from_list(items=items, observed_at=T)
    with CaptureQueriesContext(connection) as steady:
        again = orders_upsert_from_list(items=items, observed_at=T.replace(hour=13))
    updates = [q["sql"] for q in steady.captured_queries if q["sql"].startswith('UPDATE "integration_order"')]
    assert again.unchanged == 5 and len(updates) == 1
    assert all(o.status_observed_at == T.replace(hour=13) for o in Order.objects.all())


def test_prefetch_builds_instances_like_the_orm_does():
    order = _orders(1)[0]
    Order.objects.filter(pk=order.pk).update(raw={"orders.list": {"id": "x", "n": [1, 2.5]}}, line_count=3)
    held = r.prefetch(Order, [order.drgreen_id])[order.drgreen_id]
    loaded = Order.objects.get(pk=order.pk)
    names = [f.attname for f in Order._meta.concrete_fields]
    assert {n: getattr(held, n) for n in names} == {n: getattr(loaded, n) for n in names}
    assert (held._state.adding, held._state.db) == (False, loaded._state.db)
    held.line_count = 4
    held.save(update_fields=["line_count"])  # an ordinary loaded instance
    assert Order.objects.get(pk=order.pk).line_count == 4
