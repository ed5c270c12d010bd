"""The inference watchdog: a step that never returns (a Loop of 2x10^9 trips) is ended
past the per-step limit and the run fails "too slow", in the library and in the CLI;
normal steps are never touched.

The never-ending steps are ended by the watchdog or not at all: every wait below is a
deadline that bounds how long a broken watchdog hangs the suite, not a timing check."""

from __future__ import annotations

import gc
import json

import pytest

from simulator import layout as L
from simulator import watchdog
from simulator.metadata import ModelError
from simulator.params import PolicyLimits, RaceRules
from simulator.policy import PolicyFailure, check_model, load_policy
from simulator.race import run_time_trial

from . import builders as B

QUICK = PolicyLimits(max_single_step_s=0.2)  # a short limit keeps the suite quick


def test_a_step_that_never_returns_is_ended_as_too_slow(make_policy):
    policy = make_policy(B.endless_model(), limits=QUICK)
    with pytest.raises(PolicyFailure, match=r"too slow: one step took \d+ ms \(limit 200 ms\)"):
        policy.act()


def test_the_upload_check_refuses_it(refused):
    refused(lambda: check_model(B.endless_model(), B.continuous_metadata()), "onnx", "too slow")


def test_a_race_that_hangs_mid_way_fails_too_slow(oval):
    # Passes the check (a car at rest), then hangs once the car is moving.
    endless = B.endless_model(faster_than_m_s=0.6)
    assert check_model(endless, B.continuous_metadata()).trial_inference_ms >= 0
    policy = load_policy(endless, B.continuous_metadata(), limits=QUICK)
    result = run_time_trial(policy, oval, RaceRules(laps=1))
    assert result.status == "failed" and "too slow" in result.error
    assert result.steps > 1


def test_a_policy_ended_once_runs_normally_after(oval):
    """Steps share one RunOptions until the watchdog ends one; the step after that (here
    a new race with the same policy) runs on fresh ones, not ended at once."""
    policy = load_policy(B.endless_model(faster_than_m_s=0.6), B.continuous_metadata(), limits=QUICK)
    policy.buffers["STATE"][0, L.STATE_SPEED] = 1.0
    with pytest.raises(PolicyFailure, match="too slow"):
        policy.act()
    policy.buffers["STATE"][0, L.STATE_SPEED] = 0.0
    policy.reset_clock()
    _, speed, _ = policy.act()
    assert speed == pytest.approx(2.0)
    result = run_time_trial(policy, oval, RaceRules(laps=1))
    assert result.status == "failed" and "too slow" in result.error and result.steps > 1


def test_normal_steps_are_never_ended(make_policy, oval):
    # Tens of thousands of steps, each far under the limit: the watchdog polls all along
    # and ends none; the same model twice gives the same trajectory.
    rules = RaceRules(laps=2)
    first = run_time_trial(make_policy(B.pursuit_model(2.0)), oval, rules)
    second = run_time_trial(make_policy(B.pursuit_model(2.0)), oval, rules)
    assert first.status == "finished" and first.trajectory_sha256 == second.trajectory_sha256


def test_the_watchdog_keeps_no_policy_alive(make_policy):
    # The policy's own watch leaves the watchdog's set with the policy. Counting the set
    # would also count other tests' policies that the same collection frees.
    policy = make_policy(B.constant_model([0.0, 0.5]))
    policy.act()
    watches = [ref for ref in watchdog._watchdog._watches.data if ref() is policy._watch]
    assert len(watches) == 1
    del policy
    gc.collect()
    assert watches[0]() is None


@pytest.mark.parametrize("command", ["race", "check"])
def test_the_command_line_ends_too(command, cli_subprocess, model_package, shipped_track_ref):
    model, meta = model_package(B.endless_model(faster_than_m_s=0.6 if command == "race" else None))
    args = ["--metadata", meta, "--json"]
    if command == "race":
        args += ["--track", shipped_track_ref, "--laps", "1"]
    done = cli_subprocess(command, model, *args, timeout=120)  # hung forever before
    data = json.loads(done.stdout.strip().splitlines()[-1])
    if command == "race":
        assert done.returncode == 0 and data["status"] == "failed"
        assert "too slow" in data["error"] and "limit 1000 ms" in data["error"]
    else:
        assert done.returncode == 2 and data["ok"] is False and "too slow" in data["error"]
        assert "too slow" in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_a_model_error_is_still_a_crash_not_too_slow(make_policy):
    with pytest.raises(ModelError):
        check_model(B.crashing_model(), B.continuous_metadata())
