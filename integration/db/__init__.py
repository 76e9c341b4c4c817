"""The hand-written SQL of ``integration/``, each statement with a line naming the benchmark
figure that justifies it: ``bulk``/``commits``/``outbox``, the reconcile's page writes
(``bench.reconcile``); ``reads``, the storefront's per-request lookups (``bench.api``)."""
