"""Celery tasks, one module per feature: thin wrappers that take ids and call services.

Celery's autodiscovery imports ``integration.tasks`` (this package) in the worker and beat;
importing every module here registers every task there, with no other registration. Task
names are explicit (``integration.<name>``) so moving a function never renames its task; a
task's function bears that name, the name of the service it runs (``tasks.polling.
orders_sweep`` runs ``services.polling.sweeps.orders_sweep`` as ``integration.orders_sweep``).
"""

from integration.tasks import (  # noqa: F401 - importing registers the tasks
    checkout,
    console,
    housekeeping,
    notify,
    onboarding,
    polling,
    webhooks,
)
