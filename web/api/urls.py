"""Every path of the API, with its OpenAPI schema and the local Swagger UI and Redoc."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import league_views, racing_views, replay_views, tracks_views

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("docs/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    path("auth/signup/", league_views.SignupApi.as_view(), name="api-signup"),
    path("auth/token/", league_views.TokenApi.as_view(), name="api-token"),
    path("auth/token/rotate/", league_views.TokenRotateApi.as_view(), name="api-token-rotate"),
    path("auth/me/", league_views.MeApi.as_view(), name="api-me"),
    path("models/", racing_views.ModelListApi.as_view(), name="api-models"),
    path("models/<int:model_id>/", racing_views.ModelDetailApi.as_view(), name="api-model"),
    path("submissions/", racing_views.SubmissionListApi.as_view(), name="api-submissions"),
    path(
        "submissions/<int:submission_id>/",
        racing_views.SubmissionDetailApi.as_view(),
        name="api-submission",
    ),
    path("results/<int:result_id>/", racing_views.ResultDetailApi.as_view(), name="api-result"),
    path("results/<int:result_id>/replay/", replay_views.ResultReplayApi.as_view(), name="api-result-replay"),
    path("results/<int:result_id>/video/", replay_views.ResultVideoApi.as_view(), name="api-result-video"),
    path(
        "results/<int:result_id>/simtrace.csv",
        replay_views.ResultSimtraceApi.as_view(),
        name="api-result-simtrace",
    ),
    path("seasons/", league_views.SeasonListApi.as_view(), name="api-seasons"),
    path("seasons/<slug:slug>/", league_views.SeasonDetailApi.as_view(), name="api-season"),
    path(
        "seasons/<slug:slug>/standings/",
        league_views.SeasonStandingsApi.as_view(),
        name="api-season-standings",
    ),
    path("seasons/<slug:slug>/open/", league_views.SeasonOpenApi.as_view(), name="api-season-open"),
    path("races/<int:race_id>/", league_views.RaceDetailApi.as_view(), name="api-race"),
    path(
        "races/<int:race_id>/leaderboard/",
        league_views.LeaderboardApi.as_view(),
        name="api-race-leaderboard",
    ),
    path("tracks/", tracks_views.TrackListApi.as_view(), name="api-tracks"),
    path("tracks/<slug:slug>/", tracks_views.TrackDetailApi.as_view(), name="api-track"),
    path("tracks/<slug:slug>/geometry/", replay_views.TrackGeometryApi.as_view(), name="api-track-geometry"),
]
