"""Root URLs: the admin, the API (+ schema and docs) and, when present, the pages."""

from importlib.util import find_spec

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from league.api.docs import api_docs

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/", include("league.api.urls")),
    path("", include("racing.replay_urls")),  # replays, videos, simtrace, track maps
]

if settings.HAVE_SPECTACULAR_SIDECAR:
    from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

    urlpatterns += [
        path("api/docs/swagger/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-swagger"),
        path("api/docs/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    ]

# The HTML pages (league/web/, written separately) are served at the root when present.
if find_spec("league.web") is not None and find_spec("league.web.urls") is not None:
    urlpatterns.append(path("", include("league.web.urls")))

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
