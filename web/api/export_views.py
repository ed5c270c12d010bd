"""Results export: a race's results and a season's standings as CSV (a download for a
spreadsheet) or JSON, in board order (racing/exports.py makes the rows)."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from league.models import Race, Season
from racing import exports

from . import errors
from .permissions import found_or_404, race_or_404
from .serializers import RaceResultRowOutput, SeasonStandingOutput

FORMAT = OpenApiParameter(
    "format", OpenApiTypes.STR, enum=["csv", "json"],
    description="`json` answers the rows as JSON on the .csv path too.",
)  # fmt: skip


class ExportApi(APIView):
    """Answers CSV or JSON by the path (or `?format=json`); errors are JSON."""

    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []
    as_json = False

    def perform_content_negotiation(self, request, force=False):
        # The path names the format, not the Accept header; DRF would refuse
        # `?format=csv` (no renderer of that name) before the view runs.
        renderer = JSONRenderer()
        return renderer, renderer.media_type

    def export(self, request, rows: list[dict], columns: tuple[str, ...], filename: str, *, public: bool):
        if self.as_json or request.query_params.get("format", "").lower() == "json":
            response = JsonResponse(rows, safe=False)
        else:
            response = HttpResponse(exports.to_csv(rows, columns), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # A private race's results must not sit in a shared cache.
        response["Cache-Control"] = "no-cache" if public else "private, no-cache"
        return response


def _results_schema(*, csv: bool):
    rows = OpenApiResponse(RaceResultRowOutput(many=True), description="One row per racer in board order.")
    table = OpenApiResponse(
        OpenApiTypes.STR,
        description="CSV with the header " + ",".join(exports.RACE_COLUMNS) + "; one row per racer "
        "in board order (a download: Content-Disposition attachment).",
    )
    responses = {(200, "application/json"): rows, 404: errors.NO_SUCH_RACE}
    if csv:
        responses = {(200, "text/csv"): table, **responses}
    return extend_schema(
        operation_id=f"races_results_{'csv' if csv else 'json'}_retrieve",
        parameters=[FORMAT] if csv else [],
        responses=responses,
        tags=["races"],
        description="The race's results: rank, racer alias, ranking and its figure, total time, "
        "best and average lap, laps, off-track count, submissions, submitted at (ISO 8601), "
        "result id and model SHA-256. Racers removed from the race are not on it. A private "
        "race answers 404 to whoever has not joined it. Not paginated: an export is the whole "
        "table in one file (the paginated board is `GET /api/races/{race_id}/leaderboard/`).",
    )


class RaceResultsCsvApi(ExportApi):
    @_results_schema(csv=True)
    def get(self, request, race_id: int):
        return self._race_results(request, race_id)

    def _race_results(self, request, race_id: int):
        race = race_or_404(request, race_id)
        name = slugify(race.display_name) or f"race-{race.pk}"
        return self.export(
            request, exports.race_result_rows(race), exports.RACE_COLUMNS, f"{name}-results.csv",
            public=race.visibility != Race.Visibility.PRIVATE,
        )  # fmt: skip


class RaceResultsJsonApi(RaceResultsCsvApi):
    as_json = True

    @_results_schema(csv=False)
    def get(self, request, race_id: int):
        return self._race_results(request, race_id)


class SeasonStandingsCsvApi(ExportApi):
    @extend_schema(
        operation_id="seasons_standings_csv_retrieve",
        parameters=[FORMAT],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="CSV with the header " + ",".join(exports.SEASON_COLUMNS) + "; one row per "
                "racer in standings order (a download).",
            ),
            (200, "application/json"): OpenApiResponse(SeasonStandingOutput(many=True), description="The rows."),
            404: errors.detail("No such season."),
        },
        tags=["seasons"],
        description="A league season's standings: rank, racer alias, points, races, wins, best rank. "
        "Not paginated: an export is the whole table in one file (the paginated standings are "
        "`GET /api/seasons/{slug}/standings/`).",
    )
    def get(self, request, slug: str):
        season = found_or_404(Season.objects.all(), "No such season.", slug=slug)
        rows = exports.season_standing_export_rows(season)
        return self.export(request, rows, exports.SEASON_COLUMNS, f"{season.slug}-standings.csv", public=True)
