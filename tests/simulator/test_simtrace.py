"""DeepRacer simtrace CSV export: DeepRacer's header, one episode per lap, positions and
times that match the replay and the result."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from simulator import layout as L
from simulator.params import RaceRules
from simulator.simtrace import SIMTRACE_HEADER, simtrace_csv, write_simtrace

HEADER = ("episode,steps,X,Y,yaw,steer,throttle,action,reward,done,all_wheels_on_track,progress,"
          "closest_waypoint,track_len,tstamp,episode_status,pause_duration")


def parse(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def by_episode(rows: list[dict]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    for r in rows:
        out.setdefault(int(r["episode"]), []).append(r)
    return out


@pytest.fixture(scope="module")
def finished(race_replay, oval):
    return race_replay(oval, RaceRules(laps=3))


@pytest.fixture(scope="module")
def wild(race_replay, oval):
    replay = race_replay(oval, RaceRules(laps=2), lateral_accel_m_s2=20.0)
    assert replay["result"]["off_track_count"] > 0
    return replay


def test_header_is_deepracers():
    assert ",".join(SIMTRACE_HEADER) == HEADER


def test_one_episode_per_lap_with_official_lap_times(oval, finished):
    text = simtrace_csv(finished, oval)
    assert text.splitlines()[0] == HEADER
    rows = parse(text)
    result = finished["result"]
    episodes = by_episode(rows)
    assert sorted(episodes) == [0, 1, 2] == list(range(result["laps_completed"]))
    for k, ep in episodes.items():
        assert ep[0]["episode_status"] == "prepare" and ep[0]["done"] == "False"
        assert all(r["episode_status"] == "in_progress" for r in ep[1:-1])
        last = ep[-1]
        assert last["episode_status"] == "lap_complete" and last["done"] == "True"
        assert float(last["progress"]) == 100.0
        assert float(last["tstamp"]) - float(ep[0]["tstamp"]) == pytest.approx(result["lap_times_s"][k], abs=1e-3)
        assert [int(r["steps"]) for r in ep] == list(range(1, len(ep) + 1))
    assert rows[0]["tstamp"] == "0.000" and float(rows[0]["throttle"]) == 0.0
    assert float(rows[-1]["tstamp"]) == pytest.approx(result["total_time_s"], abs=1e-3)
    assert sum(float(ep[-1]["tstamp"]) - float(ep[0]["tstamp"]) for ep in episodes.values()) == pytest.approx(
        result["total_time_s"], abs=2e-3)


def test_rows_follow_the_trajectory(oval, finished):
    rows = [r for r in parse(simtrace_csv(finished, oval)) if r["episode_status"] != "prepare"]
    traj = finished["trajectory"]
    assert len(rows) == len(traj) == finished["result"]["steps"]
    for row, t in zip(rows, traj):
        assert float(row["X"]) == pytest.approx(t[L.TRAJ_X_M], abs=1e-4)
        assert float(row["Y"]) == pytest.approx(t[L.TRAJ_Y_M], abs=1e-4)
        yaw = float(row["yaw"])
        assert -180.0 < yaw <= 180.0
        d = (math.degrees(t[L.TRAJ_HEADING_RAD]) - yaw + 180.0) % 360.0 - 180.0
        assert abs(d) < 1e-3
        assert float(row["steer"]) == pytest.approx(t[L.TRAJ_STEERING_DEG], abs=0.006)
        assert float(row["throttle"]) == pytest.approx(t[L.TRAJ_SPEED_M_S], abs=1e-4)
        assert row["action"] == "-1"  # continuous action space
        assert row["all_wheels_on_track"] == "True" and row["reward"] == "0.0000"
        assert 0.0 <= float(row["progress"]) <= 100.0
        assert row["track_len"] == f"{oval.length_m:.2f}"
        wp = int(row["closest_waypoint"])
        assert 0 <= wp < oval.n
        # The closest waypoint really is (one of) the nearest.
        dists = [(oval.center[i, 0] - float(row["X"])) ** 2 + (oval.center[i, 1] - float(row["Y"])) ** 2
                 for i in range(oval.n)]
        assert dists[wp] <= min(dists) + 0.05
        if row["episode_status"] == "in_progress":
            assert float(row["tstamp"]) == pytest.approx(t[L.TRAJ_TIME_S], abs=1e-3)


def test_off_track_steps_and_penalties(oval, wild):
    rows = parse(simtrace_csv(wild, oval))
    off = [i for i, r in enumerate(rows) if r["episode_status"] == "off_track"]
    assert len(off) == wild["result"]["off_track_count"]
    for i in off:
        assert rows[i]["all_wheels_on_track"] == "False" and rows[i]["done"] == "False"
        assert float(rows[i]["pause_duration"]) == 3.0
        nxt = rows[i + 1]
        assert float(nxt["tstamp"]) - float(rows[i]["tstamp"]) == pytest.approx(3.0 + 1 / 15, abs=2e-3)
    episodes = by_episode(rows)
    assert len(episodes) == 2
    for k, ep in episodes.items():
        span = float(ep[-1]["tstamp"]) - float(ep[0]["tstamp"])
        assert span == pytest.approx(wild["result"]["lap_times_s"][k], abs=1e-3)


def test_unfinished_run_ends_time_up(race_replay, oval):
    replay = race_replay(oval, RaceRules(laps=3, time_cap_s=8.0))
    assert replay["result"]["status"] == "dnf" and replay["result"]["laps_completed"] == 1
    rows = parse(simtrace_csv(replay, oval))
    episodes = by_episode(rows)
    assert sorted(episodes) == [0, 1]
    assert episodes[0][-1]["episode_status"] == "lap_complete"
    assert episodes[1][-1]["episode_status"] == "time_up" and episodes[1][-1]["done"] == "True"
    assert float(rows[-1]["tstamp"]) == pytest.approx(8.0, abs=1e-3)


def test_discrete_actions_are_indices(oval, finished, tmp_path):
    replay = json.loads(json.dumps(finished))
    for k, row in enumerate(replay["trajectory"]):
        row[L.TRAJ_ACTION] = float(k % 5)
    path = tmp_path / "trace.csv"
    write_simtrace(path, replay, oval)
    rows = [r for r in parse(path.read_text()) if r["episode_status"] != "prepare"]
    assert [r["action"] for r in rows[:6]] == ["0", "1", "2", "3", "4", "0"]


def test_a_reversed_race_is_traced_on_the_reversed_track(race_replay, oval):
    replay = race_replay(oval.reversed(), RaceRules(laps=1))
    assert replay["track"]["reversed"] is True
    # The server passes the track as its file runs; the replay turns it round.
    text = simtrace_csv(replay, oval)
    assert text == simtrace_csv(replay, oval.reversed())
    rows = parse(text)
    assert rows[-1]["episode_status"] == "lap_complete"
    # Waypoints count in driving order: up from 0 at the start line, not down from the end.
    first = [int(r["closest_waypoint"]) for r in rows[:40]]
    assert first[0] == 0 and first == sorted(first) and first[-1] < oval.n // 2
