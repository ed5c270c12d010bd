"""A league database made by the first version (standings in `league`, tasks at their old
paths) migrates forward with every row intact."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from league.models import Race, Racer, Season
from racing.models import PolicyModel, RaceStanding, Result, SeasonStanding, Submission

# Where the first version's schema ended.
FIRST_VERSION = [
    ("league", "0002_initial"),
    ("racing", "0002_submission_progress_lap"),
]


def _migrate(targets):
    """Migrate league and racing to `targets`, every other app to its latest; the models
    of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    moved = {app for app, _ in targets}
    others = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] not in moved]
    return executor.loader.project_state(targets + others).apps


def _first_version_league(apps) -> dict:
    """Rows of every kind, made with the first version's models."""
    User = apps.get_model("auth", "User")
    Track = apps.get_model("tracks", "Track")
    OldRacer = apps.get_model("league", "Racer")
    OldSeason = apps.get_model("league", "Season")
    OldRace = apps.get_model("league", "Race")
    OldRaceStanding = apps.get_model("league", "RaceStanding")
    OldSeasonStanding = apps.get_model("league", "SeasonStanding")
    OldModel = apps.get_model("racing", "PolicyModel")
    OldSubmission = apps.get_model("racing", "Submission")
    OldResult = apps.get_model("racing", "Result")
    Task = apps.get_model("django_tasks_database", "DBTaskResult")
    ContentType = apps.get_model("contenttypes", "ContentType")

    now = timezone.now()
    user = User.objects.create(username="ann")
    racer = OldRacer.objects.create(user=user, alias="Ann", created_at=now)
    track = Track.objects.create(
        slug="oval", name="Oval", file="tracks/oval.npy", sha256="0" * 64, length_m=20.0,
        min_width_m=1.0, max_width_m=1.2, waypoints=100,
    )  # fmt: skip
    season = OldSeason.objects.create(slug="s1", name="Season 1", status="open", opened_at=now)
    race = OldRace.objects.create(season=season, track=track, laps=2, timing_method="BEST_LAP_TIME")
    model = OldModel.objects.create(
        owner=racer, name="m", onnx="models/1/x/model.onnx", metadata={"sensor": ["STATE"]},
        sha256="1" * 64, sensors=["STATE"], action_space_type="continuous", size_bytes=10,
    )  # fmt: skip
    finished = OldSubmission.objects.create(racer=racer, model=model, race=race, status="finished")
    queued = OldSubmission.objects.create(racer=racer, model=model, race=race, status="queued")
    result = OldResult.objects.create(
        submission=finished, race=race, racer=racer, status="finished", timing_method="BEST_LAP_TIME",
        official_time_s=12.5, laps_completed=2, lap_times_s=[13.0, 12.5], total_time_s=25.5,
        best_lap_s=12.5, avg_lap_s=12.75, progress=1.0, off_track_count=1, penalty_s=3.0, steps=383,
        trajectory_sha256="2" * 64, simulator_version="1", onnxruntime_version="1", numpy_version="1",
        model_sha256="1" * 64, replay="replays/1/r.json",
    )  # fmt: skip
    OldRaceStanding.objects.create(
        race=race, racer=racer, result=result, rank=1, finished=True, time_s=12.5, best_lap_s=12.5,
        laps=2, progress=1.0, off_track_count=1, submissions=1, submitted_at=now, points=25,
    )  # fmt: skip
    OldSeasonStanding.objects.create(season=season, racer=racer, rank=1, points=25, races=1, wins=1, best_rank=1)
    task_id = uuid.uuid4()
    Task.objects.create(
        id=task_id, status="READY", args_kwargs={"args": [queued.pk], "kwargs": {}}, priority=0,
        task_path="racing.tasks.race_submission", queue_name="default", backend_name="default",
        run_after=now, exception_class_path="", traceback="",
    )  # fmt: skip
    ContentType.objects.get_or_create(app_label="league", model="racestanding")
    return {"racer": racer.pk, "race": race.pk, "season": season.pk, "result": result.pk,
            "queued": queued.pk, "task": task_id}  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_first_version_database_migrates_forward_with_nothing_lost():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    ids = _first_version_league(_migrate(FIRST_VERSION))
    _migrate(latest)

    race = Race.objects.get(pk=ids["race"])
    assert race.laps == 2 and race.timing_method == "BEST_LAP_TIME"
    assert Season.objects.get(pk=ids["season"]).status == "open"
    assert Racer.objects.get(pk=ids["racer"]).alias == "Ann"
    result = Result.objects.get(pk=ids["result"])
    assert result.lap_times_s == [13.0, 12.5] and result.is_finished
    assert PolicyModel.objects.get().name == "m"
    assert Submission.objects.count() == 2

    standing = RaceStanding.objects.get()
    assert (standing.race_id, standing.result_id, standing.rank, standing.points) == (race.pk, result.pk, 1, 25)
    assert SeasonStanding.objects.get().points == 25
    assert RaceStanding._meta.db_table == "racing_racestanding"
    assert standing.simulator_version == "1"  # copied from its result

    assert ContentType.objects.filter(app_label="racing", model="racestanding").exists()
    assert not ContentType.objects.filter(app_label="league", model="racestanding").exists()
    task = DBTaskResult.objects.get(pk=ids["task"])
    assert task.task_path == "racing.worker.race_submission"
    assert task.task.func.__name__ == "race_submission"  # the path imports
