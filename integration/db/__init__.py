"""The hand-written SQL of ``integration/``, in one place.

Only statements a benchmark figure justifies live here; everything else uses the ORM.
``bulk.py``: the reconcile's page writes (``bench.reconcile``). ``commits.py``: commits
that need not wait for the WAL flush (``bench.reconcile``). ``reads.py``: the storefront's
per-request lookups (``bench.api``). ``statements.py``: the checkout's batched statements
and the webhook outbox's insert (``bench.checkout``; the checkout's part goes with its SQL
twin, issue 15 part B).
"""
