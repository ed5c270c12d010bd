"""The league on many machines, for real: PostgreSQL, Redis, two web processes, three race
workers and a video worker with media in S3 (moto's server), against the embedded
default (SQLite, local media, one race worker: `make serve`) racing the same submissions.

Submissions go through the REST API with each racer's token, spread over the web
processes: that is the path whose behaviour the deployment changes (token log-in, the
quota lock and the queue on the shared database, storage the workers read). The league
itself (season, racers, most models) is made by the service functions in a subprocess
(tests/integration/scenario.py): set-up, not what is tested here, and uploading or signing
up 50 racers through the API would spend a minute of CPU on what tests/racing/test_flow.py
already covers; two models are uploaded through the API so that the upload's check and
its storage run on the web processes too.

Run it alone: `pytest -m integration -s tests/integration` (about three minutes on two
cores); .ci/run runs it once with REQUIRE_INTEGRATION=1.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.integration import scenario
from tests.integration.conftest import BoardListener, Deployment, stage
from tests.live_support import RedisServer
from web.throwaway import PostgresCluster, S3Server

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BUCKET = "league-media"
API_MODELS = (0, 2)  # models A of racers 0 and 1 (scenario.racer_models), uploaded through the API
WORKER_LOST = "racing.runner.WorkerLost"  # racing.runner.WORKER_LOST_PATH
BOARD_KEYS = ("rank", "racer", "finished", "time_s", "laps", "progress", "best_lap_s",
              "off_track_count", "submissions", "trajectory_sha256")  # fmt: skip
VIDEOS = 2


def both(fn, deployments):
    """fn(deployment) for each deployment at once (their subprocesses overlap)."""
    with ThreadPoolExecutor(len(deployments)) as pool:
        return list(pool.map(fn, deployments))


def prepare(d: Deployment) -> dict:
    d.manage("migrate", "--noinput", "-v", "0")
    d.manage("createcachetable")
    return d.scenario("setup", "--api-models", ",".join(map(str, API_MODELS)))


def upload_api_models(d: Deployment, league: dict) -> None:
    """The models left for the API, each uploaded by its racer to a different web process."""
    for n, j in enumerate(API_MODELS):
        k = j // 2
        racer = league["racers"][k]
        resp = d.api(
            "POST", n, "/api/models/", racer["token"],
            data={"name": f"speed-{j}"},
            files={
                "onnx": ("model.onnx", scenario.model_onnx()),
                "metadata": ("model_metadata.json", json.dumps(scenario.model_metadata(j)).encode()),
            },
        )  # fmt: skip
        assert resp.status_code == 201, (d.name, resp.status_code, resp.text)
        racer["models"][scenario.racer_models(k).index(j)] = resp.json()["id"]


def submit_all(d: Deployment, league: dict) -> list[int]:
    """Every planned submission through the API, eight at a time, alternating between
    the web processes."""
    plan = scenario.submission_plan(league["racers"])

    def post(item):
        n, (k, model) = item
        resp = d.api("POST", n, "/api/submissions/", league["racers"][k]["token"],
                     json={"model": model, "race": league["race"]})  # fmt: skip
        assert resp.status_code == 202, (d.name, resp.status_code, resp.text)
        return resp.json()["id"]

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(post, enumerate(plan)))


def wait_until(predicate, timeout_s: float, what: str, *deployments: Deployment) -> None:
    """Poll until predicate() holds (a deadline, not a timing assertion); stop at once when
    a worker reports a fault."""
    deadline = time.monotonic() + timeout_s
    next_look = 0.0
    while not predicate():
        if time.monotonic() > next_look:  # the logs, once a second
            next_look = time.monotonic() + 1.0
            for d in deployments:
                assert not d.faults(), f"{d.name} while waiting for {what}:\n" + "\n".join(d.faults()[:10]) + d.logs()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}\n" + "".join(d.logs() for d in deployments))
        time.sleep(0.02)


def kill_mid_race(d: Deployment) -> int:
    """kill -9 the first race worker while it races a submission, then start it again
    (same command, same environment); returns the submission it was racing."""
    worker = d.race_workers[0]
    wait_until(lambda: d.racing_now(worker) is not None, 120, "race worker 0 to race", d)
    submission_id = d.racing_now(worker)
    worker.kill9()
    stage(f"scaled: killed race worker 0 (pid {worker.pid}) racing submission {submission_id}; restarting it")
    worker.start()
    return submission_id


def assert_every_submission_ended_once(snap: dict, submitted: list[int], name: str) -> None:
    subs = snap["submissions"]
    assert sorted(s["id"] for s in subs) == sorted(submitted), name
    not_finished = [s for s in subs if s["status"] != "finished"]
    assert not not_finished, (name, not_finished[:5])
    counts = snap["results_per_submission"]
    assert len(counts) == len(submitted) and set(counts.values()) == {1}, (name, "a result lost or doubled")
    assert all(s["result_id"] for s in subs), name
    # The task that raced each submission succeeded, and no task is left in the queue.
    assert {s["task_status"] for s in subs} == {"SUCCESSFUL"}, (name, [s for s in subs if s["task_status"] != "SUCCESSFUL"][:5])
    assert not {"READY", "RUNNING"} & set(snap["tasks"]["by_status"]), (name, snap["tasks"])
    # One board row per racer, each counting the racer's four raced submissions.
    assert snap["standings_rows"] == scenario.RACERS == len(snap["board"]), name
    assert {row["submissions"] for row in snap["board"]} == {scenario.SUBMISSIONS_PER_RACER}, name
    assert [row["rank"] for row in snap["board"]] == list(range(1, scenario.RACERS + 1)), name


def test_scale_out_races_like_one_machine(require_integration, tmp_path: Path):
    started = time.monotonic()
    with ExitStack() as stack:
        stage("starting PostgreSQL (initdb), Redis and the S3 emulator")
        pg = stack.enter_context(PostgresCluster(durable=False))
        redis = RedisServer(tmp_path).start()
        stack.callback(redis.stop)
        s3 = S3Server(tmp_path / "s3").start()
        stack.callback(s3.stop)
        s3.create_bucket(BUCKET)

        scaled = Deployment("scaled", tmp_path / "scaled", own_disks=True, env={
            "DATABASE_URL": pg.url(), "REDIS_URL": redis.url,
            "STORAGE_URL": s3.storage_url(BUCKET, "media"), **s3.env(),
        })  # fmt: skip
        embedded = Deployment("embedded", tmp_path / "embedded", own_disks=False, env={
            "DATABASE_URL": f"sqlite:///{tmp_path / 'embedded' / 'db.sqlite3'}",
        })  # fmt: skip
        stack.callback(embedded.stop)
        stack.callback(scaled.stop)
        deployments = [scaled, embedded]

        stage("migrating both databases and making the league (50 racers, 100 models)")
        leagues = both(prepare, deployments)
        race = {d.name: league["race"] for d, league in zip(deployments, leagues)}

        stage("scaled: 2 web, 3 race workers, 1 video worker; embedded: 1 web, 1 race worker, 1 video worker")
        scaled.start(web=2, race_workers=3)
        embedded.start(web=1, race_workers=1)
        listeners = {
            (d.name, n): BoardListener(d.ws_url(n, f"/ws/races/{race[d.name]}/"))
            for d in deployments for n in range(len(d.web))
        }  # fmt: skip
        for listener in listeners.values():
            stack.callback(listener.close)

        stage("uploading two models through the API of each deployment")
        both(lambda d: upload_api_models(d, leagues[deployments.index(d)]), deployments)

        stage(f"posting {scenario.RACERS * scenario.SUBMISSIONS_PER_RACER} submissions to each deployment")
        with ThreadPoolExecutor(3) as pool:
            posted = {d.name: pool.submit(submit_all, d, league) for d, league in zip(deployments, leagues)}
            killed = pool.submit(kill_mid_race, scaled)
            submitted = {name: future.result() for name, future in posted.items()}
            killed_id = killed.result()
        total = len(submitted["scaled"])
        assert total == len(submitted["embedded"]) == scenario.RACERS * scenario.SUBMISSIONS_PER_RACER

        stage("waiting until every board socket has heard every result")

        def heard_all() -> bool:
            for listener in listeners.values():
                assert listener.error is None, (listener.url, listener.error)
            return all(len(listener.heard) >= total for listener in listeners.values())

        wait_until(heard_all, 360, "every result on every board socket", *deployments)
        stage(f"all results heard ({time.monotonic() - started:.0f} s); rendering {VIDEOS} videos on the scaled one")

        video_ids = scaled.scenario("videos", "--race", str(race["scaled"]), "--count", str(VIDEOS))["results"]

        def videos_ready() -> bool:
            states = [scaled.api("GET", 0, f"/api/results/{rid}/").json()["video_status"] for rid in video_ids]
            assert "failed" not in states, (states, scaled.logs())
            return set(states) == {"ready"}

        wait_until(videos_ready, 180, "the videos", scaled)
        # Rendered by the video worker from the replay a race worker stored, handed out by
        # the other web process: all through the object storage.
        for rid in video_ids:
            video = scaled.api("GET", 1, f"/api/results/{rid}/video/")
            assert video.status_code == 200 and video.content[4:8] == b"ftyp", (video.status_code, video.url)
            replay = scaled.api("GET", 0, f"/api/results/{rid}/replay/")
            assert replay.status_code == 200 and replay.json(), replay.status_code
        s3_keys = s3.keys(BUCKET)

        stage("reading both deployments")
        snaps = dict(zip([d.name for d in deployments], both(
            lambda d: d.scenario("snapshot", "--race", str(race[d.name])), deployments
        )))  # fmt: skip

    for name in ("scaled", "embedded"):
        assert_every_submission_ended_once(snaps[name], submitted[name], name)
    scaled_snap, embedded_snap = snaps["scaled"], snaps["embedded"]

    # The killed worker's race was raced again (and, above, recorded once); its task is
    # the one marked lost. (A lease that expires on a starved machine gives a race a second
    # run too, by design: those are allowed, their result is still recorded once.)
    killed_sub = next(s for s in scaled_snap["submissions"] if s["id"] == killed_id)
    assert killed_sub["attempts"] >= 2, killed_sub
    assert scaled_snap["tasks"]["failed"] and set(scaled_snap["tasks"]["failed"]) == {WORKER_LOST}
    reruns = sum(s["attempts"] for s in scaled_snap["submissions"]) - total
    stage(f"scaled: {reruns} second runs, {len(scaled_snap['tasks']['failed'])} task(s) of dead workers")

    # The deployment changes nothing in the results: the same board, row for row.
    def rows(snap):
        return [{k: row[k] for k in BOARD_KEYS} for row in snap["board"]]

    assert rows(scaled_snap) == rows(embedded_snap)
    assert scaled_snap["season"] == embedded_snap["season"]
    assert any(not row["finished"] for row in scaled_snap["board"]), "DNF rows are compared too"

    # Every board socket on every web process heard every result.
    for (name, n), listener in listeners.items():
        expected = {s["result_id"] for s in snaps[name]["submissions"]}
        assert listener.heard == expected, (name, n, len(listener.heard))

    # Media went to S3 only: nothing on any machine's own disk.
    assert scaled_snap["deployment"]["database"] == "postgresql"
    assert "S3" in scaled_snap["deployment"]["storage"], scaled_snap["deployment"]
    local = [p for p in (tmp_path / "scaled" / "machines").rglob("media/**/*") if p.is_file()]
    assert not local, local[:5]
    stored = set(s3_keys)
    missing = [name for name in scaled_snap["files"] if f"media/{name}" not in stored]
    assert not missing, missing[:5]
    assert sum(name.startswith("replays/") for name in scaled_snap["files"]) == total
    assert sum(name.startswith("videos/") for name in scaled_snap["files"]) >= VIDEOS
    assert any(k.startswith("media/models/") for k in s3_keys)
    assert embedded_snap["deployment"]["database"] == "sqlite"
