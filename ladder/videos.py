"""The MP4 of each duel of a finished match, rendered by the video queue after the match
(as racing/videos.py renders a run's): `python -m simulator.video render` in the sandbox on
the duel's replay, which draws both cars (simulator/video/frames.py). Best effort: a match
whose video failed or whose worker died keeps its replays and has no video."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django_tasks import task

from racing.isolation import FONT_DIRS
from racing.runner import video_limits
from racing.sandbox import SandboxStartError, run_sandboxed
from racing.videos import VIDEO_TASK_PRIORITY
from racing.workdirs import work_dir
from tracks.services import track_file_bytes

from .models import Match

logger = logging.getLogger(__name__)


def match_videos_enqueue_on_commit(match: Match) -> None:
    if settings.RACING["VIDEOS"]:
        transaction.on_commit(lambda: [render_match_video.enqueue(match.pk, duel) for duel in (1, 2)])


@task(priority=VIDEO_TASK_PRIORITY, queue_name="videos")
def render_match_video(match_id: int, duel: int) -> str:
    return match_video_render(match_id, duel)


def match_video_render(match_id: int, duel: int) -> str:
    match = Match.objects.select_related("race__track", "racer_a", "racer_b").filter(pk=match_id).first()
    replay = getattr(match, f"replay_{duel}", None) if match is not None else None
    if not replay:
        return "no replay"
    times = [d.get(side, {}).get("total_time_s") or 0.0 for d in (match.result or {}).get("duels", [])
             for side in ("a", "b")]
    limits = video_limits(max(times or [float(match.race.time_cap_s)]))
    with work_dir("match-video", match.pk) as work:
        with replay.open("rb") as src:
            (work / "replay.json").write_bytes(src.read())
        (work / "track.npy").write_bytes(track_file_bytes(match.race.track))
        args = ["-m", "simulator.video", "render", "replay.json", "--track", "track.npy", "--out", "video.mp4",
                "--racer", match.racer_a.alias, "--title", f"{match.race.display_name} · duel {duel}", "--json"]
        try:
            outcome = run_sandboxed(args, limits, cwd=work, ro_paths=FONT_DIRS)
        except SandboxStartError as exc:
            logger.warning("match %s video %s: %s", match.pk, duel, exc)
            return "failed"
        out = work / "video.mp4"
        if outcome.returncode != 0 or outcome.limit or not out.is_file():
            logger.warning("match %s video %s: exit %s %s", match.pk, duel, outcome.returncode, outcome.stderr[-500:])
            return "failed"
        with open(out, "rb") as fh:
            getattr(match, f"video_{duel}").save(f"match-{match.pk}-{duel}.mp4", File(fh), save=False)
        Match.objects.filter(pk=match.pk).update(**{f"video_{duel}": getattr(match, f"video_{duel}").name})
    return "ready"
