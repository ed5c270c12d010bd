"""Root URLs: the admin, the API with its schema and docs, the operator's probes and
metrics, and the pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("web.api.urls")),
    path("", include("web.ops.urls")),  # /healthz, /readyz, /metrics
    path("", include("web.pages.urls")),
]
# MEDIA_ROOT is never served as such, not even with DEBUG: uploaded models stay private,
# and replays, videos, track files and pictures go through views that apply visibility.
