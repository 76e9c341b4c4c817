"""Two workers detecting the same change record it exactly once.

On SQLite the race is replayed deterministically: worker B works from a read taken before
worker A committed. On PostgreSQL two real threads with their own connections read the
same state, then write at the same time.
"""

import copy
import logging
import threading

import pytest
from django.db import connection

from integration.models import Order, StatusChange
from integration.services.mirror import (
    order_upsert_from_detail,
    orders_upsert_from_list,
    orders_upsert_from_recent,
    rows,
)

from . import payloads as p


def _replay_stale_read(monkeypatch, stale: dict):
    real = rows.prefetch

    def prefetch(model, ids, **kwargs):
        if model is Order:
            ids = set(ids)
            return {k: copy.deepcopy(v) for k, v in stale.items() if k in ids}
        return real(model, ids, **kwargs)

    monkeypatch.setattr(rows, "prefetch", prefetch)


@pytest.mark.django_db
class TestCasLoser:
    def test_loser_of_the_same_change_records_nothing_and_does_not_raise(self, monkeypatch, t0, later):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=t0)
        stale = {o.drgreen_id: o for o in Order.objects.all()}  # B's read
        changed = dict(item, adminApproval="VERIFIED")
        a = orders_upsert_from_list(items=[changed], observed_at=later(5))  # A wins
        _replay_stale_read(monkeypatch, stale)
        b = orders_upsert_from_list(items=[changed], observed_at=later(5))
        assert len(a.status_change_ids) == 1 and b.status_change_ids == []
        order = Order.objects.get()
        assert StatusChange.objects.count() == 1 and order.status_sequence == 1
        assert order.status_fingerprint == "PENDING|VERIFIED|PENDING"

    def test_loser_with_a_newer_state_records_the_next_change(self, monkeypatch, t0, later):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=t0)
        stale = {o.drgreen_id: o for o in Order.objects.all()}
        orders_upsert_from_list(items=[dict(item, adminApproval="VERIFIED")], observed_at=later(5))
        _replay_stale_read(monkeypatch, stale)
        b = orders_upsert_from_list(
            items=[dict(item, adminApproval="VERIFIED", paymentStatus="PAID")], observed_at=later(6)
        )
        second = StatusChange.objects.get(pk__in=b.status_change_ids)
        assert second.sequence == 2
        assert second.fingerprint_before == "PENDING|VERIFIED|PENDING"
        assert second.fields_changed == [{"field": "payment_status", "before": "PENDING", "after": "PAID"}]

    def test_a_loser_that_only_confirms_what_it_read_replans_from_a_fresh_read(self, monkeypatch, t0, later):
        """B read the order before A recorded a change, and its (later) payload confirms
        what B read: its "observed at" move loses the compare-and-swap (on PostgreSQL,
        inside the page's own UPDATE), is re-planned from a fresh read, and records the
        change back, once, while the rest of B's page write (the stamp) still lands."""
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=t0)
        stale = {o.drgreen_id: o for o in Order.objects.all()}
        orders_upsert_from_list(items=[dict(item, adminApproval="VERIFIED")], observed_at=later(5))
        _replay_stale_read(monkeypatch, stale)
        b = orders_upsert_from_list(items=[item], observed_at=later(6))
        change = StatusChange.objects.get(pk__in=b.status_change_ids)
        assert (change.sequence, change.fingerprint_before) == (2, "PENDING|VERIFIED|PENDING")
        assert change.fingerprint_after == "PENDING|PENDING|PENDING"
        order = Order.objects.get()
        assert StatusChange.objects.count() == 2 and order.status_sequence == 2
        assert order.status_observed_at == later(6) and order.last_synced_at == later(6)
        # Counted as on every backend: the fingerprint ends where B's read had it.
        assert (b.updated, b.unchanged) == (0, 1)

    def test_fill_in_racing_a_change_is_replanned(self, monkeypatch, t0, later):
        # B holds an order adopted from /recent (approval unknown); A fills approval in.
        recent = p.order_recent_item()
        orders_upsert_from_recent(items=[recent], observed_at=t0)
        stale = {o.drgreen_id: o for o in Order.objects.all()}
        listed = dict(p.order_list_item(adminApproval="VERIFIED"), id=recent["id"])
        orders_upsert_from_list(items=[listed], observed_at=later(1))
        _replay_stale_read(monkeypatch, stale)
        # B's detail shows a real orderStatus change; its plan was built on the old fingerprint.
        detail = p.order_detail(order_id=recent["id"], orderStatus="PROCESSING")
        b = order_upsert_from_detail(payload=detail, observed_at=later(2))
        change = StatusChange.objects.get()
        assert b.status_change_ids == [change.pk]
        assert change.fingerprint_before == "PENDING|VERIFIED|PENDING"
        assert change.fingerprint_after == "PROCESSING|VERIFIED|PENDING"

    def test_unique_sequence_is_the_last_line_of_defence(self, t0, later, caplog):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=t0)
        order = Order.objects.get()
        # A row for sequence 1 exists although the order still says 0 (as if written behind
        # the compare-and-swap): the insert must fail quietly and roll the order back.
        StatusChange.objects.create(
            order=order, sequence=1, fingerprint_after="X", source="test", observed_at=t0, detected_at=t0
        )
        result = orders_upsert_from_list(items=[dict(item, paymentStatus="PAID")], observed_at=later(1))
        order.refresh_from_db()
        assert result.status_change_ids == []
        assert StatusChange.objects.count() == 1
        assert (order.payment_status, order.status_sequence) == ("PENDING", 0)
        assert "gave up" in caplog.text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")
@pytest.mark.django_db(transaction=True)
class TestConcurrentWorkers:
    @pytest.fixture(autouse=True)
    def _caplog(self, caplog):
        self.caplog = caplog

    def _race(self, monkeypatch, pages):
        """Run one upsert per page in its own thread; every thread reads its orders, then
        all of them wait for each other before writing."""
        barrier = threading.Barrier(len(pages), timeout=20)
        local = threading.local()
        real = rows.prefetch

        def prefetch(model, ids, **kwargs):
            found = real(model, ids, **kwargs)
            if model is Order and not getattr(local, "waited", False):
                local.waited = True
                barrier.wait()
            return found

        monkeypatch.setattr(rows, "prefetch", prefetch)
        self.caplog.set_level(logging.INFO, logger="integration.sync")
        results, errors = [None] * len(pages), []

        def work(i, items, observed_at):
            try:
                results[i] = orders_upsert_from_list(items=items, observed_at=observed_at)
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, args=(i, *page)) for i, page in enumerate(pages)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        return results

    def test_two_workers_same_change_one_status_change(self, monkeypatch, t0, later, caplog):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=t0)
        changed = [dict(item, adminApproval="VERIFIED")]
        results = self._race(monkeypatch, [(changed, later(5)), (changed, later(5))])
        assert sorted(len(r.status_change_ids) for r in results) == [0, 1]
        assert StatusChange.objects.count() == 1
        assert Order.objects.get().status_sequence == 1
        assert "status CAS lost" in caplog.text  # the race really happened

    def test_two_workers_overlapping_pages(self, monkeypatch, t0, later, caplog):
        items = [p.order_list_item() for _ in range(40)]
        orders_upsert_from_list(items=items, observed_at=t0)
        changed = [dict(i, paymentStatus="PAID") for i in items]
        # Overlapping pages in opposite orders, observed at different times.
        results = self._race(
            monkeypatch, [(changed[:30], later(5)), (list(reversed(changed[10:])), later(6))]
        )
        assert sum(len(r.status_change_ids) for r in results) == 40
        assert StatusChange.objects.count() == 40
        assert set(Order.objects.values_list("status_sequence", flat=True)) == {1}
        assert "status CAS lost" in caplog.text
