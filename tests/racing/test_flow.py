"""The whole flow through the API with a real `db_worker` process: sign up, upload,
submit, race, result, rank, standings; a failing policy; a killed worker."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from racing.models import RaceStanding, Result, SeasonStanding, Submission
from racing.submissions import submission_create
from tests import factories as f
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def sign_up(api, username: str, alias: str) -> str:
    resp = api.post(
        "/api/auth/signup/",
        {"username": username, "password": f.PASSWORD, "alias": alias},
        format="json",
    )
    assert resp.status_code == 201, resp.json()
    return resp.json()["token"]


def submission_status(api, submission_id: int, *statuses: str):
    body = api.get(f"/api/submissions/{submission_id}/").json()
    return body if body["status"] in statuses else None


def test_sign_up_upload_submit_race_rank(api, start_worker):
    race = f.race(slug="spring", tracks=[f.track("oval-loop")])
    token = sign_up(api, "alice", "Alice Fast")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    # The same token comes back from the token endpoint.
    again = api.post("/api/auth/token/", {"username": "alice", "password": f.PASSWORD}, format="json")
    assert again.json() == {"token": token}

    upload = api.post(
        "/api/models/",
        {
            "name": "pursuit",
            "onnx": SimpleUploadedFile("model.onnx", f.good_state_onnx()),
            "metadata": SimpleUploadedFile("model_metadata.json", json.dumps(f.state_metadata()).encode()),
        },
        format="multipart",
    )
    assert upload.status_code == 201, upload.json()
    model_id = upload.json()["id"]

    seasons = api.get("/api/seasons/").json()["results"]
    listed_race = seasons[0]["races"][0]
    assert listed_race["id"] == race.pk and listed_race["accepting_submissions"] is True
    assert listed_race["track"] == "oval-loop"

    resp = api.post("/api/submissions/", {"model": model_id, "race": race.pk}, format="json")
    assert resp.status_code == 202, resp.json()
    assert resp.json()["status"] == "queued"
    submission_id = resp.json()["id"]

    start_worker()
    body = wait_for(lambda: submission_status(api, submission_id, "finished", "failed", "error"),
                    what="the race to end")
    assert body["status"] == "finished", body
    result = body["result"]
    for key in ("status", "laps_completed", "lap_times_s", "total_time_s", "best_lap_s",
                "official_time_s", "trajectory_sha256", "simulator_version", "model_sha256", "id"):
        assert key in result
    assert result["status"] == "finished" and result["laps_completed"] == 3
    assert result["model_sha256"] == upload.json()["sha256"]
    assert result["replay_url"]

    board = api.get(f"/api/races/{race.pk}/leaderboard/").json()
    assert board["count"] == 1
    row = board["results"][0]
    assert row["rank"] == 1 and row["racer"] == "Alice Fast"
    assert row["time_s"] == result["official_time_s"] and row["gap_s"] == 0
    assert row["result_id"] == result["id"] and row["submissions"] == 1

    standings = api.get(f"/api/seasons/{race.season.slug}/standings/").json()
    assert standings["results"][0]["racer"] == "Alice Fast"
    assert standings["results"][0]["points"] == 25

    public = api.__class__()  # results and boards are public
    assert public.get(f"/api/results/{result['id']}/").json()["official_time_s"] == row["time_s"]
    assert public.get(f"/api/races/{race.pk}/leaderboard/").status_code == 200


def test_policy_failing_at_race_time_ends_failed_and_the_worker_carries_on(start_worker):
    race = f.race(tracks=[f.track("oval-loop")])
    racer = f.racer()
    bad = f.policy_model(racer, onnx_bytes=f.nan_when_stopped_onnx())
    good = f.policy_model(racer)
    failing = submission_create(racer=racer, model=bad, race=race)
    fine = submission_create(racer=racer, model=good, race=race)
    start_worker()
    wait_for(
        lambda: Submission.objects.filter(pk__in=[failing.pk, fine.pk], status__in=["finished", "failed", "error"]).count() == 2,
        what="both races to end",
    )
    failing.refresh_from_db()
    fine.refresh_from_db()
    assert failing.status == "failed"
    assert "nan" in failing.error.lower()
    assert not Result.objects.filter(submission=failing).exists()
    assert fine.status == "finished"
    assert RaceStanding.objects.get(race=race).result.submission_id == fine.pk


def test_a_killed_worker_loses_nothing(start_worker):
    # A long race (many laps) so that the worker is killed while the child is racing.
    race = f.race(tracks=[f.track("oval-loop")], laps=40)
    racer = f.racer()
    submission = submission_create(
        racer=racer, model=f.policy_model(racer), race=race
    )
    # A short lease so the test need not wait long for the reclaim, yet renewed (every
    # lease/4) with room to spare on a busy machine.
    fast = {"RACING_LEASE_S": "6", "RACING_RECLAIM_INTERVAL_S": "0.5"}
    first = start_worker(**fast)
    wait_for(lambda: Submission.objects.filter(pk=submission.pk, status="running").exists(),
             interval_s=0.01, what="the race to start")
    first.kill()
    submission.refresh_from_db()
    assert submission.status == "running"  # abandoned mid-race

    start_worker(**fast)
    wait_for(lambda: Submission.objects.filter(pk=submission.pk, status="finished").exists(),
             what="the race to be run again")
    submission.refresh_from_db()
    assert submission.attempts == 2
    assert Result.objects.filter(submission=submission).count() == 1
    assert SeasonStanding.objects.filter(season=race.season, racer=racer).exists()
