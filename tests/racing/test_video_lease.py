"""Videos are leased like races: a video worker killed with -9 mid-render takes its
sandboxed render child with it, and another worker renders the video once the lease has
expired; the dead worker's work folder is swept."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from racing import videos
from racing.models import Result
from racing.runner import WORKER_LOST_PATH
from tests import factories as f
from tests.conftest import wait_for
from tests.racing.test_replays import raced_result

pytestmark = pytest.mark.django_db(transaction=True)


def render_children(racer: str) -> list[int]:
    """Pids of the video renders of `racer`'s runs on this machine (the sandboxed children;
    the racer's name on their command line tells them from other test runs' renders)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"simulator.video" in cmdline and racer.encode() in cmdline:
            found.append(int(pid))
    return found


def _process_lines(pids: list[int]) -> list[str]:
    lines = []
    for pid in pids:
        try:
            status = dict(line.split(":\t", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                          if ":\t" in line)  # fmt: skip
            args = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:200].decode(errors="replace")
        except OSError:
            continue
        lines.append(f"pid {pid} ppid {status.get('PPid')} state {status.get('State')} uid {status.get('Uid')}: {args}")
    return lines


def test_a_killed_video_worker_loses_no_video(start_worker, tmp_path):
    racer = f"Lease Tester {uuid.uuid4().hex[:8]}"
    result = raced_result(f.race(tracks=[f.track("oval-loop")], laps=3), f.racer(racer))
    assert result.video_status == Result.VideoStatus.PENDING
    assert render_children(racer) == []
    work_root = tmp_path / "work"
    fast = {"RACING_LEASE_S": "3", "RACING_RECLAIM_INTERVAL_S": "0.5",
            "RACING_WORK_ROOT": str(work_root)}  # fmt: skip

    first = start_worker("videos", **fast)
    wait_for(lambda: render_children(racer), what="the render to start")
    result.refresh_from_db()
    assert result.video_status == Result.VideoStatus.RENDERING
    assert result.video_lease_expires_at > timezone.now() - timedelta(seconds=1)
    left = work_root / f"{socket.gethostname().replace('-', '_')}-{first.proc.pid}"
    assert any(left.iterdir())  # the render's folder
    first.kill()
    # The render child dies with its worker (--die-with-parent), not at its time limit.
    try:
        wait_for(lambda: not render_children(racer), timeout_s=10, what="the render child to die")
    except AssertionError as exc:  # rare: say which process outlived its worker, and whose child it is
        raise AssertionError(f"{exc}: {_process_lines(render_children(racer))}") from None
    result.refresh_from_db()
    assert result.video_status == Result.VideoStatus.RENDERING  # abandoned mid-render

    start_worker("videos", **fast)
    wait_for(lambda: not left.exists(), what="the dead worker's folder to be swept")
    wait_for(lambda: Result.objects.filter(pk=result.pk, video_status="ready").exists(),
             what="the video to be rendered again")
    result.refresh_from_db()
    assert result.video and result.video_lease_expires_at is None
    lost = DBTaskResult.objects.filter(task_path=videos.render_result_video.module_path,
                                       exception_class_path=WORKER_LOST_PATH)
    assert lost.count() == 1


def test_a_live_render_is_not_taken_over(settings):
    result = raced_result(f.race(tracks=[f.track("oval-loop")], laps=1))
    Result.objects.filter(pk=result.pk).update(
        video_status=Result.VideoStatus.RENDERING,
        video_lease_expires_at=timezone.now() + timedelta(minutes=1),
    )
    assert videos.videos_reclaim() == 0
    assert videos.result_video_render(result.pk) == Result.VideoStatus.RENDERING  # left alone
    # Rendering with no lease at all: stuck before leases existed, taken over at once.
    Result.objects.filter(pk=result.pk).update(video_lease_expires_at=None)
    assert videos.videos_reclaim() == 1
    assert Result.objects.get(pk=result.pk).video_status == Result.VideoStatus.PENDING
