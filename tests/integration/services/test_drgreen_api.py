"""The call ledger: every Dr Green call leaves one ``ApiCall`` row, written as the call
ends or, inside ``ledger_deferred``, with the caller's outcome transaction. Real HTTP
against the sandbox."""

from __future__ import annotations

import pytest
from django.db import transaction

from integration.models import ApiCall
from integration.services.drgreen_api import correlation_scope, drgreen_client, ledger_deferred, ledger_flush

pytestmark = pytest.mark.django_db(transaction=True)


def _strain_calls() -> list[ApiCall]:
    return list(ApiCall.objects.filter(route="/dapp/strains").order_by("pk"))


def test_a_call_outside_a_deferred_block_is_written_as_it_ends(drgreen_holder):
    with correlation_scope("corr-plain"):
        drgreen_client().list_strains(take=5)

    [row] = _strain_calls()
    assert (row.method, row.status, row.correlation_id) == ("GET", 200, "corr-plain")


def test_deferred_rows_wait_for_the_block_and_are_written_once_at_its_end(drgreen_holder):
    with correlation_scope("corr-late"), ledger_deferred():
        drgreen_client().list_strains(take=5)
        drgreen_client().list_strains(take=5, page=2)
        assert _strain_calls() == []  # nothing written while the block runs

    rows = _strain_calls()
    assert [r.correlation_id for r in rows] == ["corr-late", "corr-late"]
    assert "page=2" in rows[1].path


def test_a_flush_in_a_committed_transaction_is_not_written_again(drgreen_holder):
    with ledger_deferred():
        drgreen_client().list_strains(take=5)
        with transaction.atomic():
            ledger_flush()
        assert len(_strain_calls()) == 1

    assert len(_strain_calls()) == 1


def test_a_flush_rolled_back_with_its_transaction_is_kept_for_the_block_end(drgreen_holder):
    with ledger_deferred():
        drgreen_client().list_strains(take=5)
        with pytest.raises(RuntimeError), transaction.atomic():
            ledger_flush()
            raise RuntimeError("the outcome write failed")
        assert _strain_calls() == []

    assert len(_strain_calls()) == 1


def test_a_flush_rolled_back_then_retried_and_committed_writes_each_row_once(drgreen_holder):
    with ledger_deferred():
        drgreen_client().list_strains(take=5)
        with pytest.raises(RuntimeError), transaction.atomic():
            ledger_flush()
            raise RuntimeError("deadlock, say")
        with transaction.atomic():
            ledger_flush()

    assert len(_strain_calls()) == 1
