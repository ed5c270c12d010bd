"""Server benchmarks (timings live here, never in tests).

- Leaderboard API: p50/p99 of GET /api/races/{id}/leaderboard/ on a race seeded with
  10,000 racers and 100,000 results, through Django's full request stack.
- Submit-to-leaderboard: POST /api/submissions/ of the STATE house driver until its
  result is on the stored board, with a real `db_worker` process, p50/p95.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from django.core.files.storage import default_storage
from django.test import Client
from rest_framework.test import APIClient

from league.models import Race, Racer, Season
from league.services import api_token_get, racer_signup, season_create, season_open
from racing.models import PolicyModel, RaceStanding, Result, Submission
from racing.standings import standings_rebuild
from racing.uploads import model_upload
from simulator.drivers import house_drivers
from tracks.models import Track
from tracks.services import tracks_load_shipped

BENCH_SEASON = "bench"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def bench_season() -> Season:
    """A season `bench` with a race per track (tracks loaded if needed), open."""
    if not Track.objects.exists():
        tracks_load_shipped()
    season = Season.objects.filter(slug=BENCH_SEASON).first()
    if season is None:
        season = season_create(
            slug=BENCH_SEASON, name="Benchmark", tracks=list(Track.objects.order_by("name")),
            daily_quota=100_000, total_quota=100_000,
        )  # fmt: skip
    if season.status != Season.Status.OPEN:
        season = season_open(season)
    return season


def seed_leaderboard(race: Race, *, racers: int, results: int, seed: int = 0, log=print) -> None:
    """Add `racers` racers and `results` results (finished and DNF) to a race, then
    rebuild its standings. Uses bulk inserts; models share one small file."""
    rng = np.random.default_rng(seed)
    User = get_user_model()
    prefix = f"seed{race.pk}-{int(time.time())}-"
    password = make_password(None)
    t0 = time.perf_counter()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [User(username=f"{prefix}{k}", password=password) for k in range(racers)], batch_size=2000
        )
        if users[0].pk is None:
            users = list(User.objects.filter(username__startswith=prefix).order_by("pk"))
        racer_objs = Racer.objects.bulk_create(
            [Racer(user=u, alias=f"Seeded {race.pk}.{k} {prefix[-6:]}") for k, u in enumerate(users)],
            batch_size=2000,
        )
        if racer_objs[0].pk is None:
            racer_objs = list(Racer.objects.filter(user__username__startswith=prefix).order_by("pk"))
        onnx_name = f"models/seeded/{prefix}model.onnx"
        onnx_name = default_storage.save(onnx_name, ContentFile(b"seeded"))
        sha = hashlib.sha256(b"seeded").hexdigest()
        models = PolicyModel.objects.bulk_create(
            [
                PolicyModel(owner=r, name="seeded", onnx=onnx_name, metadata={}, sha256=sha,
                            sensors=["STATE"], action_space_type="continuous", size_bytes=6)
                for r in racer_objs
            ],
            batch_size=2000,
        )  # fmt: skip
        if models[0].pk is None:
            models = list(PolicyModel.objects.filter(owner__in=racer_objs).order_by("owner_id"))
        log(f"  {racers} racers in {time.perf_counter() - t0:.1f} s")
        owners = rng.integers(0, racers, size=results)
        owners[:racers] = np.arange(racers)  # every racer has at least one result
        now = timezone.now()
        batch = 5000
        for start in range(0, results, batch):
            idx = owners[start : start + batch]
            subs = Submission.objects.bulk_create(
                [
                    Submission(racer=racer_objs[i], model=models[i], race=race, status="finished", attempts=1,
                               created_at=now - timedelta(seconds=int(rng.integers(0, 30 * 86400))))
                    for i in idx
                ]
            )  # fmt: skip
            if subs[0].pk is None:
                raise RuntimeError("this database does not return ids from bulk inserts")
            res = []
            for sub, i in zip(subs, idx):
                finished = rng.random() > 0.1
                laps = race.laps if finished else int(rng.integers(0, race.laps))
                lap_times = [round(float(rng.uniform(5.0, 20.0)), 3) for _ in range(laps)]
                total = round(sum(lap_times), 3) if finished else None
                res.append(
                    Result(
                        submission=sub, race=race, racer=racer_objs[i],
                        status="finished" if finished else "dnf", timing_method=race.timing_method,
                        official_time_s=total, laps_completed=laps, lap_times_s=lap_times,
                        total_time_s=total, best_lap_s=min(lap_times) if lap_times else None,
                        avg_lap_s=round(sum(lap_times) / laps, 3) if lap_times else None,
                        progress=0.0 if finished else float(rng.random()), off_track_count=int(rng.integers(0, 4)),
                        steps=1000, trajectory_sha256="0" * 64, simulator_version="seed",
                        onnxruntime_version="seed", numpy_version="seed", model_sha256=sha,
                        video_status="failed",
                    )
                )  # fmt: skip
            Result.objects.bulk_create(res)
            log(f"  {min(start + batch, results)} results")
    t1 = time.perf_counter()
    standings_rebuild(race)
    log(f"  standings rebuilt in {time.perf_counter() - t1:.1f} s")


def bench_leaderboard(race: Race, *, requests: int = 1000, seed: int = 1) -> dict:
    client = Client()
    count = RaceStanding.objects.filter(race=race).count()
    pages = max(1, (count + 49) // 50)
    rng = np.random.default_rng(seed)
    url = f"/api/races/{race.pk}/leaderboard/"
    for _ in range(20):  # warm up
        client.get(url)
    times = []
    for k in range(requests):
        page = 1 if k % 4 == 0 else int(rng.integers(1, pages + 1))
        t0 = time.perf_counter()
        resp = client.get(url, {"page": page})
        times.append((time.perf_counter() - t0) * 1000)
        if resp.status_code != 200:
            raise RuntimeError(f"leaderboard answered {resp.status_code}")
    return {
        "race": race.pk,
        "rows": count,
        "results": Result.objects.filter(race=race).count(),
        "requests": requests,
        "p50_ms": round(percentile(times, 50), 2),
        "p99_ms": round(percentile(times, 99), 2),
        "max_ms": round(max(times), 2),
    }


def _worker_env() -> dict:
    env = dict(os.environ)
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        env["DATABASE_URL"] = f"sqlite:///{db['NAME']}"
    env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
    env["PYTHONPATH"] = str(settings.BASE_DIR)
    return env


def bench_submit(race: Race, *, submissions: int = 20, log=print) -> dict:
    """Submit the STATE house driver `submissions` times, one after the other, and time
    each from the POST to its result on the stored board."""
    driver = next(d for d in house_drivers() if d.metadata["sensor"] == ["STATE"])
    alias = f"Bench {int(time.time())}"
    racer = racer_signup(username=alias.replace(" ", "-").lower(), password="bench-Passw0rd!", alias=alias)
    model = model_upload(
        owner=racer, name=driver.name, onnx_file=driver.model.SerializeToString(),
        metadata_file=json.dumps(driver.metadata).encode(),
    )  # fmt: skip
    token = api_token_get(racer.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "-v", "0"],
        cwd=settings.BASE_DIR, env=_worker_env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    times = []
    try:
        time.sleep(1.0)  # let the worker start (not measured)
        for k in range(submissions + 1):
            t0 = time.perf_counter()
            resp = client.post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json")
            if resp.status_code != 202:
                raise RuntimeError(f"submission refused: {resp.json()}")
            sub_id = resp.json()["id"]
            deadline = t0 + 120
            while True:
                if RaceStanding.objects.filter(race=race, racer=racer, result__submission_id=sub_id).exists() or (
                    RaceStanding.objects.filter(race=race, racer=racer, submissions__gte=k + 1).exists()
                ):
                    break
                status = Submission.objects.filter(pk=sub_id).values_list("status", flat=True).first()
                if status in ("failed", "error"):
                    raise RuntimeError(f"bench submission {sub_id} ended {status}")
                if time.perf_counter() > deadline:
                    raise RuntimeError("no result within 120 s; is the worker running?")
                time.sleep(0.005)
            elapsed = (time.perf_counter() - t0) * 1000
            if k > 0:  # the first one warms the disk cache
                times.append(elapsed)
            log(f"  submission {k}: {elapsed:.0f} ms")
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
    return {
        "race": race.pk,
        "track": race.track.slug,
        "submissions": len(times),
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
    }


def default_scratch_env(workdir: Path) -> dict:
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env["MEDIA_ROOT"] = str(workdir / "media")
    return env
