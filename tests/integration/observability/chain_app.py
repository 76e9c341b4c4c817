"""A tiny web → task → Dr Green chain for the correlation test.

Its own Celery app on an in-memory broker, so a real worker (a thread) consumes exactly the
messages this test publishes, whatever broker the rest of the suite uses. The task and the
view are deliberately trivial: what is under test is the middleware and the Celery hooks,
which are global and do not care which app or task they see.
"""

from __future__ import annotations

from celery import Celery
from django.http import JsonResponse
from django.urls import path

from integration.services.drgreen_api import current_correlation_id, drgreen_client

# Not the current app: shared tasks everywhere else must keep resolving to the project's.
chain_app = Celery("observability-chain", broker="memory://", backend="cache+memory://", set_as_current=False)
chain_app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    task_ignore_result=False,
    # Like the project's app: keep Django's LOGGING (the handler under test) in place.
    worker_hijack_root_logger=False,
    # kombu's memory transport is one per process: a queue of our own keeps this worker
    # from running messages other suites left on the default queue.
    task_default_queue="observability-chain",
)


@chain_app.task(name="observability_chain.list_strains")
def list_strains_task() -> dict:
    page = drgreen_client().list_strains(country_code="GBR", take=5)
    return {"seen_correlation_id": current_correlation_id(), "strains": len(page.items)}


def enqueue_view(request):
    result = list_strains_task.delay()
    return JsonResponse({"task_id": result.id})


urlpatterns = [path("chain/enqueue", enqueue_view)]
