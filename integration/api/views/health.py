"""``/healthz``: can this instance serve, and how fresh is what it serves?

503 when the database or the broker is unreachable (the instance cannot do its job: a load
balancer should take it out). A stale mirror or an open breaker is ``degraded`` with 200:
the mirror still serves, and says so per order. Nothing secret is shown: no URLs, hosts,
credentials or error texts, only booleans, ages and states.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from integration.observability.health import database_ok

logger = logging.getLogger("integration.api.health")

BROKER_TIMEOUT_S = 2.0


def broker_ok() -> bool:
    try:
        from drgreen_store.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0.2, interval_max=0.2, timeout=BROKER_TIMEOUT_S
            )
        return True
    except Exception:  # noqa: BLE001
        logger.warning("healthz: broker check failed", exc_info=True)
        return False


def sync_figures() -> dict:
    from integration.services.polling.freshness import sync_health

    health = sync_health(now=timezone.now())
    return {
        "stale": health["stale"],
        "lastSweepAgeSeconds": (
            None if health["staleness_seconds"] is None else round(health["staleness_seconds"], 1)
        ),
        "lastSuccess": health["last_success"],
        "breaker": health["breaker"]["state"],
        "breakerFailures": health["breaker"]["failures"],
    }


class HealthApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    class OutputSerializer(serializers.Serializer):
        class SyncSerializer(serializers.Serializer):
            stale = serializers.BooleanField(
                help_text="No successful order sweep recently, or breaker not closed."
            )
            lastSweepAgeSeconds = serializers.FloatField(allow_null=True)  # noqa: N815
            lastSuccess = serializers.DictField(  # noqa: N815
                child=serializers.DateTimeField(allow_null=True), help_text="Per sweep kind."
            )
            breaker = serializers.CharField(help_text="closed, open or half_open.")
            breakerFailures = serializers.IntegerField()  # noqa: N815

        status = serializers.ChoiceField(choices=("ok", "degraded", "down"))
        database = serializers.BooleanField()
        broker = serializers.BooleanField()
        sync = SyncSerializer(allow_null=True)

    @extend_schema(
        operation_id="healthz",
        tags=["health"],
        auth=[],
        responses={
            200: OpenApiResponse(OutputSerializer, description="Serving (status ok or degraded)."),
            503: OpenApiResponse(OutputSerializer, description="Database or broker unreachable."),
        },
    )
    def get(self, request):
        db = database_ok()
        broker = broker_ok()
        sync = None
        if db:
            try:
                sync = sync_figures()
            except Exception:  # noqa: BLE001 - sync bookkeeping must not take health down
                logger.warning("healthz: sync figures unavailable", exc_info=True)
        if not (db and broker):
            state = "down"
        elif sync is None or sync["stale"] or sync["breaker"] != "closed":
            state = "degraded"
        else:
            state = "ok"
        body = {"status": state, "database": db, "broker": broker, "sync": sync}
        code = status.HTTP_503_SERVICE_UNAVAILABLE if state == "down" else status.HTTP_200_OK
        return Response(self.OutputSerializer(body).data, status=code)


class HealthzApi(HealthApi):
    """The same answer at the conventional ``/healthz`` path (outside the versioned API, so
    not in the schema: it is documented as ``/api/v1/health``)."""

    @extend_schema(exclude=True)
    def get(self, request):
        return super().get(request)
