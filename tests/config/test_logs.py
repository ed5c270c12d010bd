"""LOG_FORMAT=json: a real worker writes one JSON object per line and event, carrying the
submission, race and result ids of the run it is about; the queue's own lines too."""

from __future__ import annotations

import json

import pytest

from racing.models import Result, Submission
from racing.submissions import submission_create
from tests import factories as f
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}\n{text}") from None
    return parsed


def test_a_worker_logs_json_lines_with_the_ids_of_each_run(start_worker):
    race = f.race(tracks=[f.track("oval-loop")])
    racer = f.racer()
    fine = submission_create(racer=racer, model=f.policy_model(racer), race=race)
    failing = submission_create(racer=racer, model=f.policy_model(racer, onnx_bytes=f.nan_when_stopped_onnx()),
                                race=race)  # fmt: skip
    worker = start_worker("default", LOG_FORMAT="json", RACING_VIDEOS="0")
    wait_for(lambda: Submission.objects.filter(pk__in=[fine.pk, failing.pk], status__in=["finished", "failed"]).count() == 2,
             what="both races to end")  # fmt: skip
    result = Result.objects.get(submission=fine)
    worker.stop()

    lines = json_lines(worker.output())
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    finished = [line for line in lines if line.get("result_id") == result.pk]
    assert finished and finished[0]["submission_id"] == fine.pk and finished[0]["race_id"] == race.pk
    assert finished[0]["logger"] == "racing.worker" and finished[0]["level"] == "INFO"
    failed = [line for line in lines if line.get("submission_id") == failing.pk]
    assert failed and "failed" in failed[0]["message"] and "result_id" not in failed[0]
    # The queue's own lines come out as JSON too, not as a second format.
    assert any(line["logger"].startswith("django_tasks") for line in lines)
