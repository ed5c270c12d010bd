"""Match videos are leased like runs' videos: each duel's video is pending once the match
is recorded, rendering under a lease its worker renews, and queued again by the races'
reclaim when its worker died or its task was lost; a live render, a waiting task and a
failed render are left alone. (A real render: tests/ladder/test_flow.py.)"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ladder import videos
from ladder.models import Match
from racing.runner import WORKER_LOST_PATH
from racing.signals import reclaim_due
from racing.models import Submission
from tests.web.api.test_head_to_head import _world

pytestmark = pytest.mark.django_db

LONG_AGO = timedelta(hours=1)


@pytest.fixture
def match(settings):
    settings.RACING = {**settings.RACING, "VIDEOS": True, "LEASE_S": 30}
    _, _, m = _world()
    Match.objects.filter(pk=m.pk).update(finished_at=timezone.now() - LONG_AGO)
    DBTaskResult.objects.filter(task_path=videos.render_match_video.module_path).delete()
    m.refresh_from_db()
    return m


def _tasks(match, duel, status="READY"):
    return DBTaskResult.objects.filter(task_path=videos.render_match_video.module_path, status=status,
                                       args_kwargs__args=[match.pk, duel])


def _set(match, duel, **fields):
    Match.objects.filter(pk=match.pk).update(**{f"{k}_{duel}": v for k, v in fields.items()})


def test_a_recorded_match_s_duel_videos_are_pending_and_queued(match, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        videos.match_videos_enqueue_on_commit(match)
    match.refresh_from_db()
    assert (match.video_status_1, match.video_status_2) == ("pending", "pending")
    assert _tasks(match, 1).count() == _tasks(match, 2).count() == 1


def test_a_claim_takes_a_lease_and_leaves_a_live_one_or_a_ready_video(match):
    claimed = videos.match_video_claim(match.pk, 1)
    assert claimed is not None
    match.refresh_from_db()
    assert match.video_status_1 == "rendering" and match.video_lease_1 > timezone.now()
    assert videos.match_video_claim(match.pk, 1) is None  # its worker is alive
    _set(match, 1, video_lease=timezone.now() - timedelta(seconds=1))
    assert videos.match_video_claim(match.pk, 1) is not None  # its worker died
    _set(match, 2, video_status="ready", video="matches/x.mp4")
    assert videos.match_video_claim(match.pk, 2) is None


def test_the_reclaim_queues_a_dead_worker_s_video_again(match, django_capture_on_commit_callbacks):
    started = timezone.now() - LONG_AGO
    _set(match, 1, video_status="rendering", video_lease=timezone.now() - timedelta(seconds=5))
    task = DBTaskResult.objects.create(
        task_path=videos.render_match_video.module_path, status="RUNNING", started_at=started,
        args_kwargs={"args": [match.pk, 1], "kwargs": {}}, queue_name="videos", backend_name="default",
        priority=-10, run_after=started,
    )  # fmt: skip
    _set(match, 2, video_status="ready", video="matches/x.mp4")
    with django_capture_on_commit_callbacks(execute=True):
        # Through racing's reclaim pass, as the workers run it.
        counts = [n for _, n in reclaim_due.send(sender=Submission, now=timezone.now())]
    assert sum(counts) == 1
    match.refresh_from_db()
    assert match.video_status_1 == "pending" and match.video_lease_1 is None
    task.refresh_from_db()
    assert task.status == "FAILED" and task.exception_class_path == WORKER_LOST_PATH
    assert _tasks(match, 1).count() == 1 and not _tasks(match, 2).exists()


def test_the_reclaim_renders_a_video_no_task_will_render(match, django_capture_on_commit_callbacks):
    """Pending with its task lost, or never asked for (a match from before the statuses)."""
    _set(match, 1, video_status="pending")
    _set(match, 2, video_status="")
    with django_capture_on_commit_callbacks(execute=True):
        assert videos.match_videos_reclaim() == 2
    assert _tasks(match, 1).count() == _tasks(match, 2).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert videos.match_videos_reclaim() == 0  # now a task waits for each


@pytest.mark.parametrize("duel_state", [
    {"video_status": "rendering", "video_lease": "live"},
    {"video_status": "failed"},
    {"video_status": "ready", "video": "matches/x.mp4"},
])  # fmt: skip
def test_the_reclaim_leaves_live_renders_and_finished_videos(match, duel_state):
    state = {k: (timezone.now() + timedelta(seconds=30) if v == "live" else v) for k, v in duel_state.items()}
    for duel in (1, 2):
        _set(match, duel, **state)
    assert videos.match_videos_reclaim() == 0


def test_a_match_that_just_finished_is_left_to_its_own_tasks(match):
    Match.objects.filter(pk=match.pk).update(finished_at=timezone.now())
    for duel in (1, 2):
        _set(match, duel, video_status="pending")
    assert videos.match_videos_reclaim() == 0


def test_no_videos_no_reclaim(match, settings):
    settings.RACING = {**settings.RACING, "VIDEOS": False}
    _set(match, 1, video_status="")
    assert videos.match_videos_reclaim() == 0
