"""What the submission stream says: a failed run's explanation rides on its status
message, and a result's video that is done (ready or failed) is announced, so that the
owner's page follows the run to the very end."""

from __future__ import annotations

import pytest

from live import events, messages
from live.models import LiveEvent
from racing import signals, worker
from racing.models import Result
from racing.videos import result_video_render
from tests import factories as f
from tests.live_support import record_result, submit

pytestmark = pytest.mark.django_db


def test_a_failed_run_carries_its_failure():
    race = f.race(tracks=[f.track("oval-loop")])
    submission = submit(f.racer(), race)
    failure = {"kind": "nan", "message": "the model returned NaN or infinity", "step": 40, "clock_s": 2.667,
               "lap": 1, "laps_completed": 0, "progress": 0.61, "x_m": 1.0, "y_m": 2.0,
               "heading_rad": 0.1, "speed_m_s": 3.5}  # fmt: skip
    worker.submission_fail(worker.submission_claim(submission.pk), failure["message"], failure=failure)
    submission.refresh_from_db()
    message = messages.submission_status(submission)
    assert message["status"] == "failed" and message["final"] is True
    assert message["failure"]["kind"] == "nan" and message["failure"]["step"] == 40
    assert message["failure"]["causes"] and message["failure"]["reproduce"].startswith("python -m simulator race")


def test_a_run_in_progress_carries_no_failure():
    submission = submit(f.racer(), f.race(tracks=[f.track("oval-loop")]))
    assert messages.submission_status(submission)["failure"] is None


def test_a_finished_video_is_announced_to_the_owner(settings):
    settings.LIVE_TRANSPORT = "database"  # the embedded default: the event log
    heard = []

    def receiver(sender, *, submission, **kwargs):
        heard.append(submission.pk)

    result = record_result(f.racer(), f.race(tracks=[f.track("oval-loop")]), 60.0)  # no replay file
    before = LiveEvent.objects.count()
    signals.submission_changed.connect(receiver, dispatch_uid="test-video-heard")
    try:
        # Without a replay the render fails: the page must hear of that too, and stop waiting.
        assert result_video_render(result.pk) == Result.VideoStatus.FAILED
    finally:
        signals.submission_changed.disconnect(dispatch_uid="test-video-heard")
    assert heard == [result.submission_id]
    assert LiveEvent.objects.count() > before
    event = LiveEvent.objects.filter(group=events.submission_group(result.submission_id)).order_by("-id").first()
    assert event.payload["type"] == "submission.status"
    assert event.payload["result"]["video_status"] == "failed"
