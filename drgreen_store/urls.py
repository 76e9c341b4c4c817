from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]

# --- Storefront REST API, its OpenAPI schema and docs, health ------------------------------
from django.urls import include  # noqa: E402
from django.views import defaults as _defaults  # noqa: E402
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView  # noqa: E402

from integration.api.exceptions import json_not_found, json_server_error  # noqa: E402
from integration.api.views.health import HealthzApi  # noqa: E402

urlpatterns += [
    path("api/v1/", include("integration.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # The same report as /api/v1/health at the conventional path (not in the schema). The
    # dependency-free liveness probe is /livez (integration.observability.health).
    path("healthz", HealthzApi.as_view(), name="healthz"),
]


def handler404(request, exception=None):
    # API clients get the API's error shape, never an HTML page.
    if request.path.startswith("/api/"):
        return json_not_found(request, exception)
    return _defaults.page_not_found(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return json_server_error(request)
    return _defaults.server_error(request)


# --- Operations: Prometheus metrics (protected) -----------------------------------------
from integration.observability.views import metrics_view  # noqa: E402

urlpatterns += [path("metrics", metrics_view, name="metrics")]

# --- Demo storefront and "play Dr Green" page: only with DRGREEN_DEMO=true ---------------
from django.views.generic import RedirectView  # noqa: E402

from integration.conf import drgreen_settings  # noqa: E402

if drgreen_settings.operations.demo:
    urlpatterns += [
        path("demo/", include("integration.demo.urls")),
        path("", RedirectView.as_view(url="/demo/", permanent=False)),
    ]
