"""Replays of official runs: the replay JSON with track geometry, the DeepRacer simtrace
CSV, the MP4 video (rendered by a queue task after the result lands) and the HTTP
responses that serve them, with byte ranges so that browsers can seek in a video.

Views (racing/api/replays.py, racing/replay_views.py) call these; they hold no rules.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import http_date
from django_tasks import task

from simulator.simtrace import simtrace_csv
from tracks.pictures import sim_track

from .models import Result
from .sandbox import child_env

logger = logging.getLogger(__name__)

VIDEO_TASK_PRIORITY = -10  # races first: a queued race never waits behind a video
VIDEO_TIMEOUT_FLOOR_S = 120.0


class ReplayMissing(LookupError):
    """The result has no readable replay file."""


def _video_settings() -> dict:
    racing = getattr(settings, "RACING", {}) or {}
    return {
        # Render videos automatically when a result lands (tests of other parts may
        # switch it off with RACING["VIDEOS"] = False).
        "auto": bool(racing.get("VIDEOS", True)),
        "python": racing.get("PYTHON") or sys.executable,
        # Wall-clock cap of one render, per second of race (plus the floor).
        "timeout_per_race_s": float(racing.get("VIDEO_TIMEOUT_PER_RACE_S", 2.0)),
    }


# --- Tracks -------------------------------------------------------------------------------


def _points(arr: np.ndarray) -> list[list[float]]:
    return np.round(np.asarray(arr, dtype=np.float64), 4).tolist()


def track_geometry(track) -> dict:
    """What a page needs to draw the track to scale: borders in driving order (metres)."""
    sim = sim_track(track)
    return {
        "slug": track.slug,
        "name": track.name,
        "length_m": round(sim.length_m, 4),
        "clockwise": bool(sim.clockwise),
        "bounds": [round(v, 4) for v in sim.bounds],
        "center": _points(sim.center),
        "left": _points(sim.left),
        "right": _points(sim.right),
        # Arc length of every waypoint, to place markers by lap distance.
        "cum_s_m": np.round(sim.cum_s_m[:-1], 4).tolist(),
    }


# --- Replay data --------------------------------------------------------------------------


def replay_read(result: Result) -> dict:
    """The stored replay file (the simulator's replay JSON) of a result."""
    if not result.replay:
        raise ReplayMissing(f"result {result.pk} has no replay file")
    try:
        with result.replay.open("rb") as fh:
            data = json.loads(fh.read())
    except (OSError, ValueError) as exc:
        raise ReplayMissing(f"the replay of result {result.pk} cannot be read: {exc}") from None
    if not isinstance(data, dict) or "trajectory" not in data:
        raise ReplayMissing(f"the replay of result {result.pk} is not a replay file")
    return data


def result_meta(result: Result) -> dict:
    race = result.race
    return {
        "result_id": result.pk,
        "racer": result.racer.alias,
        "race": {
            "id": race.pk,
            "name": race.display_name,
            "laps": race.laps,
            "timing_method": race.timing_method,
            "off_track_penalty_s": race.off_track_penalty_s,
            "time_cap_s": race.time_cap_s,
        },
        "status": result.status,
        "official_time_s": result.official_time_s,
        "video_status": result.video_status,
    }


def replay_payload(result: Result) -> dict:
    """The replay JSON as served: the stored replay (columns, trajectory, events, result)
    with the track's geometry merged into its `track` block and who/where in `meta`."""
    data = replay_read(result)
    track = dict(data.get("track") or {})
    track.update(track_geometry(result.race.track))
    data["track"] = track
    data["meta"] = result_meta(result)
    return data


def replay_summary(data: dict) -> dict:
    """Lap count, positions and times of a replay, for checks against the result."""
    traj = data.get("trajectory") or []
    columns = data.get("columns") or []
    lap = columns.index("lap") if "lap" in columns else 7
    return {
        "steps": len(traj),
        "laps": int(traj[-1][lap]) if traj else 0,
        "last_time_s": traj[-1][columns.index("time_s")] if traj else None,
    }


def compare_candidates(result: Result, limit: int = 25) -> list[dict]:
    """Other runs of the same race a replay can be compared with: the race's board (best
    run per racer, rank order), the default ghost first (the leader, or second place
    when this run leads). Each has `result_id`, `racer`, `rank`, `time_s`, `finished`."""
    from league.models import RaceStanding

    rows = (
        RaceStanding.objects.filter(race_id=result.race_id)
        .select_related("racer")
        .order_by("rank")[:limit]
    )
    out = [
        {
            "result_id": row.result_id,
            "racer": row.racer.alias,
            "rank": row.rank,
            "time_s": row.time_s,
            "finished": row.finished,
            "laps": row.laps,
        }
        for row in rows
        if row.result_id != result.pk
    ]
    return out


def result_simtrace(result: Result) -> str:
    return simtrace_csv(replay_read(result), sim_track(result.race.track))


# --- Videos -------------------------------------------------------------------------------


VIDEO_MESSAGES = {
    Result.VideoStatus.PENDING: "The video of this run is queued for rendering; try again in a minute.",
    Result.VideoStatus.RENDERING: "The video of this run is being rendered; try again in a minute.",
    Result.VideoStatus.FAILED: "The video of this run could not be rendered; the replay and the "
    "simtrace are still available.",
}


def video_unavailable_message(result: Result) -> str:
    if result.video_status == Result.VideoStatus.READY and not result.video:
        return "The video file of this run is missing."
    return VIDEO_MESSAGES.get(result.video_status, "The video of this run is not available.")


def video_enqueue(result_id: int):
    """Queue the video of a result (low priority: races go first)."""
    return render_result_video.enqueue(result_id)


def video_enqueue_on_commit(result: Result) -> None:
    """Called where a result is recorded: queue its video once the result is committed."""
    if not _video_settings()["auto"]:
        return

    def enqueue() -> None:
        try:
            video_enqueue(result.pk)
        except Exception:  # a missing video never fails a result
            logger.exception("result %s: could not queue the video", result.pk)

    transaction.on_commit(enqueue)


def _video_labels(result: Result) -> tuple[str, str]:
    race = result.race
    title = race.display_name
    return result.racer.alias, title


def result_video_render(result_id: int) -> str:
    """Render and store the video of a result (the body of the queue task). Returns the
    final video status. A ready video is not rendered again."""
    with transaction.atomic():
        result = (
            Result.objects.select_for_update()
            .select_related("racer", "race__track", "race__season")
            .filter(pk=result_id)
            .first()
        )
        if result is None:
            return "missing"
        if result.video_status == Result.VideoStatus.READY and result.video:
            return result.video_status
        Result.objects.filter(pk=result.pk).update(video_status=Result.VideoStatus.RENDERING)
    try:
        name = _render_and_store(result)
    except Exception:
        logger.exception("result %s: video rendering failed", result_id)
        Result.objects.filter(pk=result_id).update(video_status=Result.VideoStatus.FAILED)
        return Result.VideoStatus.FAILED
    Result.objects.filter(pk=result_id).update(video=name, video_status=Result.VideoStatus.READY)
    return Result.VideoStatus.READY


def _render_and_store(result: Result) -> str:
    cfg = _video_settings()
    racer, title = _video_labels(result)
    with tempfile.TemporaryDirectory(prefix=f"league-video-{result.pk}-") as tmp:
        tmp_path = Path(tmp)
        replay_path = tmp_path / "replay.json"
        if not result.replay:
            raise ReplayMissing(f"result {result.pk} has no replay file")
        with result.replay.open("rb") as src, open(replay_path, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                dst.write(chunk)
        from tracks.services import track_file_bytes

        track_path = tmp_path / "track.npy"
        track_path.write_bytes(track_file_bytes(result.race.track))
        out = tmp_path / "video.mp4"
        race_s = float(result.total_time_s or 0.0) or float(result.race.time_cap_s or 180.0)
        timeout = VIDEO_TIMEOUT_FLOOR_S + cfg["timeout_per_race_s"] * race_s
        root = Path(settings.BASE_DIR)
        # The replay was written by the sandboxed race: no secrets for the renderer either.
        env = child_env({"PYTHONPATH": str(root)})
        # A child process: the render's memory goes back to the system when it ends,
        # and a crash in the encoder cannot take the worker down.
        cmd = [cfg["python"], "-m", "simulator.video", "render", str(replay_path), "--track", str(track_path),
               "--out", str(out), "--racer", racer, "--title", title, "--json"]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=root, env=env, timeout=timeout,
                              check=False)
        if done.returncode != 0 or not out.is_file():
            raise RuntimeError(f"video render exited with {done.returncode}: {done.stderr.strip()[-1500:]}")
        target = f"videos/{result.race_id}/result-{result.pk}.mp4"
        if default_storage.exists(target):
            default_storage.delete(target)
        with open(out, "rb") as fh:
            return default_storage.save(target, File(fh))


@task(priority=VIDEO_TASK_PRIORITY, queue_name="videos")
def render_result_video(result_id: int) -> str:
    """Queue task: render the MP4 of a result (see result_video_render)."""
    return str(result_video_render(result_id))


def videos_requeue_missing(limit: int = 500) -> int:
    """Queue the video of every result that has none yet and no live task (e.g. a worker
    died mid-render, or the queue lost the task). Returns how many were queued."""
    from django_tasks_db.models import DBTaskResult

    live = DBTaskResult.objects.filter(
        status__in=["READY", "RUNNING"], task_path=render_result_video.module_path
    ).values_list("args_kwargs", flat=True)
    queued_ids = set()
    for args_kwargs in live:
        args = (args_kwargs or {}).get("args") or []
        if args:
            queued_ids.add(args[0])
    todo = (
        Result.objects.exclude(video_status=Result.VideoStatus.READY)
        .exclude(replay="")
        .exclude(pk__in=queued_ids)
        .values_list("pk", flat=True)[:limit]
    )
    count = 0
    for pk in todo:
        Result.objects.filter(pk=pk).update(video_status=Result.VideoStatus.PENDING)
        video_enqueue(pk)
        count += 1
    return count


# --- File responses with byte ranges --------------------------------------------------------


_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(ValueError):
    pass


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """`Range: bytes=a-b` -> (first, last) inclusive; None when there is no byte range
    to honour (no header, another unit, or several ranges: the whole file is sent).
    Raises RangeNotSatisfiable for a byte range that is malformed or outside the file."""
    header = (header or "").strip()
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    if "," in spec:
        return None  # multipart ranges are not served; the full body is a valid answer
    m = _RANGE_RE.match("bytes=" + spec.strip())
    if not m:
        raise RangeNotSatisfiable(header)
    first, last = m.groups()
    if first == "" and last == "":
        raise RangeNotSatisfiable(header)
    if first == "":
        # Suffix: the last N bytes.
        n = int(last)
        if n == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return max(0, size - n), size - 1
    a = int(first)
    b = int(last) if last != "" else size - 1
    if a >= size or b < a:
        raise RangeNotSatisfiable(header)
    return a, min(b, size - 1)


def _iter_file(fh, first: int, length: int, chunk: int = 1 << 16):
    try:
        fh.seek(first)
        left = length
        while left > 0:
            data = fh.read(min(chunk, left))
            if not data:
                break
            left -= len(data)
            yield data
    finally:
        fh.close()


def ranged_file_response(request, fieldfile, content_type: str, filename: str | None = None,
                         attachment: bool = False, max_age_s: int = 3600) -> HttpResponse:
    """Serve a stored file with byte ranges: 200 (whole file, `Accept-Ranges: bytes`),
    206 with `Content-Range` for `Range: bytes=a-b`, 416 for a range outside the file."""
    storage = fieldfile.storage
    name = fieldfile.name
    size = storage.size(name)
    try:
        modified = storage.get_modified_time(name)
        last_modified = http_date(modified.timestamp())
    except (NotImplementedError, AttributeError, OSError):
        modified, last_modified = None, None
    stamp = int(modified.timestamp()) if modified else 0
    etag = f'"{size:x}-{stamp:x}-{zlib.crc32(name.encode()):x}"'
    headers = {"Accept-Ranges": "bytes", "ETag": etag, "Cache-Control": f"public, max-age={max_age_s}"}
    if last_modified:
        headers["Last-Modified"] = last_modified
    if filename:
        disposition = "attachment" if attachment else "inline"
        headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'

    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
        for k, v in headers.items():
            response[k] = v
        return response

    range_header = request.headers.get("Range", "")
    if_range = request.headers.get("If-Range")
    if if_range and if_range not in (etag, last_modified):
        range_header = ""  # the file changed since the client's copy: send it whole
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        response = HttpResponse(status=416, content_type="text/plain")
        response.content = f"Requested range not satisfiable; the file has {size} bytes.\n".encode()
        response["Content-Range"] = f"bytes */{size}"
        response["Accept-Ranges"] = "bytes"
        return response

    if request.method == "HEAD":
        response = HttpResponse(status=200 if byte_range is None else 206, content_type=content_type)
        length = size if byte_range is None else byte_range[1] - byte_range[0] + 1
        if byte_range is not None:
            response["Content-Range"] = f"bytes {byte_range[0]}-{byte_range[1]}/{size}"
        for k, v in headers.items():
            response[k] = v
        response["Content-Length"] = str(length)
        return response

    fh = storage.open(name, "rb")
    if byte_range is None:
        response = FileResponse(fh, content_type=content_type)
        response["Content-Length"] = str(size)
    else:
        first, last = byte_range
        length = last - first + 1
        response = StreamingHttpResponse(_iter_file(fh, first, length), status=206, content_type=content_type)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(length)
    for k, v in headers.items():
        response[k] = v
    return response
