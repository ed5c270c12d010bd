"""The submission page: owner only (404 for anyone else), status, error, result figures,
lap times; hooks for live updates."""

from __future__ import annotations

import pytest
from django.urls import reverse

from racing.submissions import submission_create
from tests import factories as F

from .conftest import failed_submission, run_result

pytestmark = pytest.mark.django_db


def test_finished_submission_shows_its_result(client, race, me):
    result = run_result(me, race, lap_times=[22.114, 21.9, 23.328], off_track=1)
    url = reverse("submission", args=[result.submission_id])

    response = client.get(url)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'data-submission-id="{result.submission_id}" data-status="finished"' in html
    assert "1:10.342" in html  # 67.342 + 3 s penalty
    assert "21.900" in html and "+0.214" in html and "+1.428" in html  # laps and deltas
    assert "best-lap" in html
    assert result.trajectory_sha256 in html
    assert "This run is your best: P1" in html
    assert reverse("race", args=[race.pk]) in html


def test_dnf_submission(client, race, me):
    result = run_result(me, race, finished=False, laps_done=2, progress=0.4, off_track=6)
    html = client.get(reverse("submission", args=[result.submission_id])).content.decode()
    assert "did not finish" in html.lower() and "2/3 laps + 40%" in html


def test_failed_submission_shows_the_message(client, race, me):
    submission = failed_submission(me, race, "The policy output NaN at step 212 (lap 1).")
    html = client.get(reverse("submission", args=[submission.pk])).content.decode()
    assert "badge-failed" in html and "The policy output NaN at step 212 (lap 1)." in html
    assert "do not count against your quota" in html


def test_queued_submission(client, race, me):
    submission = submission_create(racer=me, model=F.policy_model(me), race=race)
    html = client.get(reverse("submission", args=[submission.pk])).content.decode()
    assert f'id="submission-status" data-submission-id="{submission.pk}" data-status="queued"' in html
    assert "Waiting for a free worker" in html


def test_someone_elses_submission_is_404(client, race, me, other):
    theirs = run_result(other, race)
    assert client.get(reverse("submission", args=[theirs.submission_id])).status_code == 404
    assert client.get(reverse("submission", args=[987654])).status_code == 404


def test_anonymous_visitors_must_log_in(client, race, racer):
    result = run_result(racer, race)
    response = client.get(reverse("submission", args=[result.submission_id]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_submission_page_queries_are_bounded(client, race, me, django_assert_max_num_queries):
    result = run_result(me, race)
    # 6, and the two permission reads of the navigation's "Organise" link (facilitators).
    with django_assert_max_num_queries(8):
        assert client.get(reverse("submission", args=[result.submission_id])).status_code == 200
