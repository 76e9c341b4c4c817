"""The project's URLs with the demo mounted, whatever DRGREEN_DEMO was at import time."""

from django.urls import include, path

from drgreen_store.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *[p for p in project_urlpatterns if str(p.pattern) != "demo/"],
    path("demo/", include("integration.demo.urls")),
]
