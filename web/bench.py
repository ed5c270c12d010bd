"""Server benchmarks (timings live here, never in tests).

- Leaderboard API: p50/p99 of GET /api/races/{id}/leaderboard/ on a race seeded with
  10,000 racers and 100,000 results, through Django's full request stack.
- Submit-to-leaderboard: POST /api/submissions/ of the STATE house driver until its
  result is on the stored board, with a real `db_worker` process, p50/p95.
- Queue throughput: races per minute with 1, 2 and 3 `db_worker` processes taking the same
  batch of queued submissions (on PostgreSQL in `make bench`: web/throwaway.py).
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
from django.test import Client, override_settings
from rest_framework.test import APIClient

from league.models import Race, Racer, Season
from league.services import api_token_get, racer_signup, season_create, season_open
from racing.models import PolicyModel, RaceStanding, Result, Submission
from racing.standings import standings_rebuild
from racing.submissions import submission_create
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


def _test_host():
    """The test client's host name allowed besides the league's own (DEBUG off allows none
    by default): the requests never leave this process."""
    return override_settings(ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"])


@_test_host()
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


def _bench_racer(label: str = "Bench") -> tuple[Racer, PolicyModel]:
    """A new racer with the STATE house driver uploaded (through the real upload check)."""
    driver = next(d for d in house_drivers() if d.metadata["sensor"] == ["STATE"])
    alias = f"{label} {time.time_ns() % 10**9}"
    racer = racer_signup(username=alias.replace(" ", "-").lower(), password="bench-Passw0rd!", alias=alias)
    model = model_upload(
        owner=racer, name=driver.name, onnx_file=driver.model.SerializeToString(),
        metadata_file=json.dumps(driver.metadata).encode(),
    )  # fmt: skip
    return racer, model


def _start_worker(**env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "-v", "0"],
        cwd=settings.BASE_DIR, env={**_worker_env(), **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()


@_test_host()
def bench_submit(race: Race, *, submissions: int = 20, log=print) -> dict:
    """Submit the STATE house driver `submissions` times, one after the other, and time
    each from the POST to its result on the stored board."""
    racer, model = _bench_racer()
    token = api_token_get(racer.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    worker = _start_worker()
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
        _stop_workers([worker])
    return {
        "race": race.pk,
        "track": race.track.slug,
        "submissions": len(times),
        "p50_ms": round(percentile(times, 50), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
    }


@_test_host()
def bench_burst(race: Race, *, submissions: int = 20, log=print) -> dict:
    """`submissions` submissions of the STATE house driver posted at once through the API to
    one (warm, idle) race worker: the time from the first POST until every one of them is on
    the stored board, and each one's submit-to-board time."""
    from racing.models import Result, WorkerBeat  # the bench's own reads

    racer, model = _bench_racer("Burst bench")
    token = api_token_get(racer.user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    worker = _start_worker(RACING_VIDEOS="0")
    try:
        deadline = time.monotonic() + 120
        # The worker beats once its warm race host is up (racing/warm.py): not measured.
        while not WorkerBeat.objects.filter(pid=worker.pid).exists():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise RuntimeError("the race worker did not start; run `manage.py db_worker` by hand to see why")
            time.sleep(0.05)
        t0 = time.perf_counter()
        ids = []
        for _ in range(submissions):
            resp = client.post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json")
            if resp.status_code != 202:
                raise RuntimeError(f"submission refused: {resp.json()}")
            ids.append(resp.json()["id"])
        deadline = time.perf_counter() + 300
        while not RaceStanding.objects.filter(race=race, racer=racer, submissions__gte=submissions).exists():
            ended = Submission.objects.filter(pk__in=ids, status__in=("failed", "error")).count()
            if ended:
                raise RuntimeError(f"{ended} burst submissions failed")
            if time.perf_counter() > deadline:
                raise RuntimeError("the burst did not reach the board within 300 s")
            time.sleep(0.005)
        total_s = time.perf_counter() - t0
    finally:
        _stop_workers([worker])
    each = [
        (created - submitted).total_seconds() * 1000
        for submitted, created in Result.objects.filter(submission_id__in=ids).values_list(
            "submission__created_at", "created_at"
        )
    ]
    figure = {
        "race": race.pk,
        "track": race.track.slug,
        "submissions": submissions,
        "all_on_board_s": round(total_s, 2),
        "p50_ms": round(percentile(each, 50), 1),
        "p95_ms": round(percentile(each, 95), 1),
    }
    log(f"  {submissions} at once: all on the board {figure['all_on_board_s']} s after the first submit")
    return figure


def bench_queue(race: Race, *, workers: tuple[int, ...] = (1, 2, 3), submissions: int = 30, log=print) -> dict:
    """Races per minute for each number of race workers: `submissions` submissions of the
    STATE house driver queued first, then that many `db_worker` processes started on them.
    Measured from the first claim to the last result, so the workers' start-up is left out;
    videos off (their own workers, their own figures: `python -m simulator.video bench`)."""
    racer, model = _bench_racer("Queue bench")
    figures = []
    for count in workers:
        batch = [submission_create(racer=racer, model=model, race=race).pk for _ in range(submissions)]
        started = [_start_worker(RACING_VIDEOS="0") for _ in range(count)]
        try:
            deadline = time.monotonic() + 60 + 10 * submissions
            while Submission.objects.filter(pk__in=batch).exclude(status__in=Submission.FINAL_STATUSES).exists():
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{count} worker(s) did not race {submissions} submissions in time")
                if any(w.poll() is not None for w in started):
                    raise RuntimeError("a worker stopped; run `manage.py db_worker` by hand to see why")
                time.sleep(0.05)
        finally:
            _stop_workers(started)
        rows = list(Submission.objects.filter(pk__in=batch).values_list("status", "started_at", "finished_at"))
        failed = [status for status, _, _ in rows if status != Submission.Status.FINISHED]
        if failed:
            raise RuntimeError(f"{len(failed)} bench submissions ended {sorted(set(failed))}")
        span_s = (max(f for _, _, f in rows) - min(s for _, s, _ in rows)).total_seconds()
        per_race = [(f - s).total_seconds() * 1000 for _, s, f in rows]
        figure = {
            "workers": count,
            "races": submissions,
            "races_per_min": round(submissions / span_s * 60, 1),
            "race_p50_ms": round(percentile(per_race, 50), 1),
            "race_p95_ms": round(percentile(per_race, 95), 1),
        }
        log(f"  {count} worker(s): {figure['races_per_min']} races/min (claim to result p50 {figure['race_p50_ms']} ms)")
        figures.append(figure)
    return {"race": race.pk, "track": race.track.slug, "laps": race.laps, "cores": os.cpu_count(), "runs": figures}


def default_scratch_env(workdir: Path) -> dict:
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env["MEDIA_ROOT"] = str(workdir / "media")
    env["STATIC_COLLECTED"] = "0"  # no page is served: nothing to collect
    return env
