"""Replays of results: the replay JSON and the simtrace CSV match the stored result, the
video task renders an MP4 that is served with byte ranges, track pictures, the page."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from racing import replays, videos, worker
from racing.models import Result, Submission
from simulator.drivers import state_driver
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.race import run_time_trial
from simulator.replay import write_replay
from simulator.simtrace import SIMTRACE_HEADER
from tests import factories as f
from tracks.pictures import sim_track

pytestmark = pytest.mark.django_db


def raced_result(race, racer=None, *, lateral_accel_m_s2: float = 5.2, min_speed_m_s: float = 1.2) -> Result:
    """A real result: the house pure-pursuit driver raced in-process under the race's
    rules, recorded through the real service (standings, replay file, video hook).
    A higher lateral acceleration makes a driver that runs off the track."""
    racer = racer or f.racer()
    model = f.policy_model(racer)
    rules = RaceRules(laps=race.laps, timing_method=race.timing_method,
                      off_track_penalty_s=race.off_track_penalty_s, time_cap_s=race.time_cap_s)
    policy = load_policy(
        state_driver(lateral_accel_m_s2=lateral_accel_m_s2, min_speed_m_s=min_speed_m_s).SerializeToString(),
        f.state_metadata(),
    )
    track = sim_track(race.track)
    outcome = run_time_trial(policy, track, rules)
    now = timezone.now()
    submission = Submission.objects.create(
        racer=racer, model=model, race=race, status=Submission.Status.RUNNING, attempts=1,
        run_token="token", started_at=now, lease_expires_at=now + timedelta(hours=1),
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "replay.json"
        write_replay(path, outcome, track, race.track.slug)
        return worker.result_record(claim=worker.Claim(submission, "token"), data=outcome.to_dict(),
                                      replay_path=path)


@pytest.fixture
def race():
    return f.race(tracks=[f.track("oval-loop")], laps=2)


@pytest.fixture
def result(race):
    return raced_result(race, f.racer("Steady Eddie"))


@pytest.fixture
def wild_result(race):
    """A run with off-track resets."""
    r = raced_result(race, f.racer("Wild Willy"), lateral_accel_m_s2=20.0)
    assert r.off_track_count > 0
    return r


# --- Replay JSON --------------------------------------------------------------------------------


def test_replay_json_matches_the_stored_result(api, result):
    resp = api.get(f"/api/results/{result.pk}/replay/")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "application/json"
    data = json.loads(resp.content)
    assert data["result"]["trajectory_sha256"] == result.trajectory_sha256
    assert len(data["trajectory"]) == result.steps
    columns = data["columns"]
    lap = columns.index("lap")
    assert int(data["trajectory"][-1][lap]) == result.laps_completed == 2
    assert data["result"]["lap_times_s"] == result.lap_times_s
    assert data["trajectory"][-1][columns.index("time_s")] == pytest.approx(result.total_time_s, abs=1 / 15)
    # The same positions as the stored replay file.
    with result.replay.open("rb") as fh:
        stored = json.loads(fh.read())
    assert data["trajectory"] == stored["trajectory"]
    # Track geometry to draw it to scale, and who raced.
    track = data["track"]
    assert len(track["center"]) == len(track["left"]) == len(track["right"]) == track["waypoints"]
    assert track["length_m"] == pytest.approx(result.race.track.length_m, abs=0.01)
    assert data["meta"]["racer"] == "Steady Eddie" and data["meta"]["race"]["laps"] == 2
    assert len(data["events"]) >= 2 and [e["type"] for e in data["events"]].count("lap") == 2


def test_replay_json_download_and_missing(api, result):
    resp = api.get(f"/api/results/{result.pk}/replay/?download=1")
    assert resp["Content-Disposition"] == f'attachment; filename="result-{result.pk}-replay.json"'
    for path in ("replay/", "simtrace.csv", "video/"):
        resp = api.get(f"/api/results/999999/{path}")
        assert resp.status_code == 404 and resp.json() == {"detail": "No such result."}
    Result.objects.filter(pk=result.pk).update(replay="")
    for path in ("replay/", "simtrace.csv"):
        resp = api.get(f"/api/results/{result.pk}/{path}")
        assert resp.status_code == 404 and resp.json() == {"detail": "This result has no replay."}


def test_track_geometry_endpoint(api, race):
    data = api.get(f"/api/tracks/{race.track.slug}/geometry/").json()
    assert len(data["center"]) == race.track.waypoints and data["clockwise"] is False
    assert api.get("/api/tracks/no-such-track/geometry/").status_code == 404


# --- Simtrace CSV -------------------------------------------------------------------------------


def _simtrace(api, result) -> list[dict]:
    resp = api.get(f"/api/results/{result.pk}/simtrace.csv")
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert f'result-{result.pk}-simtrace.csv' in resp["Content-Disposition"]
    text = resp.content.decode()
    assert text.splitlines()[0] == ",".join(SIMTRACE_HEADER)
    return list(csv.DictReader(io.StringIO(text)))


def test_simtrace_matches_the_stored_result(api, result):
    rows = _simtrace(api, result)
    episodes: dict[int, list[dict]] = {}
    for row in rows:
        episodes.setdefault(int(row["episode"]), []).append(row)
    # One episode per lap, each ending with lap_complete at 100 % and done.
    assert sorted(episodes) == list(range(result.laps_completed))
    for k, ep in episodes.items():
        assert ep[0]["episode_status"] == "prepare"
        assert ep[-1]["episode_status"] == "lap_complete" and ep[-1]["done"] == "True"
        assert float(ep[-1]["progress"]) == 100.0
        assert [int(r["steps"]) for r in ep] == list(range(1, len(ep) + 1))
        # tstamp span of the episode = the official lap time.
        span = float(ep[-1]["tstamp"]) - float(ep[0]["tstamp"])
        assert span == pytest.approx(result.lap_times_s[k], abs=1e-3)
    assert float(rows[-1]["tstamp"]) == pytest.approx(result.total_time_s, abs=1e-3)
    # Every trajectory row, in order, at its position; yaw in degrees.
    with result.replay.open("rb") as fh:
        replay = json.loads(fh.read())
    steps = [r for r in rows if r["episode_status"] != "prepare"]
    assert len(steps) == result.steps
    cols = replay["columns"]
    for row, traj in zip(steps[::17], replay["trajectory"][::17]):
        assert float(row["X"]) == pytest.approx(traj[cols.index("x_m")], abs=1e-4)
        assert float(row["Y"]) == pytest.approx(traj[cols.index("y_m")], abs=1e-4)
        assert abs(float(row["yaw"])) <= 180.0
        assert float(row["throttle"]) == pytest.approx(traj[cols.index("speed_m_s")], abs=1e-4)
        assert 0.0 <= float(row["progress"]) <= 100.0
        assert 0 <= int(row["closest_waypoint"]) < result.race.track.waypoints
    assert {r["track_len"] for r in rows} == {f"{result.race.track.length_m:.2f}"}


def test_simtrace_marks_off_track_steps(api, wild_result):
    rows = _simtrace(api, wild_result)
    off = [r for r in rows if r["episode_status"] == "off_track"]
    assert len(off) == wild_result.off_track_count
    assert all(r["all_wheels_on_track"] == "False" and float(r["pause_duration"]) == 3.0 for r in off)
    assert rows[-1]["done"] == "True"


# --- Video --------------------------------------------------------------------------------------


def test_result_queues_its_video_after_commit(race, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    with django_capture_on_commit_callbacks(execute=True):
        result = raced_result(race)
    task = DBTaskResult.objects.get(task_path="racing.videos.render_result_video")
    assert task.args_kwargs["args"] == [result.pk]
    assert task.priority < 0  # races go first
    assert result.video_status == Result.VideoStatus.PENDING


def test_video_is_404_with_a_clear_message_until_rendered(api, result):
    resp = api.get(f"/api/results/{result.pk}/video/")
    assert resp.status_code == 404
    assert resp.json()["video_status"] == "pending" and "queued" in resp.json()["detail"]
    Result.objects.filter(pk=result.pk).update(video_status=Result.VideoStatus.RENDERING)
    body = api.get(f"/api/results/{result.pk}/video/").json()
    assert body["video_status"] == "rendering" and "being rendered" in body["detail"]
    assert api.get(f"/api/results/{result.pk}/").json()["video_status"] == "rendering"
    assert api.get("/api/results/999999/video/").status_code == 404


@pytest.fixture
def rendered(result):
    assert videos.result_video_render(result.pk) == "ready"
    result.refresh_from_db()
    return result


def test_rendered_video_decodes_with_the_expected_frames(rendered):
    from simulator.video.encode import probe_video

    assert rendered.video_status == "ready" and rendered.video.name.endswith(".mp4")
    info = probe_video(rendered.video.path)
    assert info["codec"] == "h264" and info["pix_fmt"] == "yuv420p"
    assert info["width"] >= 640 and info["height"] >= 480
    assert info["frames"] == rendered.steps
    assert info["duration_s"] == pytest.approx(rendered.steps / 15, abs=0.07)
    # Rendering again is a no-op.
    assert videos.result_video_render(rendered.pk) == "ready"


def test_video_range_requests(client, rendered):
    url = f"/api/results/{rendered.pk}/video/"
    data = Path(rendered.video.path).read_bytes()
    size = len(data)

    whole = client.get(url)
    assert whole.status_code == 200
    assert whole["Accept-Ranges"] == "bytes" and whole["Content-Type"] == "video/mp4"
    assert int(whole["Content-Length"]) == size
    assert b"".join(whole.streaming_content) == data

    part = client.get(url, HTTP_RANGE="bytes=100-1099")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-1099/{size}"
    assert int(part["Content-Length"]) == 1000
    assert b"".join(part.streaming_content) == data[100:1100]

    tail = client.get(url, HTTP_RANGE="bytes=-500")
    assert tail.status_code == 206 and b"".join(tail.streaming_content) == data[-500:]
    assert tail["Content-Range"] == f"bytes {size - 500}-{size - 1}/{size}"

    open_ended = client.get(url, HTTP_RANGE=f"bytes={size - 10}-")
    assert open_ended.status_code == 206 and b"".join(open_ended.streaming_content) == data[-10:]

    clipped = client.get(url, HTTP_RANGE=f"bytes=0-{size + 5000}")
    assert clipped.status_code == 206 and clipped["Content-Range"] == f"bytes 0-{size - 1}/{size}"

    for bad in (f"bytes={size}-", f"bytes={size + 10}-{size + 20}", "bytes=50-10", "bytes=abc"):
        resp = client.get(url, HTTP_RANGE=bad)
        assert resp.status_code == 416, bad
        assert resp["Content-Range"] == f"bytes */{size}"

    # A stale If-Range gets the whole file; a matching one the range.
    stale = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE='"other"')
    assert stale.status_code == 200
    fresh = client.get(url, HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=whole["ETag"])
    assert fresh.status_code == 206 and b"".join(fresh.streaming_content) == data[:10]

    download = client.get(url + "?download=1")
    assert download["Content-Disposition"] == f'attachment; filename="result-{rendered.pk}.mp4"'
    head = client.head(url, HTTP_RANGE="bytes=0-99")
    assert head.status_code == 206 and head["Content-Length"] == "100"


def test_failed_render_is_reported(api, result, settings):
    settings.RACING = {**settings.RACING, "PYTHON": "/bin/false"}
    assert videos.result_video_render(result.pk) == "failed"
    resp = api.get(f"/api/results/{result.pk}/video/")
    assert resp.status_code == 404 and resp.json()["video_status"] == "failed"
    assert "could not be rendered" in resp.json()["detail"]


def test_video_render_child_gets_no_secrets(result, monkeypatch):
    # The render reads a replay written by the sandboxed race: it runs in the sandbox too
    # (a scrubbed environment: no secret key, database or storage credentials), in a work
    # folder, with the files named relative to it.
    monkeypatch.setenv("SECRET_KEY", "s3cr3t" * 8)
    monkeypatch.setenv("DATABASE_URL", "postgres://league:pw@db/league")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "aws-secret")
    seen = {}
    real_run = videos.run_sandboxed

    def spy(args, limits, **kwargs):
        seen["args"] = args
        out = real_run(["-c", "import json, os; print(json.dumps(dict(os.environ)))"], limits, **kwargs)
        seen["env"] = json.loads(out.stdout)
        return out

    monkeypatch.setattr(videos, "run_sandboxed", spy)
    assert videos.result_video_render(result.pk) == "failed"  # the spy rendered nothing
    assert seen["env"] and not {"SECRET_KEY", "DATABASE_URL", "AWS_SECRET_ACCESS_KEY"} & set(seen["env"])
    assert seen["env"]["PYTHONPATH"]
    assert "replay.json" in seen["args"] and not any(a.startswith("/") for a in seen["args"])


def test_requeue_missing_videos(result):
    from django_tasks_db.models import DBTaskResult

    assert videos.videos_requeue_missing() == 1
    assert videos.videos_requeue_missing() == 0  # its task is queued now
    assert DBTaskResult.objects.filter(task_path="racing.videos.render_result_video").count() == 1


def test_no_videos_are_requeued_when_the_league_renders_none(result, settings):
    settings.RACING = {**settings.RACING, "VIDEOS": False}
    assert videos.videos_requeue_missing() == 0


# --- Compare and pages --------------------------------------------------------------------------


def test_compare_candidates_put_the_leader_first(race, result, wild_result):
    slow = raced_result(race, f.racer("Slow Sam"), lateral_accel_m_s2=2.0)
    assert [c["racer"] for c in replays.compare_candidates(slow)][0] == "Steady Eddie"
    leader = replays.compare_candidates(result)
    assert result.pk not in [c["result_id"] for c in leader]
    assert leader[0]["rank"] == 2


def test_replay_page_renders_with_its_data(client, result, wild_result):
    resp = client.get(f"/results/{result.pk}/replay/")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Steady Eddie" in html and "web/js/replay/main.js" in html and "web/css/replay.css" in html
    assert f"/api/results/{result.pk}/simtrace.csv" in html
    config = resp.context["config"]
    assert config["replayUrl"] == f"/api/results/{result.pk}/replay/"
    assert [c["racer"] for c in config["compare"]] == ["Wild Willy"]
    assert "https://" not in html.split("<body")[0]  # no CDN
    assert client.get("/results/999999/replay/").status_code == 404


def test_track_map_png_is_cached(client, race):
    from django.core.files.storage import default_storage

    from tracks.pictures import track_map_name

    resp = client.get(f"/tracks/{race.track.slug}/map.png")
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png"
    png = b"".join(resp.streaming_content)
    assert png.startswith(b"\x89PNG")
    assert default_storage.exists(track_map_name(race.track, 960))
    small = client.get(f"/tracks/{race.track.slug}/map.png?w=300")
    assert small.status_code == 200
    assert default_storage.exists(track_map_name(race.track, 480))
    assert client.get("/tracks/nope/map.png").status_code == 404


def test_url_names():
    from django.urls import reverse

    assert reverse("track-map", args=["oval-loop"]) == "/tracks/oval-loop/map.png"
    assert reverse("result-replay", args=[7]) == "/results/7/replay/"
    assert reverse("api-result-video", args=[7]) == "/api/results/7/video/"
    assert reverse("api-result-replay", args=[7]) == "/api/results/7/replay/"
    assert reverse("api-result-simtrace", args=[7]) == "/api/results/7/simtrace.csv"


@pytest.mark.django_db(transaction=True)
def test_worker_renders_the_video_once_the_result_lands(api, start_worker):
    """End to end: the result is recorded, its video task is queued after the commit, a
    real `db_worker` renders it, and the API serves it."""
    from tests.conftest import wait_for

    race = f.race(tracks=[f.track("oval-loop")], laps=1)
    result = raced_result(race)  # a transactional test: on_commit runs at once
    start_worker()

    def ready():
        body = api.get(f"/api/results/{result.pk}/").json()
        return body if body["video_status"] in ("ready", "failed") else None

    body = wait_for(ready, timeout_s=120, what="the video to render")
    assert body["video_status"] == "ready"
    resp = api.get(f"/api/results/{result.pk}/video/", HTTP_RANGE="bytes=0-7")
    assert resp.status_code == 206
    assert b"".join(resp.streaming_content)[4:8] == b"ftyp"  # an MP4
