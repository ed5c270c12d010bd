"""The MP4 of each duel of a finished match, rendered by the video queue after the match
(as racing/videos.py renders a run's): `python -m simulator.video render` in the sandbox on
the duel's replay, which draws both cars (simulator/video/frames.py).

Each duel's video has its status and, while it renders, a lease its worker renews: a video
whose worker died, or whose task the queue lost, is queued again by the races' reclaim
(`match_videos_reclaim`, on racing's `reclaim_due`). A failed render stays failed: the
match keeps its replays."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from racing.isolation import FONT_DIRS
from racing.runner import video_limits
from racing.sandbox import SandboxStartError, run_sandboxed
from racing.videos import VIDEO_TASK_PRIORITY, video_lease_until, video_tasks, video_tasks_lost
from racing.workdirs import work_dir
from tracks.services import track_file_bytes

from .models import Match

logger = logging.getLogger(__name__)

DUELS = (1, 2)
VideoStatus = Match.VideoStatus


def _lease_s() -> float:
    return float(settings.RACING["LEASE_S"])


def match_videos_enqueue_on_commit(match: Match) -> None:
    """Called where a match is recorded (inside its transaction): both duels' videos are
    pending, and queued once the match is committed."""
    if not settings.RACING["VIDEOS"]:
        return
    duels = [d for d in DUELS if getattr(match, f"replay_{d}")]
    for d in duels:
        setattr(match, f"video_status_{d}", VideoStatus.PENDING)
        setattr(match, f"video_lease_{d}", None)
    Match.objects.filter(pk=match.pk).update(**{f"video_status_{d}": VideoStatus.PENDING for d in duels},
                                             **{f"video_lease_{d}": None for d in duels})
    transaction.on_commit(lambda: [render_match_video.enqueue(match.pk, duel) for duel in duels])


@task(priority=VIDEO_TASK_PRIORITY, queue_name="videos")
def render_match_video(match_id: int, duel: int) -> str:
    return match_video_render(match_id, duel)


def match_video_claim(match_id: int, duel: int) -> Match | None:
    """Mark the duel's video rendering under a fresh lease; None if there is nothing to do
    (no such match or replay, the video is ready, or a live worker renders it)."""
    with transaction.atomic():
        match = (Match.objects.select_for_update(of=("self",)).select_related("race__track", "racer_a", "racer_b")
                 .filter(pk=match_id).first())
        if match is None or not getattr(match, f"replay_{duel}"):
            return None
        status, lease = getattr(match, f"video_status_{duel}"), getattr(match, f"video_lease_{duel}")
        if status == VideoStatus.READY and getattr(match, f"video_{duel}"):
            return None
        if status == VideoStatus.RENDERING and lease and lease > timezone.now():
            return None  # a duplicate task: the other one's worker is alive
        Match.objects.filter(pk=match_id).update(**{f"video_status_{duel}": VideoStatus.RENDERING,
                                                    f"video_lease_{duel}": video_lease_until()})
    return match


def match_video_render(match_id: int, duel: int) -> str:
    """Render and store one duel's video (the body of the queue task); its status after."""
    match = match_video_claim(match_id, duel)
    if match is None:
        status = Match.objects.filter(pk=match_id).values_list(f"video_status_{duel}", flat=True).first()
        return status or "missing"

    def renew() -> None:
        Match.objects.filter(pk=match_id, **{f"video_status_{duel}": VideoStatus.RENDERING}).update(
            **{f"video_lease_{duel}": video_lease_until()})

    try:
        name = _render(match, duel, renew)
    except Exception as exc:
        logger.warning("match %s video %s: %s", match_id, duel, exc)
        Match.objects.filter(pk=match_id).update(**{f"video_status_{duel}": VideoStatus.FAILED,
                                                    f"video_lease_{duel}": None})
        return VideoStatus.FAILED
    Match.objects.filter(pk=match_id).update(**{f"video_{duel}": name, f"video_status_{duel}": VideoStatus.READY,
                                                f"video_lease_{duel}": None})
    return VideoStatus.READY


def _render(match: Match, duel: int, renew) -> str:
    """The duel's MP4 rendered in the sandbox and stored; its storage name."""
    times = [d.get(side, {}).get("total_time_s") or 0.0 for d in (match.result or {}).get("duels", [])
             for side in ("a", "b")]
    limits = video_limits(max(times or [float(match.race.time_cap_s)]))
    with work_dir("match-video", match.pk) as work:
        with getattr(match, f"replay_{duel}").open("rb") as src:
            (work / "replay.json").write_bytes(src.read())
        (work / "track.npy").write_bytes(track_file_bytes(match.race.track))
        args = ["-m", "simulator.video", "render", "replay.json", "--track", "track.npy", "--out", "video.mp4",
                "--racer", match.racer_a.alias, "--title", f"{match.race.display_name} · duel {duel}", "--json"]
        try:
            outcome = run_sandboxed(args, limits, cwd=work, ro_paths=FONT_DIRS, on_tick=renew,
                                    tick_s=max(0.5, min(5.0, _lease_s() / 4)))
        except SandboxStartError as exc:
            raise RuntimeError(str(exc)) from exc
        out = work / "video.mp4"
        if outcome.returncode != 0 or outcome.limit or not out.is_file():
            why = limits.describe(outcome.limit) if outcome.limit else outcome.stderr.strip()[-500:]
            raise RuntimeError(f"video render exited with {outcome.returncode}: {why}")
        field = getattr(match, f"video_{duel}")
        with open(out, "rb") as fh:
            field.save(f"match-{match.pk}-{duel}.mp4", File(fh), save=False)
        return field.name


def match_videos_reclaim(now: datetime | None = None, limit: int = 200) -> int:
    """Queue again the duel videos of finished matches whose worker died (rendering with an
    expired lease), whose task a worker took a lease ago without starting it, or that no
    task will render (pending or never asked for, with no task waiting: the queue lost it,
    or the match finished before videos had statuses). Returns how many were queued."""
    if not settings.RACING["VIDEOS"]:
        return 0
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=_lease_s())
    running, waiting = video_tasks(render_match_video, "RUNNING"), video_tasks(render_match_video, "READY")
    count = 0
    for duel in DUELS:
        status, lease = f"video_status_{duel}", f"video_lease_{duel}"
        dead = Q(**{status: VideoStatus.RENDERING}) & (Q(**{f"{lease}__lt": now}) | Q(**{f"{lease}__isnull": True}))
        unrendered = Q(**{f"{status}__in": (VideoStatus.PENDING, "")}, finished_at__lt=cutoff)
        candidates = (Match.objects.filter(dead | unrendered, status=Match.Status.FINISHED)
                      .exclude(**{f"replay_{duel}": ""}).values_list("pk", flat=True)[:limit])
        for pk in candidates:
            rows = running.get((pk, duel), [])
            if (pk, duel) in waiting or any(r.started_at is None or r.started_at >= cutoff for r in rows):
                continue  # a task will render it, or one is rendering it now
            with transaction.atomic():
                match = Match.objects.select_for_update().filter(pk=pk).first()
                current, until = getattr(match, status), getattr(match, lease)
                if current not in (VideoStatus.RENDERING, VideoStatus.PENDING, "") or (
                        current == VideoStatus.RENDERING and until and until >= now):
                    continue
                video_tasks_lost(rows, now)
                Match.objects.filter(pk=pk).update(**{status: VideoStatus.PENDING, lease: None})
                transaction.on_commit(lambda pk=pk, duel=duel: render_match_video.enqueue(pk, duel))
            count += 1
    return count


def on_reclaim_due(sender, now, **kwargs) -> int:
    """racing.signals.reclaim_due: the races' reclaim pass reclaims the match videos too."""
    return match_videos_reclaim(now)
