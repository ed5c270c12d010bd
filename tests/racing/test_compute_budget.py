"""The daily compute budget: the CPU time of a racer's runs is recorded on each
submission (failed runs too, never the platform's faults) and, once a day's budget is
spent, a new submission is refused with a 429 that says when it resets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from racing import submissions, worker
from racing.models import Submission
from racing.quotas import quota_usage
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def budget(settings):
    settings.RACING = {**settings.RACING, "DAILY_CPU_S": 600.0}


def ended(racer, race, *, cpu_s: float, status: str = "failed", when=None):
    model = f.policy_model(racer)
    return Submission.objects.create(racer=racer, model=model, race=race, status=status,
                                     cpu_s=cpu_s, finished_at=when or timezone.now())


def test_a_spent_budget_is_a_429_until_midnight_utc(api, budget):
    racer = f.racer()
    api.force_authenticate(racer.user)
    other_race = f.race(daily_quota=50, status="closed")
    race = f.race(daily_quota=50)
    ended(racer, other_race, cpu_s=400.0)  # every race counts, failed runs too
    ended(racer, race, cpu_s=150.0, when=timezone.now() - timedelta(days=1))  # yesterday's
    model = f.policy_model(racer)

    def post():
        return api.post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json")

    first = post()
    assert first.status_code == 202, first.json()
    ended(racer, race, cpu_s=200.0)
    resp = post()
    assert resp.status_code == 429
    message = resp.json()["race"][0]
    assert "compute budget" in message and "10 minutes of CPU" in message and "00:00 UTC" in message
    assert quota_usage(racer, race, timezone.now()).left_today == 0


def test_other_racers_and_no_budget(settings, budget):
    race = f.race(daily_quota=50)
    spender, other = f.racer(), f.racer()
    ended(spender, race, cpu_s=600.0)
    with pytest.raises(submissions.QuotaExceeded):
        submissions.submission_create(racer=spender, model=f.policy_model(spender), race=race)
    submissions.submission_create(racer=other, model=f.policy_model(other), race=race)
    settings.RACING = {**settings.RACING, "DAILY_CPU_S": 0.0}  # the organiser turned it off
    submissions.submission_create(racer=spender, model=f.policy_model(spender), race=race)


def test_the_worker_records_the_cpu_time_of_a_run(budget):
    race = f.race(tracks=[f.track("oval-loop")], laps=1)
    racer = f.racer()
    submission = submissions.submission_create(racer=racer, model=f.policy_model(racer), race=race)
    assert worker.submission_race(submission.pk) == Submission.Status.FINISHED
    submission.refresh_from_db()
    assert submission.cpu_s > 0
    assert quota_usage(racer, race, timezone.now()).cpu_today_s == pytest.approx(submission.cpu_s)
