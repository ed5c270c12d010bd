"""simulator/live.py: the race paced to real time with the racer's speed multiplier.

The official run (1.0 throughout) is `run_time_trial`'s, hash for hash; a run with
multipliers is reproduced exactly from its recording, in-process and by the command
line (`race --speed-multipliers FILE`); the paced command line steps near 15 Hz.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from simulator import live
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.race import run_time_trial

from . import builders as B
from .conftest import ROOT

RULES = RaceRules(laps=2)


@pytest.fixture
def policy():
    return load_policy(B.pursuit_model(2.0), json.dumps(B.continuous_metadata()))


@pytest.fixture
def pursuit_pkg(model_package):
    return model_package(B.pursuit_model(2.0), B.continuous_metadata(), name="pursuit")


class NoWait:
    """A pacer's clock that never waits: tests run as fast as the race goes."""

    def __init__(self):
        self.t = 0.0

    def clock(self) -> float:
        return self.t

    def idle(self, seconds: float) -> None:
        self.t += seconds


def scripted(schedule: dict[int, float]):
    """`next_multiplier` answering from a schedule keyed by how often it was asked: the
    racer's slider moved at those moments."""
    asked = {"n": 0}

    def next_multiplier(timeout_s: float):
        asked["n"] += 1
        return schedule.get(asked["n"])

    return next_multiplier


def paced(policy, track, next_multiplier, frames=None):
    """run_live on a fake clock: waiting for the racer's input is where time passes."""
    fake = NoWait()

    def waiting(timeout_s: float):
        fake.idle(timeout_s)
        return next_multiplier(timeout_s)

    return live.run_live(policy, track, RULES, next_multiplier=waiting,
                         emit=(frames.append if frames is not None else (lambda m: None)),
                         pacer=live.Pacer(15.0, clock=fake.clock))


def test_the_official_live_run_is_the_plain_race(policy, stadium_track):
    plain = run_time_trial(policy, stadium_track, RULES)
    frames = []
    result, changes = paced(policy, stadium_track, lambda timeout_s: None, frames)
    assert changes == []
    assert result.trajectory_sha256 == plain.trajectory_sha256
    assert result.official_time_s == plain.official_time_s
    steps = [m for m in frames if m["type"] == "frame"]
    assert len(steps) == plain.steps
    assert [m["lap_time_s"] for m in frames if m["type"] == "lap"] == plain.lap_times_s
    last = steps[-1]
    assert last["laps_done"] == 2 and last["clock"] == pytest.approx(plain.trajectory[-1][0], abs=1e-3)


def test_multipliers_change_the_run_and_the_recording_reproduces_it(policy, stadium_track):
    plain = run_time_trial(policy, stadium_track, RULES)
    result, changes = paced(policy, stadium_track, scripted({20: 1.5, 80: 0.5, 140: 1.2}))
    assert [m for _, m in changes] == [1.5, 0.5, 1.2]
    assert result.trajectory_sha256 != plain.trajectory_sha256
    again = live.race_recorded(policy, stadium_track, changes, RULES)
    assert again.trajectory_sha256 == result.trajectory_sha256
    assert again.lap_times_s == result.lap_times_s


def test_a_multiplier_scales_the_speed_asked_within_the_car_limit(policy, stadium_track):
    slow, _ = paced(policy, stadium_track, scripted({1: 0.5}))
    fast, _ = paced(policy, stadium_track, scripted({1: 1.5}))
    assert fast.official_time_s < slow.official_time_s
    assert max(row[4] for row in fast.trajectory) <= 4.0 + 1e-9


@pytest.mark.parametrize("bad", [[[0, 2.0]], [[5, 1.0], [5, 1.2]], [["a", 1.0]], "1.0", [[-1, 1.0]], [[0, "nan"]]])
def test_a_bad_recording_says_what_is_wrong(bad):
    with pytest.raises(live.MultiplierError, match="speed multiplier"):
        live.checked_changes(bad)


def test_the_pacer_waits_until_each_step_is_due():
    fake = NoWait()
    waits = []

    def idle(seconds):
        waits.append(round(seconds, 6))
        fake.idle(seconds)

    pacer = live.Pacer(15.0, clock=fake.clock, idle=idle)
    for n in range(4):
        pacer.wait(n)
    assert waits == [round(1 / 15, 6)] * 3
    fake.t += 5.0  # a model that stalled: the schedule moves on, no burst to catch up
    pacer.wait(4)
    pacer.wait(5)
    assert waits[-1] == round(1 / 15, 6)


def test_bad_stdin_lines_are_reported_and_ignored():
    import os

    r, w = os.pipe()
    warnings = []
    reader = live.LineMultipliers(r, warnings.append)
    os.write(w, b"1.2\nfast\n9\n0.8\n")
    assert reader(1.0) == 0.8
    assert len(warnings) == 2 and "0.5 to 1.5" in warnings[1]
    os.close(w)
    assert reader(0.0) is None
    os.close(r)


# --- the command line -------------------------------------------------------------------------


def _race(*args, stdin=None, timeout=120):
    return subprocess.run([sys.executable, "-m", "simulator", "race", *map(str, args)], cwd=ROOT,
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def test_live_command_line_paces_frames_and_its_recording_reproduces_it(pursuit_pkg, stadium_file, tmp_path):
    """The paced race in a child as the league runs it: frames near 15 a second (a loose
    band: this measures the pacing, not the machine), the racer's multipliers read from
    stdin, and `race --speed-multipliers` giving the same hash from the recording."""
    model, meta = pursuit_pkg
    argv = [sys.executable, "-m", "simulator", "race", str(model), "--metadata", str(meta),
            "--track", str(stadium_file), "--laps", "1", "--json", "--live", "--replay", str(tmp_path / "live.json")]
    child = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    arrivals = []
    for line in child.stderr:
        if line.startswith('{"type":"frame"'):
            arrivals.append(time.monotonic())
            if len(arrivals) == 20:
                child.stdin.write("1.4\n")
                child.stdin.flush()
            if len(arrivals) == 60:
                child.stdin.write("0.7\n")
                child.stdin.close()
    out = child.stdout.read()
    assert child.wait(60) == 0
    result = json.loads(out)
    assert len(arrivals) == result["steps"] > 60
    rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
    assert 10.0 < rate < 20.0, rate
    assert [m for _, m in result["speed_multipliers"]] == [1.4, 0.7]
    replay = json.loads((tmp_path / "live.json").read_text())
    assert replay["speed_multipliers"] == result["speed_multipliers"]

    code = _race(model, "--metadata", meta, "--track", stadium_file, "--laps", "1", "--json",
                 "--speed-multipliers", tmp_path / "live.json")
    assert code.returncode == 0, code.stderr
    assert json.loads(code.stdout)["trajectory_sha256"] == result["trajectory_sha256"]
    plain = json.loads(_race(model, "--metadata", meta, "--track", stadium_file, "--laps", "1", "--json").stdout)
    assert plain["trajectory_sha256"] != result["trajectory_sha256"]


def test_a_live_run_without_input_is_the_official_run(pursuit_pkg, stadium_file):
    model, meta = pursuit_pkg
    common = [model, "--metadata", meta, "--track", stadium_file, "--laps", "1", "--json"]
    paced_run = _race(*common, "--live", stdin="")
    assert paced_run.returncode == 0, paced_run.stderr
    plain = _race(*common)
    assert json.loads(paced_run.stdout)["trajectory_sha256"] == json.loads(plain.stdout)["trajectory_sha256"]


def test_an_unreadable_recording_is_one_line_naming_the_fix(pursuit_pkg, stadium_file, tmp_path):
    model, meta = pursuit_pkg
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"speed_multipliers": [[0, 3.0]]}))
    run = _race(model, "--metadata", meta, "--track", stadium_file, "--speed-multipliers", bad)
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == ["error: a speed multiplier is from 0.5 to 1.5, not 3.0"]
