"""Every path of the API, with its OpenAPI schema and the local Swagger UI and Redoc."""

from csp.constants import SELF
from csp.decorators import csp_update
from django.urls import path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from . import (
    export_views,
    ladder_views,
    league_views,
    night_views,
    race_views,
    racing_views,
    replay_views,
    tracks_views,
)

# The documentation pages' scripts are files of our own (the Swagger UI's set-up script
# comes from its own URL: the split view), but Swagger UI and Redoc style their pages with
# <style> elements they write, and Redoc searches in a worker made from a blob. Those two
# pages only allow that.
docs_policy = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": [SELF, "blob:"]})

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")),
        name="api-docs",
    ),
    path(
        "docs/redoc/",
        docs_policy(SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")),
        name="api-redoc",
    ),
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
    path(
        "submissions/<int:submission_id>/replay/",
        racing_views.SubmissionReplayApi.as_view(),
        name="api-submission-replay",
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
    path(
        "seasons/<slug:slug>/standings.csv",
        export_views.SeasonStandingsCsvApi.as_view(),
        name="api-season-standings-csv",
    ),
    path("races/", race_views.RaceListApi.as_view(), name="api-races"),
    path("races/join/", race_views.RaceJoinApi.as_view(), name="api-race-join"),
    path("races/<int:race_id>/", race_views.RaceDetailApi.as_view(), name="api-race"),
    path("races/<int:race_id>/leaderboard/", race_views.LeaderboardApi.as_view(), name="api-race-leaderboard"),
    path("races/<int:race_id>/close/", race_views.RaceCloseApi.as_view(), name="api-race-close"),
    path("races/<int:race_id>/invite/reset/", race_views.RaceInviteResetApi.as_view(), name="api-race-invite-reset"),
    path("races/<int:race_id>/racers/", race_views.RaceRacersApi.as_view(), name="api-race-racers"),
    path(
        "races/<int:race_id>/racers/<str:alias>/remove/",
        race_views.RaceRacerRemoveApi.as_view(),
        name="api-race-racer-remove",
    ),
    path("races/<int:race_id>/matches/", ladder_views.RaceMatchesApi.as_view(), name="api-race-matches"),
    path("races/<int:race_id>/bracket/", ladder_views.RaceBracketApi.as_view(), name="api-race-bracket"),
    path("matches/<int:match_id>/", ladder_views.MatchDetailApi.as_view(), name="api-match"),
    path("matches/<int:match_id>/replay/<int:duel>/", ladder_views.MatchReplayApi.as_view(), name="api-match-replay"),
    path("matches/<int:match_id>/video/<int:duel>/", ladder_views.MatchVideoApi.as_view(), name="api-match-video"),
    path("matches/<int:match_id>/rerun/", ladder_views.MatchRerunApi.as_view(), name="api-match-rerun"),
    path("races/<int:race_id>/live/", night_views.LiveSettingsApi.as_view(), name="api-race-live"),
    path("races/<int:race_id>/live/start/", night_views.LiveStartApi.as_view(), name="api-race-live-start"),
    path("races/<int:race_id>/live/pause/", night_views.LivePauseApi.as_view(), name="api-race-live-pause"),
    path("races/<int:race_id>/live/skip/", night_views.LiveSkipApi.as_view(), name="api-race-live-skip"),
    path("races/<int:race_id>/live/end/", night_views.LiveEndApi.as_view(), name="api-race-live-end"),
    path("races/<int:race_id>/live/reopen/", night_views.LiveReopenApi.as_view(), name="api-race-live-reopen"),
    path("races/<int:race_id>/live/speed/", night_views.LiveSpeedApi.as_view(), name="api-race-live-speed"),
    path("races/<int:race_id>/queue/", night_views.QueueApi.as_view(), name="api-race-queue"),
    path("races/<int:race_id>/queue/<int:entry_id>/", night_views.QueueEntryApi.as_view(), name="api-race-queue-entry"),
    path("races/<int:race_id>/queue/<int:entry_id>/rerun/", night_views.QueueRerunApi.as_view(),
         name="api-race-queue-rerun"),
    path("races/<int:race_id>/results.csv", export_views.RaceResultsCsvApi.as_view(), name="api-race-results-csv"),
    path("races/<int:race_id>/results.json", export_views.RaceResultsJsonApi.as_view(), name="api-race-results-json"),
    path("tracks/", tracks_views.TrackListApi.as_view(), name="api-tracks"),
    path("tracks/<slug:slug>/", tracks_views.TrackDetailApi.as_view(), name="api-track"),
    path("tracks/<slug:slug>/geometry/", replay_views.TrackGeometryApi.as_view(), name="api-track-geometry"),
]
