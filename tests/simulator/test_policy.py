"""Running a model: check_model end to end, trial inference (on the start line's real
observation), and acting step by step with its failures (NaN, shape, crash, too slow). The static checks are in
test_inspection.py, the metadata in test_metadata.py, the action mapping in test_actions.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from onnx import TensorProto

from simulator import layout as L
from simulator.catalog import load_track
from simulator.metadata import ModelMetadata, parse_metadata
from simulator.onnx_build import GraphBuilder
from simulator.params import PolicyLimits
from simulator.policy import (
    TRIAL_TRACK,
    PolicyFailure,
    check_model,
    load_policy,
    observe_start_line,
    trial_inference,
    trial_track,
)
from simulator.race import TimeTrial

from . import builders as B

STATE_META = B.continuous_metadata()


def test_check_model_accepts_a_state_model(pursuit_bytes):
    info = check_model(pursuit_bytes, json.dumps(STATE_META).encode())
    assert info.sensors == ("STATE",) and info.n_actions == 2 and info.output_name == "action"
    assert info.trial_inference_ms > 0
    json.dumps(info.to_dict())


def test_check_model_accepts_a_discrete_lidar_model():
    meta = B.discrete_metadata([(-30, 1), (0, 2), (30, 1)], sensor="LIDAR")
    info = check_model(B.constant_model([0.1, 0.7, 0.2], sensor="LIDAR"), meta)
    assert info.n_actions == 3 and info.inputs[0].shape == (1, 64)


@pytest.mark.parametrize(
    "metadata, phrase",
    [("{'action_space': [}", "not valid JSON"),
     (B.continuous_metadata(steering=(-30, 31)), "steering must be within -30..30"),
     ({**STATE_META, "sensor": ["SECTOR_LIDAR"]},
      "supported sensors: FRONT_FACING_CAMERA, STEREO_CAMERAS, LIDAR, STATE")],
)
def test_check_model_reports_metadata_errors(refused, pursuit_bytes, metadata, phrase):
    refused(lambda: check_model(pursuit_bytes, metadata), "metadata", phrase)


RUNTIME_ERRORS = {
    # name: (model bytes, phrase): the static checks pass, loading or running fails.
    "nan-output": (lambda: B.nan_model(), "trial inference failed: the model returned NaN"),
    "infinite-output": (lambda: B.constant_model([float("inf"), 0.0]), "NaN or infinity"),
    # The speed slot is checked as well as the steering one.
    "nan-speed": (lambda: B.constant_model([0.0, float("nan")]), "NaN or infinity"),
    "infinite-speed": (lambda: B.constant_model([0.5, float("-inf")]), "NaN or infinity"),
    "runtime-output-width": (lambda: B.runtime_width_model(3), "returned shape [1, 3]; expected [1, 2]"),
    "onnxruntime-load": (B.type_error_model, "onnxruntime cannot load the model"),
    "crash-at-inference": (B.crashing_model, "the model crashed during inference"),
    "static-check": (B.custom_domain_model, "operator domain 'com.example.racing' is not allowed"),
}


@pytest.mark.parametrize("case", sorted(RUNTIME_ERRORS))
def test_check_model_refuses(refused, case):
    make, phrase = RUNTIME_ERRORS[case]
    refused(lambda: check_model(make(), STATE_META), "onnx", phrase)


def test_the_size_caps_are_the_callers(refused, pursuit_bytes):
    n = len(pursuit_bytes)
    meta = json.dumps(STATE_META).encode()
    refused(lambda: check_model(pursuit_bytes, meta, max_model_bytes=n - 1), "onnx", "larger than the")
    refused(lambda: load_policy(pursuit_bytes, meta, max_model_bytes=n - 1), "onnx", "larger than the")
    refused(lambda: check_model(pursuit_bytes, meta, max_metadata_bytes=len(meta) - 1), "metadata", "larger than the")
    refused(lambda: load_policy(pursuit_bytes, meta, max_metadata_bytes=len(meta) - 1), "metadata", "larger than the")
    assert check_model(pursuit_bytes, meta, max_model_bytes=n, max_metadata_bytes=len(meta)).size_bytes == n


def test_load_policy_accepts_parsed_metadata(pursuit_bytes):
    policy = load_policy(pursuit_bytes, parse_metadata(STATE_META))
    assert isinstance(policy.metadata, ModelMetadata)
    assert policy.buffers["STATE"].shape == (1, 26) and policy.buffers["STATE"].dtype == np.float32
    assert policy.feed["state"] is policy.buffers["STATE"]


def test_too_slow_model_fails_trial_inference(refused):
    # A tiny budget instead of a really slow model keeps the test fast.
    policy = load_policy(B.heavy_model(), STATE_META,
                         limits=PolicyLimits(mean_step_budget_s=1e-7, budget_window_steps=2))
    refused(lambda: trial_inference(policy), "onnx", "too slow")


def test_the_same_heavy_model_passes_with_the_real_budget():
    policy = load_policy(B.heavy_model(size=64, depth=2), STATE_META)
    assert trial_inference(policy) > 0


def test_nan_only_at_speed_passes_the_check_and_fails_when_acting():
    policy = load_policy(B.nan_when_fast_model(threshold_m_s=1.0), STATE_META)
    assert trial_inference(policy) > 0  # the start line: speed 0
    policy.buffers["STATE"][0, L.STATE_SPEED] = 2.0
    with pytest.raises(PolicyFailure, match="NaN"):
        policy.act()


# --- the trial inference sees the start line ---------------------------------------------------


def log_speed_model() -> bytes:
    """Steering log(speed) - log(speed): 0 for a moving car (or neutral inputs), NaN for a
    car at rest, which is how every race starts."""
    b = GraphBuilder()
    speed = b.node("Slice", "state", b.const([L.STATE_SPEED], np.int64), b.const([L.STATE_SPEED + 1], np.int64),
                   b.const([1], np.int64))
    log = b.node("Log", speed)
    out = b.node("Concat", b.node("Sub", log, log), b.const([[0.0]]), axis=1)
    return B.to_bytes(b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], out, "action", [1, 2]))


def test_a_model_that_fails_on_the_start_line_is_refused(refused):
    message = refused(lambda: check_model(log_speed_model(), STATE_META), "onnx",
                      "trial inference failed: the model returned NaN or infinity on the first observation of a race")
    assert f"the start line of {TRIAL_TRACK}, the car at rest" in message
    assert "division or logarithm of zero" in message and f"--track {TRIAL_TRACK}" in message
    # Moving, the same model is fine: only the real start line gives it away.
    policy = load_policy(log_speed_model(), STATE_META)
    policy.buffers["STATE"][0, L.STATE_SPEED] = 1.0
    assert policy.act()[0] == 0.0


def test_the_trial_track_is_the_shipped_file():
    shipped = load_track(TRIAL_TRACK)
    for side in ("center", "left", "right"):
        assert np.array_equal(getattr(trial_track(), side), getattr(shipped, side))


def _buffer(shape, dtype) -> np.ndarray:
    return np.full(shape, 7, dtype=dtype)  # not a value any sensor writes everywhere


@pytest.mark.parametrize("sensor, shape, dtype", [
    ("STATE", (1, L.STATE_SIZE), np.float32),
    ("LIDAR", (1, 64), np.float32),
    ("FRONT_FACING_CAMERA", (1, 120, 160, 1), np.float32),
    ("FRONT_FACING_CAMERA", (1, 1, 120, 160), np.uint8),
    ("STEREO_CAMERAS", (1, 120, 160, 2), np.uint8),
    ("STEREO_CAMERAS", (1, 2, 120, 160), np.float32),
])  # fmt: skip
def test_the_trial_observation_is_the_races_first(sensor, shape, dtype):
    ours, races = {sensor: _buffer(shape, dtype)}, {sensor: _buffer(shape, dtype)}
    observe_start_line(ours)
    TimeTrial(trial_track(), buffers=races).observe()
    assert ours[sensor].tobytes() == races[sensor].tobytes()
    assert not (ours[sensor] == 7).all()


def test_the_state_at_the_start_line_is_a_car_at_rest_on_the_centre_line():
    buffers = {"STATE": np.zeros((1, L.STATE_SIZE), np.float32)}
    observe_start_line(buffers)
    state = buffers["STATE"][0]
    assert state[L.STATE_SPEED] == 0.0 and state[L.STATE_STEERING] == 0.0 and state[L.STATE_PROGRESS] == 0.0
    assert abs(state[L.STATE_OFFSET]) < 1e-6 and abs(state[L.STATE_TRACK_WIDTH] - 1.07) < 0.01
    assert 0.2 < state[L.STATE_LOOKAHEAD] <= 0.25  # the first point ahead: 0.25 m along the line


# --- acting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("output, steering, speed", [([0.5, 0.0], 15.0, 2.25), ([3.0, -7.0], 30.0, 0.5)])
def test_continuous_output_goes_through_the_action_map(make_policy, output, steering, speed):
    assert make_policy(B.constant_model(output)).act() == (steering, speed, -1)


def test_continuous_mapping_uses_the_metadata_ranges(make_policy):
    meta = B.continuous_metadata(steering=(-10, 20), speed=(1.0, 2.0))
    assert make_policy(B.constant_model([0.0, 0.0]), meta).act() == (5.0, 1.5, -1)


ACTIONS = [(-30, 0.6), (0, 1.2), (30, 0.6)]


@pytest.mark.parametrize("scores, index", [([0.1, 0.9, 0.3], 1), ([2.0, -1.0, 1.0], 0), ([0.5, 0.2, 0.5], 0),
                                           ([0.1, 0.4, 0.4], 1), ([-3.0, -2.0, -1.0], 2)])
def test_discrete_highest_score_wins_lowest_index_on_ties(make_policy, scores, index):
    policy = make_policy(B.constant_model(scores), B.discrete_metadata(ACTIONS))
    steering, speed = ACTIONS[index]
    assert policy.act() == (steering, speed, index)


@pytest.mark.parametrize(
    "model, phrase",
    [
        (lambda: B.nan_model(), "NaN"),
        (lambda: B.constant_model([0.0, float("-inf")]), "NaN or infinity"),
        (lambda: B.runtime_width_model(1), "returned shape [1, 1]"),
        (B.crashing_model, "crashed during inference"),
    ],
)
def test_act_raises_policy_failure(make_policy, model, phrase):
    policy = make_policy(model())
    with pytest.raises(PolicyFailure) as err:
        policy.act()
    assert phrase in str(err.value)


def test_discrete_nan_is_a_failure_not_an_action(make_policy):
    policy = make_policy(B.constant_model([0.1, float("nan"), 0.3]), B.discrete_metadata(ACTIONS))
    with pytest.raises(PolicyFailure, match="NaN"):
        policy.act()


def test_too_slow_on_average_over_the_window(make_policy):
    policy = make_policy(B.heavy_model(), limits=PolicyLimits(mean_step_budget_s=1e-7, budget_window_steps=3))
    policy.act()
    policy.act()
    with pytest.raises(PolicyFailure, match="too slow: .* ms per step on average"):
        policy.act()


def test_too_slow_in_a_single_step(make_policy):
    policy = make_policy(B.heavy_model(), limits=PolicyLimits(max_single_step_s=1e-7))
    with pytest.raises(PolicyFailure, match="too slow: one step took"):
        policy.act()


def test_the_model_reads_the_buffers(make_policy):
    # The NaN-at-speed model is a function of its input: the buffers are what it sees.
    policy = make_policy(B.nan_when_fast_model(threshold_m_s=1.0))
    policy.buffers["STATE"][0, L.STATE_SPEED] = 0.5
    assert policy.act()[0] == 0.0
    policy.buffers["STATE"][0, L.STATE_SPEED] = 1.5
    with pytest.raises(PolicyFailure):
        policy.act()
