"""The integration test's league, made and read inside a deployment: run as
`python -m tests.integration.scenario setup|snapshot|videos` with that deployment's
environment (DATABASE_URL, STORAGE_URL...), so that it goes through the same settings, ORM
and storage as the deployment's own processes. It prints one JSON object.

The test process itself never opens the deployments' databases: pytest-django owns its
connections, and this way each deployment is read exactly as its servers read it.

Importing this module does not set Django up, so the test imports the model list from it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter

RACERS = 50
SUBMISSIONS_PER_RACER = 4
LAPS = 2
TIME_CAP_S = 20.0
SPEED_STEP = 0.032  # m/s between the speed caps of two models


def model_speed_cap(j: int) -> float:
    """Model j's top speed (j = 0..99). On oval-loop with 2 laps and a 20 s cap, caps up to
    about 2.1 m/s end DNF and faster ones finish, every time and progress distinct, so the
    board's order never rests on a tie (ties break by submission order, which two web
    processes taking submissions at once do not fix)."""
    return round(0.8 + SPEED_STEP * j, 3)


def model_metadata(j: int) -> dict:
    return {
        "action_space": {
            "steering_angle": {"low": -30.0, "high": 30.0},
            "speed": {"low": 0.5, "high": model_speed_cap(j)},
        },
        "sensor": ["STATE"],
        "neural_network": "HAND_DESIGNED",
        "training_algorithm": "none",
        "action_space_type": "continuous",
        "version": "5",
    }


def model_onnx() -> bytes:
    """Every model is the STATE house driver; the metadata's speed cap tells them apart."""
    from simulator.drivers import state_driver  # only where models are made

    return state_driver().SerializeToString()


def racer_models(k: int) -> tuple[int, int]:
    """Racer k's two models, A and B (B is a little faster: it is their best)."""
    return 2 * k, 2 * k + 1


def alias(k: int) -> str:
    return f"Racer {k:02d}"


def submission_plan(racers: list[dict]) -> list[tuple[int, int]]:
    """(racer index, model id) of every submission, in the order they are sent: round by
    round, A, B, A, B for each racer."""
    return [
        (k, racer["models"][rnd % 2])
        for rnd in range(SUBMISSIONS_PER_RACER)
        for k, racer in enumerate(racers)
    ]


# --- Commands (inside the deployment) -------------------------------------------------------


def setup(api_models: set[int]) -> dict:
    """The season, its one race, the racers, their API tokens and their models (except the
    models in `api_models`, which the test uploads through the API)."""
    # Here and below: Django is set up by main() first, so nothing of it at import time.
    from django.test import override_settings

    from league.services import api_token_get, racer_signup
    from tests import factories as f

    race = f.race(
        slug="scale-out", tracks=[f.track("oval-loop")], laps=LAPS, time_cap_s=TIME_CAP_S,
        daily_quota=SUBMISSIONS_PER_RACER, total_quota=SUBMISSIONS_PER_RACER,
    )  # fmt: skip
    onnx = model_onnx()
    racers = []
    # The racers only ever use their API tokens: a real password hash each (PBKDF2, half
    # a second of CPU) would spend the test's two cores on set-up.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for k in range(RACERS):
            racer = racer_signup(username=f"racer{k:02d}", password=f.PASSWORD, alias=alias(k))
            models = [
                None if j in api_models
                else f.policy_model(racer, name=f"speed-{j}", onnx_bytes=onnx, metadata=model_metadata(j)).pk
                for j in racer_models(k)
            ]  # fmt: skip
            racers.append({"alias": racer.alias, "token": api_token_get(racer.user).key, "models": models})
    return {"race": race.pk, "season": race.season.slug, "racers": racers}


def snapshot(race_id: int) -> dict:
    """Everything the test checks: submissions, results, the board, the season's
    standings, the queue's task rows and the videos."""
    # Django is set up by main() first.
    from django.core.files.storage import storages
    from django.db import connection
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from league.models import Race
    from racing import selectors
    from racing.models import RaceStanding, Result, Submission
    from racing.worker import race_submission

    race = Race.objects.select_related("season").get(pk=race_id)
    results = {r.submission_id: r for r in Result.objects.filter(race=race)}
    hashes = {r.pk: r.trajectory_sha256 for r in results.values()}
    board = [
        {
            "rank": row["rank"], "racer": row["racer"], "finished": row["finished"],
            "time_s": row["time_s"], "laps": row["laps"], "progress": row["progress"],
            "best_lap_s": row["best_lap_s"], "off_track_count": row["off_track_count"],
            "submissions": row["submissions"], "trajectory_sha256": hashes.get(row["result_id"]),
            "result_id": row["result_id"],
        }
        for row in selectors.race_leaderboard_rows(race, limit=10_000)
    ]  # fmt: skip
    tasks = DBTaskResult.objects.filter(task_path=race_submission.module_path)
    task_status = {str(pk): status for pk, status in tasks.values_list("id", "status")}
    submissions = [
        {
            "id": s.pk, "racer": s.racer.alias, "model": s.model_id, "status": s.status,
            "attempts": s.attempts, "error": s.error,
            "task_status": task_status.get(s.task_id),
            "result_id": results[s.pk].pk if s.pk in results else None,
        }
        for s in Submission.objects.filter(race=race).select_related("racer").order_by("pk")
    ]  # fmt: skip
    return {
        "submissions": submissions,
        "results_per_submission": dict(
            Counter(Result.objects.filter(race=race).values_list("submission_id", flat=True))
        ),
        "board": board,
        "standings_rows": RaceStanding.objects.filter(race=race).count(),
        "season": selectors.season_standing_rows(race.season, limit=10_000),
        "tasks": {
            "by_status": dict(tasks.values_list("status").annotate(n=Count("id")).values_list("status", "n")),
            "failed": list(tasks.filter(status="FAILED").values_list("exception_class_path", flat=True)),
        },
        "deployment": {"database": connection.vendor, "storage": type(storages["default"]).__name__},
        "videos": dict(Result.objects.filter(race=race).values_list("pk", "video_status")),
        "files": [name for r in results.values() for name in (r.replay.name, r.video.name) if name],
    }


def videos(race_id: int, count: int) -> dict:
    """Queue the videos of the board's first `count` results (what a landing result does
    when RACING_VIDEOS is on): the video worker renders them from the stored replays."""
    # Django is set up by main() first.
    from league.models import Race
    from racing import selectors
    from racing.videos import video_enqueue

    race = Race.objects.get(pk=race_id)
    ids = [row["result_id"] for row in selectors.race_leaderboard_rows(race, limit=count)]
    for result_id in ids:
        video_enqueue(result_id)
    return {"results": ids}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("setup")
    s.add_argument("--api-models", default="", help="comma-separated model numbers left for the API")
    for name in ("snapshot", "videos"):
        p = sub.add_parser(name)
        p.add_argument("--race", type=int, required=True)
    sub.choices["videos"].add_argument("--count", type=int, default=3)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django  # after the settings module is chosen

    django.setup()
    if args.command == "setup":
        out = setup({int(j) for j in args.api_models.split(",") if j})
    elif args.command == "snapshot":
        out = snapshot(args.race)
    else:
        out = videos(args.race, args.count)
    json.dump(out, sys.stdout, default=str)

if __name__ == "__main__":
    main()
