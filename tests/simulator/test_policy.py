"""Running a model: check_model end to end, trial inference, and acting step by step
with its failures (NaN, shape, crash, too slow). The static checks are in
test_inspection.py, the metadata in test_metadata.py, the action mapping in test_actions.py.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator import layout as L
from simulator.metadata import ModelMetadata, parse_metadata
from simulator.params import PolicyLimits
from simulator.policy import PolicyFailure, check_model, load_policy, trial_inference

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
    assert trial_inference(policy) > 0  # neutral inputs: speed 0.5
    policy.buffers["STATE"][0, L.STATE_SPEED] = 2.0
    with pytest.raises(PolicyFailure, match="NaN"):
        policy.act()


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
