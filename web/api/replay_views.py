"""Replay API: the replay JSON (with track geometry), the MP4 video (byte ranges) and the
DeepRacer simtrace CSV of a result. They follow the race's replay setting: whoever may
not see a replay gets the 404 of a result that does not exist."""

from __future__ import annotations

import json

from django.http import HttpResponse, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from league import access
from racing import replays, videos
from racing.models import Result
from tracks.selectors import track_geometry
from web.rangeserve import stored_file_response

from .errors import detail
from .permissions import publicly_cacheable, result_or_404

DOWNLOAD = OpenApiParameter(
    "download", OpenApiTypes.BOOL, description="1: ask the browser to save the file (attachment)."
)

NO_REPLAY = detail("No such result (or one whose replay you may not see), or it has no replay.")


def _not_found(message: str, **extra) -> JsonResponse:
    return JsonResponse({"detail": message, **extra}, status=404)


def _cache(response, result: Result, max_age_s: int):
    scope = "public" if publicly_cacheable(result.race) else "private"
    response["Cache-Control"] = f"{scope}, max-age={max_age_s}"
    return response


def _from_replay(build, result: Result):
    """What `build` makes of the result's replay file, or a 404 saying it has none."""
    try:
        return build(result)
    except replays.ReplayMissing:
        raise NotFound("This result has no replay.") from None


def _wants_download(request) -> bool:
    return request.GET.get("download", "").lower() in ("1", "true", "yes")


class ResultReplayApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[DOWNLOAD],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=(
                    "The simulator's replay file: `columns` (the names of each trajectory row's "
                    "values), `trajectory` (one row per control step, 15 per second), `events` "
                    "(lap, off_track, wrong_way, reset, collision), `result` (every result key), `track` "
                    "(reference, length and the geometry: `center`, `left`, `right` borders in "
                    "metres, driving order) and `meta` (racer, race, video status). Object "
                    "avoidance and head-to-bot replays add `obstacles`: `format` (the race format's "
                    "settings and seed), `box_size_m` and `bot_size_m` ([length, width]), `boxes` "
                    "(index, lane, progress_pct, x_m, y_m, heading_rad) and `bots` (index, speed_m_s, "
                    "`path`: [x_m, y_m, heading_rad] at every trajectory row)."
                ),
            ),
            404: NO_REPLAY,
        },
        tags=["results"],
    )
    def get(self, request, result_id: int):
        result = result_or_404(request, result_id, replay=True)
        payload = _from_replay(replays.replay_payload, result)
        response = _cache(
            HttpResponse(json.dumps(payload, separators=(",", ":")), content_type="application/json"), result, 300
        )
        if _wants_download(request):
            response["Content-Disposition"] = f'attachment; filename="result-{result.pk}-replay.json"'
        return response


class ResultVideoApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        parameters=[
            DOWNLOAD,
            OpenApiParameter("Range", OpenApiTypes.STR, OpenApiParameter.HEADER,
                             description="`bytes=first-last` for part of the file (206)."),
        ],
        responses={
            (200, "video/mp4"): OpenApiResponse(OpenApiTypes.BINARY, description="The whole MP4 (H.264)."),
            (206, "video/mp4"): OpenApiResponse(OpenApiTypes.BINARY, description="The requested byte range."),
            302: OpenApiResponse(
                description="With media in object storage: `Location` is a link to the MP4 signed for a "
                "few minutes (the store answers its byte ranges), handed out only to whoever may see "
                "the replay."
            ),
            404: OpenApiResponse(
                description="No such result (or one whose replay you may not see), or the video is "
                "not ready: `detail` says why and `video_status` is pending, rendering or failed."
            ),
            416: OpenApiResponse(description="The byte range lies outside the file."),
        },
        tags=["results"],
        description="The run's video, 15 frames per second at real speed. Supports HTTP range "
        "requests so that players can seek.",
    )
    def get(self, request, result_id: int):
        result = result_or_404(request, result_id, replay=True)
        if result.video_status != Result.VideoStatus.READY or not result.video:
            return _not_found(videos.video_unavailable_message(result), video_status=result.video_status)
        try:
            response = stored_file_response(
                request, result.video, "video/mp4", filename=f"result-{result.pk}.mp4",
                attachment=_wants_download(request),
            )
        except (FileNotFoundError, OSError):
            return _not_found("The video file of this run is missing.", video_status=result.video_status)
        if "Location" in response:  # a signed link: its redirect is the viewer's, uncached
            return response
        return _cache(response, result, 3600)


class ResultSimtraceApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="results_simtrace_retrieve",
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="DeepRacer simtrace CSV, one episode per lap: episode, steps, X, Y, yaw, "
                "steer, throttle, action, reward, done, all_wheels_on_track, progress, "
                "closest_waypoint, track_len, tstamp, episode_status, pause_duration.",
            ),
            404: NO_REPLAY,
        },
        tags=["results"],
    )
    def get(self, request, result_id: int):
        result = result_or_404(request, result_id, replay=True)
        text = _from_replay(replays.result_simtrace, result)
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="result-{result.pk}-simtrace.csv"'
        _cache(response, result, 300)
        return response


class TrackGeometryApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="`center`, `left` and `right` borders ([x, y] in metres, driving order), "
                "`cum_s_m` (arc length at each waypoint), `length_m`, `bounds`, `clockwise`.",
            ),
            404: detail("No such track (or another facilitator's upload)."),
        },
        tags=["tracks"],
    )
    def get(self, request, slug: str):
        track = access.visible_tracks(request.user).filter(slug=slug).first()
        if track is None:
            return _not_found("No such track.")
        response = JsonResponse(track_geometry(track))
        response["Cache-Control"] = f"{'public' if track.is_public else 'private'}, max-age=3600"
        return response
