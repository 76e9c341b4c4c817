"""The hand-written SQL of ``integration/``, in one place; everything else uses the ORM.

Each statement carries one comment line naming the benchmark figure that justifies it.
``bulk.py`` and ``commits.py``: the reconcile's page writes and commits
(``bench.reconcile``); ``outbox.py``: the webhook events of a page's facts
(``bench.reconcile``); ``reads.py``: the storefront's per-request lookups (``bench.api``).
"""
