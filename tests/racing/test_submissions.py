"""Submitting: quotas (per UTC day, in total, under concurrency), closed seasons,
permissions, and platform faults that are retried and never counted."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from league.services import season_open
from racing import submissions, worker
from racing.models import Submission
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def racer_api(api):
    racer = f.racer()
    api.force_authenticate(racer.user)
    api.racer = racer
    return api


def submit(api, model, race):
    return api.post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json")


def test_daily_quota(racer_api):
    race = f.race(daily_quota=2, total_quota=10)
    model = f.policy_model(racer_api.racer)
    assert submit(racer_api, model, race).status_code == 202
    assert submit(racer_api, model, race).status_code == 202
    resp = submit(racer_api, model, race)
    assert resp.status_code == 429
    assert "00:00 UTC" in resp.json()["race"][0]
    # Yesterday's submissions do not count today.
    Submission.objects.update(created_at=timezone.now() - timedelta(days=1))
    assert submit(racer_api, model, race).status_code == 202


def test_total_quota(racer_api):
    race = f.race(daily_quota=10, total_quota=2)
    model = f.policy_model(racer_api.racer)
    for _ in range(2):
        assert submit(racer_api, model, race).status_code == 202
    Submission.objects.update(created_at=timezone.now() - timedelta(days=3))
    resp = submit(racer_api, model, race)
    assert resp.status_code == 429
    assert "all 2 submissions" in resp.json()["race"][0]


def test_failed_and_error_runs_do_not_count(racer_api):
    race = f.race(daily_quota=1, total_quota=1)
    model = f.policy_model(racer_api.racer)
    assert submit(racer_api, model, race).status_code == 202
    Submission.objects.update(status="failed")
    assert submit(racer_api, model, race).status_code == 202
    Submission.objects.filter(status="queued").update(status="error")
    assert submit(racer_api, model, race).status_code == 202
    assert submit(racer_api, model, race).status_code == 429


def test_quota_holds_under_concurrency(transactional_db):
    race = f.race(daily_quota=3, total_quota=3)
    racer = f.racer()
    model = f.policy_model(racer)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def attempt():
        try:
            barrier.wait()
            submissions.submission_create(racer=racer, model=model, race=race)
            outcomes.append("ok")
        except submissions.QuotaExceeded:
            outcomes.append("quota")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * 3 + ["quota"] * 5
    assert Submission.objects.filter(racer=racer, race=race).count() == 3


def test_closed_season_refuses_submissions(racer_api):
    race = f.race(status="closed")
    resp = submit(racer_api, f.policy_model(racer_api.racer), race)
    assert resp.status_code == 400
    assert "closed" in resp.json()["race"][0]
    assert Submission.objects.count() == 0


def test_draft_season_refuses_submissions(racer_api):
    race = f.race(status="draft")
    resp = submit(racer_api, f.policy_model(racer_api.racer), race)
    assert resp.status_code == 400
    assert "not opened" in resp.json()["race"][0]


def test_opening_a_season_closes_the_previous_one_to_submissions(racer_api):
    old_race = f.race(tracks=[f.track("oval-loop")])
    model = f.policy_model(racer_api.racer)
    assert submit(racer_api, model, old_race).status_code == 202
    new_season = f.season("draft", tracks=[f.track("paperclip")])
    season_open(new_season)
    old_race.season.refresh_from_db()
    assert old_race.season.status == "closed"
    resp = submit(racer_api, model, old_race)
    assert resp.status_code == 400 and "closed" in resp.json()["race"][0]
    assert submit(racer_api, model, new_season.races.get()).status_code == 202


def test_sensor_not_allowed_in_the_race(racer_api):
    race = f.race(allowed_sensors=["FRONT_FACING_CAMERA"])
    resp = submit(racer_api, f.policy_model(racer_api.racer), race)
    assert resp.status_code == 400
    assert "STATE" in resp.json()["model"][0]


def test_another_racers_model_cannot_be_submitted_nor_seen(racer_api):
    race = f.race()
    other = f.racer()
    theirs = f.policy_model(other)
    resp = submit(racer_api, theirs, race)
    assert resp.status_code == 400
    assert "no model with id" in resp.json()["model"][0]
    assert racer_api.get(f"/api/models/{theirs.pk}/").status_code == 404
    assert racer_api.get("/api/models/").json()["count"] == 0
    with pytest.raises(submissions.SubmissionRejected):
        submissions.submission_create(racer=racer_api.racer, model=theirs, race=race)


def test_an_archived_model_cannot_be_entered():
    racer = f.racer()
    model = f.policy_model(racer)
    model.archived_at = timezone.now()
    model.save()
    with pytest.raises(submissions.SubmissionRejected) as caught:
        submissions.submission_create(racer=racer, model=model, race=f.race())
    assert "upload it again" in caught.value.errors["model"][0]
    assert not Submission.objects.exists()


def test_another_racers_submission_is_invisible(racer_api):
    race = f.race()
    other = f.racer()
    theirs = submissions.submission_create(racer=other, model=f.policy_model(other), race=race)
    mine = submissions.submission_create(
        racer=racer_api.racer, model=f.policy_model(racer_api.racer), race=race
    )
    assert racer_api.get(f"/api/submissions/{theirs.pk}/").status_code == 404
    listed = racer_api.get("/api/submissions/").json()
    assert [s["id"] for s in listed["results"]] == [mine.pk]


def test_submissions_need_authentication(api):
    race = f.race()
    assert api.post("/api/submissions/", {"model": 1, "race": race.pk}, format="json").status_code in (401, 403)
    assert api.get("/api/submissions/").status_code in (401, 403)


def test_platform_faults_are_retried_then_end_in_error_without_using_quota(settings):
    settings.RACING = {**settings.RACING, "PYTHON": "/nonexistent/python", "MAX_ATTEMPTS": 3}
    race = f.race(daily_quota=1, total_quota=1)
    racer = f.racer()
    model = f.policy_model(racer)
    submission = submissions.submission_create(racer=racer, model=model, race=race)
    statuses = [worker.submission_race(submission.pk) for _ in range(3)]
    assert statuses == ["queued", "queued", "error"]
    submission.refresh_from_db()
    assert submission.status == "error" and submission.attempts == 3
    assert "Platform error after 3 attempts" in submission.error
    # Not counted: the racer may submit again.
    settings.RACING = {**settings.RACING, "PYTHON": ""}
    again = submissions.submission_create(racer=racer, model=model, race=race)
    assert worker.submission_race(again.pk) == "finished"


def test_retry_is_queued_with_backoff(settings):
    from django_tasks_db.models import DBTaskResult

    settings.RACING = {**settings.RACING, "PYTHON": "/nonexistent/python", "RETRY_BACKOFF_S": 30}
    race = f.race()
    racer = f.racer()
    submission = submissions.submission_create(racer=racer, model=f.policy_model(racer), race=race)
    worker.submission_race(submission.pk)
    submission.refresh_from_db()
    task = DBTaskResult.objects.get(pk=submission.task_id)
    assert task.run_after > timezone.now() + timedelta(seconds=20)
    assert "trying again" in submission.error


def test_reclaim_requeues_an_abandoned_submission():
    race = f.race()
    racer = f.racer()
    submission = submissions.submission_create(racer=racer, model=f.policy_model(racer), race=race)
    claim = worker.submission_claim(submission.pk)
    assert worker.submissions_reclaim() == 0  # lease still valid
    Submission.objects.filter(pk=submission.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert worker.submissions_reclaim() == 1
    submission.refresh_from_db()
    assert submission.status == "queued"
    # The dead worker's late result is discarded.
    with pytest.raises(worker.LeaseLost):
        worker.result_record(claim=claim, data={"status": "finished"}, replay_path=None)
    assert worker.submission_race(submission.pk) == "finished"


def test_reclaim_requeues_a_submission_whose_worker_died_before_claiming_it(settings):
    # The worker took the task (RUNNING) and died before it marked the submission
    # running: no lease to expire, and the task stays RUNNING forever.
    from django_tasks_db.models import DBTaskResult

    race = f.race()
    racer = f.racer()
    submission = submissions.submission_create(racer=racer, model=f.policy_model(racer), race=race)
    long_ago = timezone.now() - timedelta(seconds=3 * settings.RACING["LEASE_S"])
    Submission.objects.filter(pk=submission.pk).update(created_at=long_ago)
    DBTaskResult.objects.filter(pk=submission.task_id).update(status="RUNNING", started_at=long_ago)

    assert worker.submissions_reclaim() == 1
    fresh = Submission.objects.get(pk=submission.pk)
    assert fresh.status == "queued" and fresh.task_id != submission.task_id
    assert DBTaskResult.objects.get(pk=fresh.task_id).status == "READY"
    assert DBTaskResult.objects.get(pk=submission.task_id).status == "FAILED"
    assert worker.submissions_reclaim() == 0  # once


def test_deeply_nested_json_body_is_a_400_not_a_500(racer_api):
    racer_api.raise_request_exception = False
    body = "[" * 100_000 + "]" * 100_000
    resp = racer_api.post("/api/submissions/", body, content_type="application/json")
    assert resp.status_code == 400
    assert "JSON" in resp.json()["detail"]
