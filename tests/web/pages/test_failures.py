"""A failed run explained on its page and in the API: where and when (figures and a map),
the replay up to the failure, the reproduce command, the usual causes; the owner's only;
a platform error never blamed on the model."""

from __future__ import annotations

import pytest
from django.urls import reverse

from racing import worker
from racing.failures import reproduce_command
from racing.submissions import submission_create
from simulator.failures import FAILURE_KINDS
from simulator.formatting import format_race_time
from tests import factories as F

pytestmark = pytest.mark.django_db


@pytest.fixture
def failed(me):
    """A run raced by the worker (in the sandbox) that fails with NaN mid-lap."""
    race = F.race(tracks=[F.track("oval-loop")])
    model = F.policy_model(me, onnx_bytes=F.nan_mid_lap_onnx(0.6))
    submission = submission_create(racer=me, model=model, race=race)
    assert worker.submission_race(submission.pk) == "failed"
    submission.refresh_from_db()
    return submission


def test_the_page_says_where_when_and_why_it_failed(client, failed):
    html = client.get(reverse("submission", args=[failed.pk])).content.decode()
    failure = failed.failure
    assert 'id="failure-title">Where it failed' in html and 'data-failure-kind="nan"' in html
    assert FAILURE_KINDS["nan"].title in html
    assert f'data-role="failure-step">{failure["step"]}<' in html
    assert f'data-role="failure-clock">{format_race_time(failure["clock_s"])}<' in html
    assert 'data-role="failure-lap">1/3<' in html
    assert 'data-role="failure-point"' in html and "<svg" in html  # the map and the point
    assert reverse("submission-replay", args=[failed.pk]) in html
    assert reproduce_command(failed.race) in html and 'data-copy="#failure-reproduce"' in html
    for cause in FAILURE_KINDS["nan"].causes:
        assert cause in html
    assert "Failed runs do not count against your quota" in html
    assert "gives the same failure at the same step" in html and "no league sandbox" not in html


def test_a_run_the_sandbox_stopped_says_home_has_no_such_limit(client, failed):
    type(failed).objects.filter(pk=failed.pk).update(failure={
        **failed.failure, "kind": "cpu_time", "message": "the race used up its CPU time (300 s): ..."})  # fmt: skip
    html = client.get(reverse("submission", args=[failed.pk])).content.decode()
    assert FAILURE_KINDS["cpu_time"].title in html and 'data-role="failure-point"' in html
    assert "your machine has no league sandbox" in html and "gives the same failure" not in html
    api = client.get(reverse("api-submission", args=[failed.pk])).json()
    assert api["failure"]["kind"] == "cpu_time" and api["failure"]["local"] is False


def test_the_replay_up_to_the_failure_opens_in_the_viewer(client, failed):
    page = client.get(reverse("submission-replay", args=[failed.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="rp-stage"' in html and 'id="replay-config"' in html
    assert reverse("api-submission-replay", args=[failed.pk]) in html
    replay = client.get(reverse("api-submission-replay", args=[failed.pk])).json()
    assert len(replay["trajectory"]) == failed.failure["step"]
    assert replay["meta"]["failure"] == failed.failure and replay["track"]["center"]


def test_the_api_carries_the_same_failure(client, failed):
    api = F.api_client(failed.racer)
    body = api.get(f"/api/submissions/{failed.pk}/").json()
    failure = body["failure"]
    assert body["status"] == "failed" and failure["kind"] == "nan" and failure["located"] is True
    for key in ("step", "clock_s", "lap", "progress", "x_m", "y_m"):
        assert failure[key] == failed.failure[key]
    assert failure["reproduce"] == reproduce_command(failed.race)
    assert failure["causes"] == list(FAILURE_KINDS["nan"].causes)
    assert failure["partial_replay_url"].endswith(reverse("api-submission-replay", args=[failed.pk]))
    assert api.get(failure["partial_replay_url"]).status_code == 200


def test_a_failure_is_its_owners_only(client, failed):
    outsider = F.racer()
    api = F.api_client(outsider)
    assert api.get(f"/api/submissions/{failed.pk}/").status_code == 404
    assert api.get(reverse("api-submission-replay", args=[failed.pk])).status_code == 404
    client.force_login(outsider.user)
    assert client.get(reverse("submission-replay", args=[failed.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("submission-replay", args=[failed.pk])).status_code == 302  # to log in


def test_a_run_that_did_not_fail_has_no_failure(client, me):
    race = F.race(tracks=[F.track("oval-loop")])
    submission = submission_create(racer=me, model=F.policy_model(me), race=race)
    assert F.api_client(me).get(f"/api/submissions/{submission.pk}/").json()["failure"] is None
    assert client.get(reverse("submission-replay", args=[submission.pk])).status_code == 404
    assert F.api_client(me).get(reverse("api-submission-replay", args=[submission.pk])).status_code == 404


def test_a_platform_error_says_so_without_blaming_the_model(client, me, settings):
    settings.RACING = {**settings.RACING, "MAX_ATTEMPTS": 1}
    race = F.race(tracks=[F.track("oval-loop")])
    submission = submission_create(racer=me, model=F.policy_model(me), race=race)
    worker.submission_platform_fault(worker.submission_claim(submission.pk), "the storage is unreachable")
    html = client.get(reverse("submission", args=[submission.pk])).content.decode()
    assert "A fault on our side, not your model's" in html
    assert "Where it failed" not in html and "What usually causes this" not in html
    assert F.api_client(me).get(f"/api/submissions/{submission.pk}/").json()["failure"] is None
