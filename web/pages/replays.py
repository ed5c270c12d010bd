"""Pages of the replay work: the interactive replay of a result and the track pictures."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from league import access
from racing import replays, selectors, videos
from tracks.pictures import track_map_file
from web.rangeserve import signed_redirect, signed_url, stored_file_response

from racing.models import Result


def _url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


@require_safe
def replay_page(request, result_id: int):
    try:
        result = selectors.result_get(result_id)
    except Result.DoesNotExist:
        raise Http404("No such result.") from None
    race = result.race
    if not access.replay_visible_to(race, result.racer_id, request.user):
        # A replay the viewer may not watch looks exactly like one that does not exist.
        raise Http404("No such result.")
    candidates = replays.compare_candidates(result)
    if not access.replay_visible_to(race, 0, request.user):  # only their own runs, then
        own = getattr(getattr(request.user, "racer", None), "alias", None)
        candidates = [c for c in candidates if c["racer"] == own]
    config = {
        "resultId": result.pk,
        "racer": result.racer.alias,
        "replayUrl": reverse("api-result-replay", args=[result.pk]),
        "resultUrl": _url("api-result", result.pk),
        "videoUrl": reverse("api-result-video", args=[result.pk]),
        "videoStatus": result.video_status,
        "replayPageUrl": reverse("result-replay", args=[0]).replace("/0/", "/{id}/"),
        "replayApiUrl": reverse("api-result-replay", args=[0]).replace("/0/", "/{id}/"),
        "compare": candidates,
        "hasReplay": bool(result.replay),
    }
    context = {
        "result": result,
        "race": race,
        "track": race.track,
        "season": race.season,
        "config": config,
        "race_url": _url("race", race.pk),
        "track_url": _url("track", race.track.slug),
        "racer_url": _url("racer", result.racer.alias),
        "submission_url": _url("submission", result.submission_id),
        "simtrace_url": reverse("api-result-simtrace", args=[result.pk]),
        "replay_json_url": reverse("api-result-replay", args=[result.pk]) + "?download=1",
        "video_url": reverse("api-result-video", args=[result.pk]),
        "video_ready": result.video_status == Result.VideoStatus.READY and bool(result.video),
        "video_message": videos.video_unavailable_message(result),
        "lap_rows": _lap_rows(result),
    }
    return render(request, "racing/replay.html", context)


def _lap_rows(result: Result) -> list[dict]:
    laps = [float(v) for v in result.lap_times_s or []]
    best = min(laps) if laps else None
    return [{"n": i + 1, "time_s": t, "delta_s": (t - best) if best is not None else None, "best": t == best}
            for i, t in enumerate(laps)]


@require_safe
def track_map(request, slug: str):
    """The track's picture (PNG), `?w=480|960|1600` pixels wide, to whoever may see the
    track (another facilitator's private upload answers 404)."""
    track = access.visible_tracks(request.user).filter(slug=slug).first()
    if track is None:
        raise Http404("No such track.")
    name = track_map_file(track, request.GET.get("w"))
    url = signed_url(default_storage, name, "image/png")
    if url:
        return signed_redirect(url)
    response = FileResponse(default_storage.open(name, "rb"), content_type="image/png")
    # The name changes with the track file and the drawing style: cache for long.
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def track_file(request, slug: str):
    """The track's DeepRacer `.npy` file, to race on it locally; a private upload answers
    404 to whoever may not see it (media is never served straight from storage)."""
    track = access.visible_tracks(request.user).filter(slug=slug).first()
    if track is None or not track.file:
        raise Http404("No such track.")
    response = stored_file_response(request, track.file, "application/octet-stream",
                                    filename=f"{track.slug}.npy", attachment=True)
    if "Location" not in response:  # a signed link's redirect stays uncached
        response["Cache-Control"] = "private, max-age=3600" if not track.is_public else "public, max-age=3600"
    return response
