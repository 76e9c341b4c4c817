"""Commits that do not wait for the WAL flush (PostgreSQL only; elsewhere a no-op). A crash
of the database can lose only the last such commits, never corrupt them."""

from __future__ import annotations

from django.db import connection


def commit_unflushed(*, transaction_only: bool) -> None:
    """``synchronous_commit = off`` for this transaction (``transaction_only``) or session."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # bench.reconcile ratio: a page's commit and its ledger rows no longer wait for the WAL flush.
        cursor.execute(
            "SET LOCAL synchronous_commit = off" if transaction_only else "SET synchronous_commit = off"
        )
