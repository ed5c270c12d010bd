"""URLs of replays, videos, simtrace exports and track pictures (pages and API), included
at the site root by league/urls.py.

Names: `result-replay` (page), `track-map` (PNG), `api-result-replay`, `api-result-video`,
`api-result-simtrace`, `api-track-geometry`.
"""

from django.urls import path

from . import replay_views
from .api import replays as api

urlpatterns = [
    path("results/<int:result_id>/replay/", replay_views.replay_page, name="result-replay"),
    path("tracks/<slug:slug>/map.png", replay_views.track_map, name="track-map"),
    path("api/results/<int:result_id>/replay/", api.ResultReplayApi.as_view(), name="api-result-replay"),
    path("api/results/<int:result_id>/video/", api.ResultVideoApi.as_view(), name="api-result-video"),
    path("api/results/<int:result_id>/simtrace.csv", api.ResultSimtraceApi.as_view(), name="api-result-simtrace"),
    path("api/tracks/<slug:slug>/geometry/", api.TrackGeometryApi.as_view(), name="api-track-geometry"),
]
