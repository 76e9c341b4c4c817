"""Orders: every endpoint shape, the status rules, adoption, lines, signals."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection

from integration.models import Client, Order, OrderLine, Sale, StatusChange, Strain
from integration.services.mirror import (
    order_upsert_from_create,
    order_upsert_from_detail,
    orders_upsert_from_client_orders,
    orders_upsert_from_list,
    orders_upsert_from_recent,
    sales_upsert_from_list,
)
from integration.services.mirror.parsing import payload_redact
from integration.signals import order_status_changed

from . import payloads as p

pytestmark = pytest.mark.django_db


def _order(item) -> Order:
    return Order.objects.get(drgreen_id=item["id"] if "id" in item else item["orderDetails"]["id"])


class TestShapes:
    def test_list_item_maps_every_field(self, t0):
        item = p.order_list_item(adminApproval="VERIFIED")
        result = orders_upsert_from_list(items=[item], observed_at=t0)
        assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
        order = _order(item)
        assert (order.order_status, order.admin_approval, order.payment_status) == (
            "PENDING",
            "VERIFIED",
            "PENDING",
        )
        assert order.status_fingerprint == "PENDING|VERIFIED|PENDING"
        assert order.status_sequence == 0
        assert order.total_amount == Decimal("9.09")
        assert (order.local_currency, order.local_total) == ("ZAR", Decimal("165.00"))
        assert order.invoice_number == item["invoiceNumber"]
        assert order.shipping_country_code == "ZAF"
        assert order.line_count == 1
        assert order.total_quantity == Decimal("1.000")
        assert order.created_at.isoformat() == "2026-02-01T10:00:00+00:00"
        assert order.updated_at is None  # the list has no updatedAt
        assert order.origin == "orders.list"
        # The raw copy keeps everything but the person (the columns hold what is needed).
        assert order.raw == {"orders.list": payload_redact(item)}
        assert "firstName" in item["client"] and "firstName" not in order.raw["orders.list"]["client"]
        assert (order.first_seen_at, order.last_synced_at, order.status_observed_at) == (t0, t0, t0)
        assert order.client.drgreen_id == uuid.UUID(item["client"]["id"])
        assert order.client_drgreen_id == order.client.drgreen_id
        assert result.pks == {uuid.UUID(item["id"]): order.pk}

    def test_recent_item_has_no_approval_invoice_or_total(self, t0):
        item = p.order_recent_item()
        orders_upsert_from_recent(items=[item], observed_at=t0)
        order = _order(item)
        assert (order.order_status, order.admin_approval, order.payment_status) == ("PENDING", "", "PENDING")
        assert order.status_fingerprint == "PENDING||PENDING"
        assert order.invoice_number == "" and order.total_amount is None
        assert order.updated_at is not None
        assert order.shipping_country_code == "ZAF"
        # Full nested shipping rows (with ids) are mirrored on the (stub) client.
        assert order.client.shipping_addresses.get().postal_code == "8001"

    def test_detail_maps_lines_local_price_and_fee(self, t0):
        strain = Strain.objects.create(drgreen_id=uuid.uuid4(), name="Example Kush")
        payload = p.order_detail(
            lines=[p.order_line(strain_id=str(strain.drgreen_id), quantity=2.5), p.order_line(retail=10)]
        )
        result = order_upsert_from_detail(payload=payload, observed_at=t0)
        order = _order(payload)
        assert result.created == 1
        assert order.delivery_fee == Decimal("6.00")
        assert order.local_total == Decimal("165.00")
        assert order.lines_synced_at == t0
        assert order.admin_approval == ""
        lines = list(order.lines.all())
        assert [line.position for line in lines] == [0, 1]
        assert lines[0].strain == strain and lines[0].quantity == Decimal("2.500")
        assert lines[0].line_amount == Decimal("22.73")
        assert lines[1].strain is None and lines[1].strain_drgreen_id is not None
        assert lines[1].unit_retail_price == Decimal("10.00")
        assert order.line_count == 1  # totalOrdered as sent

    def test_detail_accepts_unwrapped_payload_and_null_is_skipped(self, t0):
        inner = p.order_detail()["orderDetails"]
        assert order_upsert_from_detail(payload=inner, observed_at=t0).created == 1
        result = order_upsert_from_detail(payload={"orderDetails": None}, observed_at=t0)
        assert (result.created, result.skipped) == (0, 1)

    def test_client_orders_item_takes_client_from_path(self, t0):
        client_id = uuid.uuid4()
        item = p.client_orders_item()
        result = orders_upsert_from_client_orders(
            client_drgreen_id=str(client_id), items=[item], observed_at=t0
        )
        order = _order(item)
        assert order.client.drgreen_id == client_id and order.client.is_stub
        assert result.stub_client_ids == [client_id]
        assert order.total_amount == Decimal("18.18") and order.admin_approval == ""

    def test_create_response(self, t0):
        client = Client.objects.create(drgreen_id=uuid.uuid4(), first_name="Ada", admin_approval="VERIFIED")
        payload = p.order_create_response(client_id=str(client.drgreen_id))
        result = order_upsert_from_create(
            payload=payload, client_drgreen_id=client.drgreen_id, observed_at=t0
        )
        order = _order(payload)
        assert result.created == 1 and result.stub_client_ids == []
        assert order.client == client
        assert order.origin == "checkout"
        assert order.status_fingerprint == "PENDING|PENDING|PENDING"
        assert order.shipping_drgreen_id == uuid.UUID(payload["shippingId"])
        assert order.raw == {"checkout": payload_redact(payload)}

    def test_tolerant_parsing(self, t0, caplog):
        good = p.order_list_item(totalAmount="12.5", localPrice="n/a", _count={"orderLines": "x"})
        items = [
            {"id": "not-a-uuid"},
            None,
            good,
            p.order_list_item(client=None, createdAt="yesterday", totalAmount=float("nan")),
        ]
        result = orders_upsert_from_list(items=items, observed_at=t0)
        assert (result.created, result.skipped) == (2, 2)
        order = _order(good)
        assert order.total_amount == Decimal("12.50")
        assert order.local_total is None and order.line_count is None
        assert "not a UUID" in caplog.text

    def test_unknown_status_values_are_stored_as_is(self, t0, later):
        item = p.order_list_item(orderStatus="ON_HOLD", paymentStatus="refunded")
        orders_upsert_from_list(items=[item], observed_at=t0)
        order = _order(item)
        assert order.status_fingerprint == "ON_HOLD|PENDING|REFUNDED"
        orders_upsert_from_list(items=[dict(item, orderStatus="NEW_THING")], observed_at=later(1))
        change = StatusChange.objects.get()
        assert change.fields_changed == [{"field": "order_status", "before": "ON_HOLD", "after": "NEW_THING"}]


class TestStatusRules:
    def test_real_change_records_one_status_change(self, t0, later):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=t0)
        approved = dict(item, adminApproval="VERIFIED", orderStatus="PROCESSING")
        result = orders_upsert_from_list(items=[approved], observed_at=later(5))
        order = _order(item)
        change = StatusChange.objects.get()
        assert result.status_change_ids == [change.pk] and result.updated == 1
        assert change.order == order and change.sequence == 1 and order.status_sequence == 1
        assert change.fingerprint_before == "PENDING|PENDING|PENDING"
        assert change.fingerprint_after == "PROCESSING|VERIFIED|PENDING" == order.status_fingerprint
        assert change.fields_changed == [
            {"field": "order_status", "before": "PENDING", "after": "PROCESSING"},
            {"field": "admin_approval", "before": "PENDING", "after": "VERIFIED"},
        ]
        assert (change.order_status, change.admin_approval, change.payment_status) == (
            "PROCESSING",
            "VERIFIED",
            "PENDING",
        )
        assert change.source == "orders.list" and change.observed_at == later(5)

        paid = dict(approved, paymentStatus="PAID")
        orders_upsert_from_list(items=[paid], observed_at=later(10))
        assert list(StatusChange.objects.values_list("sequence", flat=True)) == [1, 2]

    def test_repeated_identical_upserts_add_nothing(self, t0, later):
        items = [p.order_list_item(), p.order_list_item()]
        orders_upsert_from_list(items=items, observed_at=t0)
        counts = (Order.objects.count(), Client.objects.count(), StatusChange.objects.count())
        for minute in (1, 2):
            result = orders_upsert_from_list(items=items, observed_at=later(minute))
            assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
            assert result.status_change_ids == [] and result.stub_client_ids == []
        assert (Order.objects.count(), Client.objects.count(), StatusChange.objects.count()) == counts
        assert all(o.last_synced_at == later(2) for o in Order.objects.all())

    def test_detail_and_recent_after_list_keep_admin_approval(self, t0, later):
        item = p.order_list_item(adminApproval="VERIFIED")
        orders_upsert_from_list(items=[item], observed_at=t0)
        order_upsert_from_detail(payload=p.order_detail(order_id=item["id"]), observed_at=later(1))
        orders_upsert_from_recent(items=[p.order_recent_item(order_id=item["id"])], observed_at=later(2))
        orders_upsert_from_client_orders(
            client_drgreen_id=item["client"]["id"],
            items=[p.client_orders_item(order_id=item["id"])],
            observed_at=later(3),
        )
        order = _order(item)
        assert order.admin_approval == "VERIFIED"
        assert order.status_fingerprint == "PENDING|VERIFIED|PENDING"
        assert not StatusChange.objects.exists()
        assert set(order.raw) == {"orders.list", "orders.detail", "orders.recent", "client.orders"}

    def test_null_status_is_unknown_not_a_change(self, t0, later):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=t0)
        orders_upsert_from_list(
            items=[dict(item, paymentStatus=None, adminApproval="")], observed_at=later(1)
        )
        assert _order(item).status_fingerprint == "PENDING|PENDING|PENDING"
        assert not StatusChange.objects.exists()

    def test_unknown_to_known_fills_in_silently(self, t0, later):
        recent = p.order_recent_item()
        orders_upsert_from_recent(items=[recent], observed_at=t0)
        listed = p.order_list_item(adminApproval="VERIFIED")
        listed["id"] = recent["id"]
        result = orders_upsert_from_list(items=[listed], observed_at=later(1))
        order = _order(recent)
        assert order.admin_approval == "VERIFIED" and order.status_sequence == 0
        assert result.status_change_ids == [] and result.updated == 1
        assert not StatusChange.objects.exists()

    def test_change_from_detail_only_touches_carried_fields(self, t0, later):
        item = p.order_list_item(adminApproval="VERIFIED", paymentStatus="PAID")
        orders_upsert_from_list(items=[item], observed_at=t0)
        shipped = p.order_detail(order_id=item["id"], orderStatus="SHIPPED", paymentStatus="PAID")
        result = order_upsert_from_detail(payload=shipped, observed_at=later(1))
        change = StatusChange.objects.get(pk__in=result.status_change_ids)
        assert change.fields_changed == [{"field": "order_status", "before": "PENDING", "after": "SHIPPED"}]
        assert change.fingerprint_after == "SHIPPED|VERIFIED|PAID"
        assert change.source == "orders.detail"

    def test_stale_payload_does_not_move_statuses_back(self, t0, later):
        item = p.order_list_item()
        orders_upsert_from_list(items=[item], observed_at=t0)
        orders_upsert_from_list(items=[dict(item, adminApproval="VERIFIED")], observed_at=later(10))
        # A slow worker's read from minute 5 arrives last.
        result = orders_upsert_from_list(
            items=[dict(item, adminApproval="PENDING", invoiceNumber="OLD")], observed_at=later(5)
        )
        order = _order(item)
        assert order.admin_approval == "VERIFIED" and order.status_sequence == 1
        assert order.invoice_number == item["invoiceNumber"]
        assert order.status_observed_at == later(10) and order.last_synced_at == later(10)
        assert result.status_change_ids == [] and StatusChange.objects.count() == 1

    def test_stale_payload_may_still_fill_a_blank(self, t0, later):
        recent = p.order_recent_item()
        orders_upsert_from_recent(items=[recent], observed_at=later(10))
        listed = p.order_list_item(adminApproval="VERIFIED")
        listed["id"] = recent["id"]
        orders_upsert_from_list(items=[listed], observed_at=later(5))
        order = _order(recent)
        assert order.admin_approval == "VERIFIED" and order.invoice_number == listed["invoiceNumber"]

    def test_detail_total_only_fills_a_blank(self, t0, later):
        item = p.order_list_item(totalAmount=9.09)
        orders_upsert_from_list(items=[item], observed_at=t0)
        order_upsert_from_detail(
            payload=p.order_detail(order_id=item["id"], totalAmount=12.0), observed_at=later(1)
        )
        assert _order(item).total_amount == Decimal("9.09")
        recent = p.order_recent_item()
        orders_upsert_from_recent(items=[recent], observed_at=t0)
        order_upsert_from_detail(
            payload=p.order_detail(order_id=recent["id"], totalAmount=12.0), observed_at=later(1)
        )
        assert _order(recent).total_amount == Decimal("12.00")


class TestSignal:
    def test_sent_once_per_change_after_commit(self, t0, later, django_capture_on_commit_callbacks):
        received = []

        def receiver(sender, status_change_id, order_id, source, **kwargs):
            received.append((status_change_id, order_id, source))

        order_status_changed.connect(receiver)
        try:
            item = p.order_list_item()
            orders_upsert_from_list(items=[item], observed_at=t0)
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                result = orders_upsert_from_list(
                    items=[dict(item, adminApproval="REJECTED")], observed_at=later(1)
                )
            assert received == []  # nothing before commit
            for callback in callbacks:
                callback()
            with django_capture_on_commit_callbacks(execute=True):
                orders_upsert_from_list(items=[dict(item, adminApproval="REJECTED")], observed_at=later(2))
        finally:
            order_status_changed.disconnect(receiver)
        assert received == [(result.status_change_ids[0], _order(item).pk, "orders.list")]

    def test_failing_receiver_does_not_break_the_sync(
        self, t0, later, django_capture_on_commit_callbacks, caplog
    ):
        def broken(**kwargs):
            raise RuntimeError("receiver bug")

        order_status_changed.connect(broken)
        try:
            item = p.order_list_item()
            orders_upsert_from_list(items=[item], observed_at=t0)
            with django_capture_on_commit_callbacks(execute=True):
                orders_upsert_from_list(items=[dict(item, paymentStatus="PAID")], observed_at=later(1))
        finally:
            order_status_changed.disconnect(broken)
        assert StatusChange.objects.count() == 1
        assert "receiver bug" in caplog.text


class TestAdoption:
    def test_unknown_client_becomes_a_stub_never_fetched(self, t0, later):
        item = p.order_list_item()
        result = orders_upsert_from_list(items=[item], observed_at=t0)
        client = Client.objects.get()
        assert client.is_stub and client.drgreen_id == uuid.UUID(item["client"]["id"])
        assert (client.first_name, client.last_name) == ("Ben", "Examplename")
        assert client.shipping_country_code == "ZAF"
        assert client.next_kyc_poll_at == t0  # due for the poller's fetch at once
        assert result.stub_client_ids == [client.drgreen_id]
        # A second order of the same client reuses the stub.
        other = p.order_list_item(client_id=item["client"]["id"])
        assert orders_upsert_from_list(items=[other], observed_at=later(1)).stub_client_ids == []
        assert Client.objects.count() == 1

    def test_existing_client_is_linked_and_only_blanks_filled(self, t0):
        client = Client.objects.create(drgreen_id=uuid.uuid4(), first_name="Real", email="real@example.com")
        item = p.order_list_item(client_id=str(client.drgreen_id))
        result = orders_upsert_from_list(items=[item], observed_at=t0)
        client.refresh_from_db()
        assert result.stub_client_ids == [] and not client.is_stub
        assert client.first_name == "Real" and client.last_name == "Examplename"
        assert _order(item).client == client

    def test_the_fill_of_a_held_client_is_the_pages_last_write(self, t0):
        # Two reconcile writers write pages naming the same clients: the client row lock
        # is taken last, so the other page waits for a commit, not for a whole page.
        client = Client.objects.create(drgreen_id=uuid.uuid4(), first_name="Real")
        item = p.order_list_item(client_id=str(client.drgreen_id))
        writes: list[str] = []

        def spy(execute, sql, params, many, context):
            if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "WITH")):
                writes.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(spy):
            orders_upsert_from_list(items=[item], observed_at=t0)
        client.refresh_from_db()
        assert client.last_name == "Examplename" and client.shipping_country_code == "ZAF"
        assert any('INTO "integration_order"' in w for w in writes)
        assert 'UPDATE "integration_client"' in writes[-1]

    def test_sale_mirrored_before_its_order_gets_linked(self, t0, later):
        item = p.order_list_item()
        sale = p.sale_item(client_id=item["client"]["id"], order_id=item["id"])
        sales_upsert_from_list(items=[sale], observed_at=t0)
        assert Sale.objects.get().order is None
        orders_upsert_from_list(items=[item], observed_at=later(1))
        assert Sale.objects.get().order == _order(item)


class TestLinesAndTombstones:
    def test_lines_replaced_only_when_they_differ(self, t0, later):
        payload = p.order_detail()
        order_upsert_from_detail(payload=payload, observed_at=t0)
        first = list(OrderLine.objects.values_list("pk", flat=True))
        payload["orderDetails"]["orderLines"][0]["strain"]["retailPrice"] = 99  # today's price
        order_upsert_from_detail(payload=payload, observed_at=later(1))
        assert list(OrderLine.objects.values_list("pk", flat=True)) == first
        assert OrderLine.objects.get().unit_retail_price == Decimal("9.09")
        payload["orderDetails"]["orderLines"].append(p.order_line())
        order_upsert_from_detail(payload=payload, observed_at=later(2))
        assert OrderLine.objects.count() == 2
        assert _order(payload).lines_synced_at == later(2)

    def test_tombstone_untouched_except_cleared_when_seen(self, t0, later):
        seen, gone = p.order_list_item(), p.order_list_item()
        orders_upsert_from_list(items=[seen, gone], observed_at=t0)
        Order.objects.update(remote_missing_since=later(1))
        orders_upsert_from_list(items=[seen], observed_at=later(2))
        assert _order(seen).remote_missing_since is None
        assert _order(gone).remote_missing_since == later(1)
        Order.objects.filter(drgreen_id=seen["id"]).update(remote_missing_since=later(3))
        order_upsert_from_detail(payload=p.order_detail(order_id=seen["id"]), observed_at=later(4))
        assert _order(seen).remote_missing_since is None
