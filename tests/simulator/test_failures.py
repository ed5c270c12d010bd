"""A failed time trial says where and when it failed and what kind of failure it was,
for each way a policy fails (the policy's own messages read by simulator/failures.py)."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from simulator import layout as L
from simulator.cli import main
from simulator.failures import FAILURE_KINDS, failure_kind
from simulator.params import PolicyLimits, RaceRules
from simulator.race import run_time_trial

from . import builders as B


def trial(policy, track):
    return run_time_trial(policy, track, RaceRules(laps=1, time_cap_s=30))


def test_nan_mid_race_is_located(make_policy, stadium_track):
    r = trial(make_policy(B.nan_when_fast_model(threshold_m_s=1.0)), stadium_track)
    failure = r.failure
    assert r.status == "failed" and failure["kind"] == "nan" and failure["message"] == r.error
    assert failure["step"] == r.steps > 0
    assert failure["clock_s"] == pytest.approx(r.steps / 15, abs=1e-3)
    assert failure["lap"] == 1 and failure["laps_completed"] == 0
    assert 0.0 < failure["progress"] < 1.0
    last = r.trajectory[-1]
    assert failure["x_m"] == pytest.approx(last[L.TRAJ_X_M], abs=1e-3)
    assert failure["y_m"] == pytest.approx(last[L.TRAJ_Y_M], abs=1e-3)
    assert failure["speed_m_s"] > 1.0  # it failed once the car went faster than 1 m/s
    assert json.loads(json.dumps(r.to_dict()))["failure"] == failure


def test_a_wrong_output_shape_is_the_shape_kind(make_policy, stadium_track):
    r = trial(make_policy(B.runtime_width_model(3)), stadium_track)
    assert r.status == "failed" and r.failure["kind"] == "shape" and r.failure["step"] == 0


def test_a_model_too_slow_is_the_too_slow_kind(make_policy, stadium_track):
    policy = make_policy(B.heavy_model(), limits=PolicyLimits(mean_step_budget_s=1e-7, budget_window_steps=5))
    r = trial(policy, stadium_track)
    assert r.status == "failed" and r.failure["kind"] == "too_slow" and r.failure["step"] == 4


def test_a_crash_is_the_crash_kind(make_policy, stadium_track):
    r = trial(make_policy(B.crashing_model()), stadium_track)
    assert r.status == "failed" and r.failure["kind"] == "crash" and r.failure["step"] == 0
    assert r.failure["clock_s"] == 0.0 and r.failure["speed_m_s"] == 0.0  # on the start line, at rest


def test_a_run_that_does_not_fail_has_no_failure(make_policy, stadium_track, pursuit_bytes):
    r = trial(make_policy(pursuit_bytes), stadium_track)
    assert r.status == "finished" and r.failure is None
    assert "failure" not in r.to_dict()  # the result's JSON reads as it always did


def test_every_kind_says_what_usually_causes_it():
    for key, kind in FAILURE_KINDS.items():
        assert kind.key == key and kind.title and kind.causes
    assert failure_kind("no such kind") is FAILURE_KINDS["crash"]


def test_the_cli_prints_where_it_failed_and_the_usual_causes(tmp_path, stadium_file):
    (tmp_path / "model.onnx").write_bytes(B.nan_when_fast_model())
    (tmp_path / "model_metadata.json").write_text(json.dumps(B.continuous_metadata()))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["race", str(tmp_path / "model.onnx"), "--track", str(stadium_file)]) == 0
    text = out.getvalue()
    assert "FAILED: the model returned NaN" in text
    assert "Failed at    step " in text and "lap 1 at" in text
    assert FAILURE_KINDS["nan"].causes[0] in text
