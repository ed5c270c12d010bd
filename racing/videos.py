"""Videos: the MP4 of every official run, rendered by a low-priority queue task after the
result lands, in a sandboxed child, under a lease like races: a video whose worker died
is queued again once its lease expired (`videos_reclaim`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from tracks.services import track_file_bytes

from . import signals
from .isolation import FONT_DIRS
from .models import Result, Submission
from .replays import ReplayMissing
from .runner import WORKER_LOST_PATH, video_limits
from .sandbox import SandboxStartError, run_sandboxed
from .workdirs import work_dir

logger = logging.getLogger(__name__)

VIDEO_TASK_PRIORITY = -10  # races first: a queued race never waits behind a video


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
            logger.exception("result %s: could not queue the video", result.pk, extra={"result_id": result.pk})

    transaction.on_commit(enqueue)


def _video_labels(result: Result) -> tuple[str, str]:
    race = result.race
    title = race.display_name
    return result.racer.alias, title


def video_lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=float(settings.RACING["LEASE_S"]))


def result_video_claim(result_id: int) -> Result | None:
    """Mark the result's video rendering under a fresh lease; None if there is nothing to
    do (no such result, the video is ready, or a live worker renders it)."""
    with transaction.atomic():
        result = (
            Result.objects.select_for_update(of=("self",))
            .select_related("racer", "race__track", "race__season")
            .filter(pk=result_id)
            .first()
        )
        if result is None:
            return None
        if result.video_status == Result.VideoStatus.READY and result.video:
            return None
        lease = result.video_lease_expires_at
        if result.video_status == Result.VideoStatus.RENDERING and lease and lease > timezone.now():
            return None  # a duplicate task: the other one's worker is alive
        result.video_status = Result.VideoStatus.RENDERING
        result.video_lease_expires_at = video_lease_until()
        result.save(update_fields=["video_status", "video_lease_expires_at"])
    return result


def result_video_render(result_id: int) -> str:
    """Render and store the video of a result (the body of the queue task). Returns the
    video status; a ready video, or one a live worker renders, is left as it is."""
    result = result_video_claim(result_id)
    if result is None:
        status = Result.objects.filter(pk=result_id).values_list("video_status", flat=True)
        return status.first() or "missing"

    def renew() -> None:
        Result.objects.filter(pk=result_id, video_status=Result.VideoStatus.RENDERING).update(
            video_lease_expires_at=video_lease_until()
        )

    try:
        name = _render_and_store(result, renew)
    except Exception:
        logger.exception("result %s: video rendering failed", result_id, extra={"result_id": result_id})
        Result.objects.filter(pk=result_id).update(
            video_status=Result.VideoStatus.FAILED, video_lease_expires_at=None
        )
        _video_changed(result)
        return Result.VideoStatus.FAILED
    Result.objects.filter(pk=result_id).update(
        video=name, video_status=Result.VideoStatus.READY, video_lease_expires_at=None
    )
    logger.info("result %s: video ready", result_id, extra={"result_id": result_id})
    _video_changed(result)
    return Result.VideoStatus.READY


def _video_changed(result: Result) -> None:
    """The owner's submission page shows the video (or says it failed) when it is done."""
    submission = Submission.objects.select_related("race").filter(pk=result.submission_id).first()
    if submission is not None:
        signals.submission_changed.send(sender=Submission, submission=submission)


def _render_and_store(result: Result, renew: Callable[[], None]) -> str:
    racer, title = _video_labels(result)
    if not result.replay:
        raise ReplayMissing(f"result {result.pk} has no replay file")
    race_s = float(result.total_time_s or 0.0) or float(result.race.time_cap_s or 180.0)
    limits = video_limits(race_s)
    with work_dir("video", result.pk) as work:
        with result.replay.open("rb") as src, open(work / "replay.json", "wb") as dst:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                dst.write(chunk)
        (work / "track.npy").write_bytes(track_file_bytes(result.race.track))
        # The replay was written by a sandboxed race: the renderer runs in the sandbox
        # too (a child: its memory goes back to the system when it ends, and a crash in
        # the encoder cannot take the worker down). Paths relative to its folder.
        args = ["-m", "simulator.video", "render", "replay.json", "--track", "track.npy",
                "--out", "video.mp4", "--racer", racer, "--title", title, "--json"]  # fmt: skip
        lease_s = float(settings.RACING["LEASE_S"])
        try:
            outcome = run_sandboxed(args, limits, cwd=work, ro_paths=FONT_DIRS, on_tick=renew,
                                    tick_s=max(0.5, min(5.0, lease_s / 4)))
        except SandboxStartError as exc:
            raise RuntimeError(str(exc)) from exc
        out = work / "video.mp4"
        if outcome.returncode != 0 or outcome.limit or not out.is_file():
            why = limits.describe(outcome.limit) if outcome.limit else outcome.stderr.strip()[-1500:]
            raise RuntimeError(f"video render exited with {outcome.returncode}: {why}")
        target = f"videos/{result.race_id}/result-{result.pk}.mp4"
        if default_storage.exists(target):
            default_storage.delete(target)
        with open(out, "rb") as fh:
            return default_storage.save(target, File(fh))


@task(priority=VIDEO_TASK_PRIORITY, queue_name="videos")
def render_result_video(result_id: int) -> str:
    """Queue task: render the MP4 of a result (see result_video_render)."""
    return str(result_video_render(result_id))


def video_tasks(task, *statuses: str) -> dict[tuple, list]:
    """Queue rows of this video task in these statuses, by the task's arguments (a result's
    video: (result id,); a duel's, ladder/videos.py: (match id, duel))."""
    tasks: dict[tuple, list] = {}
    rows = DBTaskResult.objects.filter(status__in=statuses, task_path=task.module_path).only(
        "id", "status", "started_at", "args_kwargs")
    for row in rows:
        args = (row.args_kwargs or {}).get("args") or []
        if args:
            tasks.setdefault(tuple(args), []).append(row)
    return tasks


def video_tasks_lost(rows, now: datetime) -> None:
    """Mark these running task rows as lost with their worker (the video is queued again)."""
    for row in rows:
        DBTaskResult.objects.filter(pk=row.pk, status="RUNNING").update(
            status="FAILED", finished_at=now, exception_class_path=WORKER_LOST_PATH,
            traceback="The worker stopped while rendering; the video was queued again.",
        )  # fmt: skip


def videos_requeue_missing(limit: int = 500) -> int:
    """Queue the video of every result that has none yet and no live task (e.g. the queue
    lost the task, or an earlier render failed). Run at worker start. Returns how many
    were queued; none when the league renders no videos (RACING["VIDEOS"] off)."""
    if not settings.RACING["VIDEOS"]:
        return 0
    queued_ids = {args[0] for args in video_tasks(render_result_video, "READY", "RUNNING")}
    todo = (
        Result.objects.exclude(video_status=Result.VideoStatus.READY)
        .exclude(replay="")
        .exclude(pk__in=queued_ids)
        .values_list("pk", flat=True)[:limit]
    )
    count = 0
    for pk in todo:
        Result.objects.filter(pk=pk).update(
            video_status=Result.VideoStatus.PENDING, video_lease_expires_at=None
        )
        video_enqueue(pk)
        count += 1
    return count


def videos_reclaim(now: datetime | None = None, limit: int = 500) -> int:
    """Queue again the videos whose worker died: rendering with an expired lease (or none:
    rendered before leases existed), or pending with a task that a worker took a lease ago
    without starting it. Run with the races' reclaim. Returns how many were queued."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=float(settings.RACING["LEASE_S"]))
    rendering = Q(video_status=Result.VideoStatus.RENDERING) & (
        Q(video_lease_expires_at__lt=now) | Q(video_lease_expires_at__isnull=True)
    )
    running = {args[0]: rows for args, rows in video_tasks(render_result_video, "RUNNING").items()}
    stuck_pending = [pk for pk, rows in running.items() if all(r.started_at and r.started_at < cutoff for r in rows)]
    candidates = Result.objects.filter(
        rendering | Q(video_status=Result.VideoStatus.PENDING, pk__in=stuck_pending)
    ).values_list("pk", flat=True)[:limit]
    count = 0
    for pk in candidates:
        with transaction.atomic():
            result = Result.objects.select_for_update().filter(pk=pk).first()
            if result is None:
                continue
            lease = result.video_lease_expires_at
            if result.video_status == Result.VideoStatus.RENDERING and lease and lease >= now:
                continue
            if result.video_status not in (Result.VideoStatus.RENDERING, Result.VideoStatus.PENDING):
                continue
            video_tasks_lost(running.get(pk, []), now)
            result.video_status = Result.VideoStatus.PENDING
            result.video_lease_expires_at = None
            result.save(update_fields=["video_status", "video_lease_expires_at"])
            video_enqueue(pk)
        count += 1
    return count
