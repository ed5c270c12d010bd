"""Videos: the MP4 of every official run, rendered by a low-priority queue task after the
result lands, in a child process, and re-queued when a worker lost one."""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from tracks.services import track_file_bytes

from .models import Result
from .replays import ReplayMissing
from .sandbox import child_env, python_executable

logger = logging.getLogger(__name__)

VIDEO_TASK_PRIORITY = -10  # races first: a queued race never waits behind a video
VIDEO_TIMEOUT_FLOOR_S = 120.0


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
    if not settings.RACING["VIDEOS"]:
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
    racer, title = _video_labels(result)
    with tempfile.TemporaryDirectory(prefix=f"league-video-{result.pk}-") as tmp:
        tmp_path = Path(tmp)
        replay_path = tmp_path / "replay.json"
        if not result.replay:
            raise ReplayMissing(f"result {result.pk} has no replay file")
        with result.replay.open("rb") as src, open(replay_path, "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                dst.write(chunk)
        track_path = tmp_path / "track.npy"
        track_path.write_bytes(track_file_bytes(result.race.track))
        out = tmp_path / "video.mp4"
        race_s = float(result.total_time_s or 0.0) or float(result.race.time_cap_s or 180.0)
        timeout = VIDEO_TIMEOUT_FLOOR_S + float(settings.RACING["VIDEO_TIMEOUT_PER_RACE_S"]) * race_s
        root = Path(settings.BASE_DIR)
        # The replay was written by the sandboxed race: no secrets for the renderer either.
        env = child_env({"PYTHONPATH": str(root)})
        # A child process: the render's memory goes back to the system when it ends,
        # and a crash in the encoder cannot take the worker down.
        cmd = [python_executable(), "-m", "simulator.video", "render", str(replay_path), "--track", str(track_path),
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
