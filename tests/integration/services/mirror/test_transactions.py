"""Page transactions: relaxed commits for the reconcile, never for a page that announces."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from integration.services.mirror.transactions import relaxed_commits, run_page, write_last

# run_page must own its transaction, so these tests do not run inside one.
pytestmark = pytest.mark.django_db(transaction=True)

RELAX = "SET LOCAL synchronous_commit = off"


def _statements(fn) -> list[str]:
    seen: list[str] = []

    def spy(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        fn()
    return seen


def _page(*, announce: bool = False):
    def page():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        if announce:
            transaction.on_commit(lambda: None)
        return "done"

    return page


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_a_page_commits_as_usual_outside_relaxed_commits():
    assert RELAX not in _statements(lambda: run_page(_page()))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_a_relaxed_page_skips_the_flush_wait_for_its_own_transaction_only():
    results = []
    with relaxed_commits():
        seen = _statements(lambda: results.append(run_page(_page())))
    assert results == ["done"]
    assert seen[-1] == RELAX  # after the page's own statements: read at COMMIT
    assert _synchronous_commit() == "on"  # SET LOCAL ended with the transaction


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_a_page_that_announces_something_still_waits_for_the_flush():
    with relaxed_commits():
        assert RELAX not in _statements(lambda: run_page(_page(announce=True)))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_a_page_inside_a_callers_transaction_leaves_its_setting_alone():
    with relaxed_commits(), transaction.atomic():
        seen = _statements(lambda: run_page(_page()))
    assert RELAX not in seen


def test_relaxed_commits_ends_with_its_block():
    with relaxed_commits():
        pass
    assert RELAX not in _statements(lambda: run_page(_page()))


def test_sqlite_is_never_sent_the_postgresql_setting():
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite side of the rule")
    with relaxed_commits():
        assert RELAX not in _statements(lambda: run_page(_page()))


def test_write_last_runs_at_the_end_of_the_page_in_its_transaction_in_order():
    order: list[str] = []

    def page():
        write_last(lambda: order.append(f"first, in transaction: {connection.in_atomic_block}"))
        write_last(lambda: order.append("second"))
        order.append("page")
        return "done"

    assert run_page(page) == "done"
    assert order == ["page", "first, in transaction: True", "second"]


def test_write_last_outside_a_page_runs_at_once():
    done: list[int] = []
    write_last(lambda: done.append(1))
    assert done == [1]


def test_a_failed_page_drops_its_last_writes_and_leaves_none_behind():
    done: list[str] = []

    def page():
        write_last(lambda: done.append("never"))
        raise ValueError("page failed")

    with pytest.raises(ValueError, match="page failed"):
        run_page(page)
    write_last(lambda: done.append("after"))  # no page open any more: runs at once
    assert done == ["after"]
