"""Fixtures of the page tests: racers, races and results made through the real services
(small boards) or bulk-written standings (big boards)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from league.models import Race, Racer
from racing.models import RaceStanding
from racing.standings import points_for
from racing.models import PolicyModel, Result, Submission
from racing.worker import result_record, submission_claim, submission_fail
from racing.submissions import submission_create
from tests import factories as F


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def race(db) -> Race:
    return F.race()


@pytest.fixture
def racer(db) -> Racer:
    return F.racer("Apex Hunter", username="apex")


@pytest.fixture
def other(db) -> Racer:
    return F.racer("Slipstream", username="slip")


@pytest.fixture
def me(client, racer) -> Racer:
    """The racer, logged in on `client`."""
    client.force_login(racer.user)
    return racer


def run_result(
    racer: Racer,
    race: Race,
    *,
    lap_times=None,
    finished: bool = True,
    laps_done: int | None = None,
    progress: float = 0.0,
    off_track: int = 0,
    model: PolicyModel | None = None,
) -> Result:
    """A submission raced to a result through the real services (claim, record,
    standings rebuild). Finished: `lap_times` (default 3 laps of 20 s); DNF: `laps_done`
    laps and `progress` into the next."""
    model = model or PolicyModel.objects.filter(owner=racer).first() or F.policy_model(racer)
    submission = submission_create(racer=racer, model=model, race=race)
    claim = submission_claim(submission.pk)
    penalty = off_track * race.off_track_penalty_s
    if finished:
        laps = list(lap_times or [20.0] * race.laps)
        total = round(sum(laps) + penalty, 3)
        data = {
            "status": "finished",
            "laps_completed": len(laps),
            "lap_times_s": laps,
            "total_time_s": total,
            "best_lap_s": min(laps),
            "avg_lap_s": round(total / len(laps), 3),
            "progress": 0.0,
            "official_time_s": total,
        }
    else:
        laps = list(lap_times or [25.0] * (laps_done or 0))
        data = {
            "status": "dnf",
            "laps_completed": len(laps),
            "lap_times_s": laps,
            "total_time_s": None,
            "best_lap_s": min(laps) if laps else None,
            "avg_lap_s": None,
            "progress": progress,
            "official_time_s": None,
        }
    data.update(
        off_track_count=off_track,
        penalty_s=penalty,
        steps=900,
        trajectory_sha256="ab" * 32,
        simulator_version="1.0.0",
        onnxruntime_version="1.20.0",
        numpy_version="2.1.0",
        model_sha256=model.sha256,
        error=None,
        timing_method=race.timing_method,
    )
    return result_record(claim=claim, data=data, replay_path=None)


def failed_submission(racer: Racer, race: Race, message: str) -> Submission:
    model = PolicyModel.objects.filter(owner=racer).first() or F.policy_model(racer)
    submission = submission_create(racer=racer, model=model, race=race)
    submission_fail(submission_claim(submission.pk), message)
    submission.refresh_from_db()
    return submission


def bulk_board(race: Race, n: int, *, dnf: int = 0) -> None:
    """A board of `n` racers written in bulk (users, racers, submissions, results and the
    stored standings), for size and query-count tests. The last `dnf` rows did not finish."""
    User = get_user_model()
    tag = F.unique("b")
    users = User.objects.bulk_create(
        [User(username=f"{tag}-{i}", password="!") for i in range(n)], batch_size=1000
    )
    racers = Racer.objects.bulk_create(
        [Racer(user=u, alias=f"{tag} racer {i:05d}") for i, u in enumerate(users)], batch_size=1000
    )
    model = F.policy_model(racers[0])
    now = timezone.now()
    submissions = Submission.objects.bulk_create(
        [
            Submission(racer=r, model=model, race=race, status="finished", created_at=now - timedelta(minutes=i))
            for i, r in enumerate(racers)
        ],
        batch_size=1000,
    )
    results, standings = [], []
    for i, (r, s) in enumerate(zip(racers, submissions)):
        finished = i < n - dnf
        time_s = 60.0 + i * 0.01 if finished else None
        results.append(
            Result(
                submission=s, race=race, racer=r, status="finished" if finished else "dnf",
                timing_method=race.timing_method, official_time_s=time_s,
                laps_completed=race.laps if finished else 1, lap_times_s=[20.0] * (race.laps if finished else 1),
                total_time_s=time_s, best_lap_s=19.5, avg_lap_s=20.0, progress=0.0 if finished else 0.5,
                off_track_count=0, steps=900, trajectory_sha256="cd" * 32, simulator_version="1.0.0",
                onnxruntime_version="1.20.0", numpy_version="2.1.0", model_sha256=model.sha256,
            )  # fmt: skip
        )
    results = Result.objects.bulk_create(results, batch_size=1000)
    for i, (r, s, res) in enumerate(zip(racers, submissions, results)):
        finished = res.status == "finished"
        standings.append(
            RaceStanding(
                race=race, racer=r, result=res, rank=i + 1, finished=finished, time_s=res.official_time_s,
                best_lap_s=res.best_lap_s, laps=res.laps_completed, progress=res.progress,
                off_track_count=0, submissions=1, submitted_at=s.created_at, points=points_for(i + 1, finished),
            )  # fmt: skip
        )
    RaceStanding.objects.bulk_create(standings, batch_size=1000)


# --- Community races ----------------------------------------------------------------------


def facilitator(alias: str = "Fran Facilitator", **kwargs) -> Racer:
    """tests.factories.facilitator with the pages' default alias."""
    return F.facilitator(alias, **kwargs)


def community_race(owner: Racer, *, name: str = "Friday Fast Laps", track=None, **settings) -> Race:
    """tests.factories.community_race with the pages' default name."""
    return F.community_race(owner, on=track, name=name, **settings)


@pytest.fixture
def fran(db) -> Racer:
    return facilitator()
