"""A failed run on the page: the track map with the path driven and the point of failure
(server-drawn SVG), and the interactive replay up to the failure (owner only, like the
submission: anyone else gets the 404 of a submission that does not exist)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from league.services import racer_for_user
from racing import selectors
from racing.failures import failure_explained, partial_replay_read
from racing.models import Submission
from racing.replays import ReplayMissing
from simulator import layout as L
from tracks.selectors import track_geometry

MAP_MARGIN_M = 0.4
MAX_PATH_POINTS = 600  # the path driven, thinned: enough for a smooth line at any size


def _points(xy: list, flip: float) -> str:
    """SVG points of (x, y) metres, y flipped (SVG's y grows downwards)."""
    return " ".join(f"{x:.3f},{flip - y:.3f}" for x, y in xy)


def failure_map(submission: Submission, failure: dict) -> dict | None:
    """What the page draws: the track's borders, the path driven up to the failure (from
    the partial replay) and the car where it failed, in one SVG coordinate frame."""
    if not failure or failure.get("x_m") is None:
        return None
    race = submission.race
    geometry = track_geometry(race.track, reverse=race.reversed)
    min_x, min_y, max_x, max_y = geometry["bounds"]
    flip = min_y + max_y  # y -> flip - y keeps the picture inside the same box
    path = []
    try:
        rows = partial_replay_read(submission)["trajectory"]
        step = max(1, len(rows) // MAX_PATH_POINTS)
        path = [(row[L.TRAJ_X_M], row[L.TRAJ_Y_M]) for row in rows[::step]]
    except (ReplayMissing, IndexError, TypeError, KeyError):
        pass  # the map still shows where it failed
    x, y = float(failure["x_m"]), float(failure["y_m"])
    path.append((x, y))
    m = MAP_MARGIN_M
    return {
        "view_box": f"{min_x - m:.3f} {min_y - m:.3f} {max_x - min_x + 2 * m:.3f} {max_y - min_y + 2 * m:.3f}",
        # The asphalt: the ring between the two borders (fill-rule evenodd).
        "surface": f"M{_points(geometry['left'], flip)}Z M{_points(geometry['right'], flip)}Z",
        "left": _points(geometry["left"], flip),
        "right": _points(geometry["right"], flip),
        "center": _points(geometry["center"], flip),
        "path": _points(path, flip),
        "x": f"{x:.3f}",
        "y": f"{flip - y:.3f}",
        # Marker sizes in track metres: the same share of the picture on any track.
        "r_point": f"{0.016 * max(max_x - min_x, max_y - min_y):.3f}",
        "r_ring": f"{0.04 * max(max_x - min_x, max_y - min_y):.3f}",
    }


def owned_failed_submission(request, submission_id: int) -> Submission:
    racer = racer_for_user(request.user)
    try:
        return selectors.submission_get_for(racer, submission_id)
    except Submission.DoesNotExist:
        raise Http404("No such submission.") from None


@login_required
@require_safe
def partial_replay_page(request, submission_id: int):
    """The interactive replay viewer on the run up to its failure."""
    submission = owned_failed_submission(request, submission_id)
    failure = failure_explained(submission)
    if failure is None or not failure["has_partial_replay"]:
        raise Http404("This submission has no replay up to a failure.")
    race = submission.race
    api_url = reverse("api-submission-replay", args=[submission.pk])
    config = {
        "submissionId": submission.pk,
        "racer": submission.racer.alias,
        "replayUrl": api_url,
        "resultUrl": None,  # no video of a failed run: nothing to wait for
        "videoStatus": "none",
        "compare": [],
        "hasReplay": True,
        "failure": failure,
    }
    return render(request, "racing/partial_replay.html", {
        "submission": submission,
        "race": race,
        "track": race.track,
        "failure": failure,
        "config": config,
        "replay_json_url": api_url + "?download=1",
    })  # fmt: skip
