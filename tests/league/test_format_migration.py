"""league 0006 and racing 0008 keep every row: races raced before formats become time
trials with the formats' defaults, results and board rows have no collisions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from league.models import Race
from racing.models import RaceStanding, Result

BEFORE = [("league", "0005_alias_keys_and_deleted_racers"), ("racing", "0007_failures_archive_and_worker_beats")]


def _apps_at(targets):
    """league and racing at `targets`, every other app at its latest: the models then."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    moved = {app for app, _ in targets}
    others = [leaf for leaf in executor.loader.graph.leaf_nodes() if leaf[0] not in moved]
    return executor.loader.project_state(targets + others).apps


def old_racer_track_and_model(apps):
    """A racer, a track and a model, made with the models of an earlier state."""
    user = apps.get_model("auth", "User").objects.create(username="ann")
    racer = apps.get_model("league", "Racer").objects.create(user=user, alias="Ann", alias_key="ann",
                                                             created_at=timezone.now())
    track = apps.get_model("tracks", "Track").objects.create(
        slug="oval", name="Oval", file="tracks/oval.npy", sha256="0" * 64, length_m=20.0,
        min_width_m=1.0, max_width_m=1.2, waypoints=100,
    )  # fmt: skip
    model = apps.get_model("racing", "PolicyModel").objects.create(
        owner=racer, name="m", onnx="models/x/model.onnx", metadata={"sensor": ["STATE"]},
        sha256="1" * 64, sensors=["STATE"], action_space_type="continuous", size_bytes=10,
    )  # fmt: skip
    return racer, track, model


@pytest.mark.django_db(transaction=True)
def test_races_results_and_board_rows_are_kept_as_time_trials():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    apps = _apps_at(BEFORE)
    now = timezone.now()
    racer, track, model = old_racer_track_and_model(apps)
    race = apps.get_model("league", "Race").objects.create(track=track, laps=2, off_track_penalty_s=2.0, name="Old")
    submission = apps.get_model("racing", "Submission").objects.create(
        racer=racer, model=model, race=race, status="finished"
    )
    result = apps.get_model("racing", "Result").objects.create(
        submission=submission, race=race, racer=racer, status="finished", timing_method="TOTAL_TIME",
        official_time_s=30.0, laps_completed=2, progress=0.0, off_track_count=1, penalty_s=2.0, steps=450,
        trajectory_sha256="a" * 64, simulator_version="1", onnxruntime_version="1", numpy_version="1",
        model_sha256="b" * 64,
    )  # fmt: skip
    apps.get_model("racing", "RaceStanding").objects.create(
        race=race, racer=racer, result=result, rank=1, finished=True, time_s=30.0, laps=2, progress=0.0,
        off_track_count=1, submissions=1, submitted_at=now,
    )  # fmt: skip

    MigrationExecutor(connection).migrate(latest)

    kept = Race.objects.get(pk=race.pk)
    assert (kept.name, kept.laps, kept.off_track_penalty_s) == ("Old", 2, 2.0)
    assert kept.format == "time_trial" and kept.seed == 0
    assert (kept.object_count, kept.placement, kept.fixed_positions, kept.bots) == (6, "random", [], 3)
    assert (kept.bot_speed_m_s, kept.bot_lane_change, kept.collision_penalty_s) == (0.75, False, 5.0)
    kept_result = Result.objects.get(pk=result.pk)
    assert kept_result.collision_count == 0 and kept_result.off_track_count == 1 and kept_result.penalty_s == 2.0
    row = RaceStanding.objects.get(race_id=race.pk)
    assert row.collision_count == 0 and row.off_track_count == 1 and row.result_id == result.pk
