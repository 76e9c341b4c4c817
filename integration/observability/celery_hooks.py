"""Carry the correlation id from whoever enqueued a task into the task itself.

The publisher (a web request, another task) puts its id in a message header; the worker
opens a :func:`correlation_scope` with it for the task's duration, so the task's log lines
and Dr Green calls carry the id of the request that caused them. A task nobody tagged
(beat's periodic ones) gets its own task id.

Connected once from ``IntegrationConfig.ready()``, so web, worker and beat all have it.
"""

from __future__ import annotations

import contextlib

from celery.signals import before_task_publish, task_postrun, task_prerun

from integration.services.drgreen_api import correlation_scope, current_correlation_id

# Not "correlation_id": Celery already uses that name (the AMQP property) for the task id.
HEADER = "drgreen_correlation_id"
# task id → the open scope; a worker process runs a task's prerun and postrun in the same
# thread (and context), so resetting there restores exactly what was before.
_open_scopes: dict[str, contextlib.AbstractContextManager] = {}


@before_task_publish.connect(dispatch_uid="drgreen-correlation-publish")
def attach_correlation_id(headers=None, **_kwargs) -> None:
    correlation_id = current_correlation_id()
    if correlation_id and headers is not None and not headers.get(HEADER):
        headers[HEADER] = correlation_id


@task_prerun.connect(dispatch_uid="drgreen-correlation-prerun")
def enter_correlation_scope(task_id=None, task=None, **_kwargs) -> None:
    request = getattr(task, "request", None)
    correlation_id = (
        getattr(request, HEADER, None)
        or (getattr(request, "headers", None) or {}).get(HEADER)
        or current_correlation_id()
        or task_id
    )
    scope = correlation_scope(correlation_id)
    scope.__enter__()
    if task_id:
        _open_scopes[task_id] = scope


@task_postrun.connect(dispatch_uid="drgreen-correlation-postrun")
def exit_correlation_scope(task_id=None, **_kwargs) -> None:
    scope = _open_scopes.pop(task_id, None) if task_id else None
    if scope is not None:
        scope.__exit__(None, None, None)
