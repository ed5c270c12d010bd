"""Model packages: metadata parsing, the static checks, trial inference and acting.

Every refusal is checked for its field and a phrase of its one-line message.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from onnx import TensorProto

from simulator import layout as L
from simulator.params import PolicyLimits
from simulator.policy import (
    MAX_MODEL_BYTES,
    ModelError,
    ModelMetadata,
    PolicyFailure,
    check_model,
    load_policy,
    parse_metadata,
    trial_inference,
)

from . import builders as B

STATE_META = B.continuous_metadata()
SUPPORTED = "FRONT_FACING_CAMERA, LIDAR, STATE"


def refused(call, field: str, phrase: str) -> str:
    with pytest.raises(ModelError) as err:
        call()
    message = str(err.value)
    assert err.value.field == field, message
    assert phrase in message, message
    assert "\n" not in message
    return message


# --- metadata ---------------------------------------------------------------------------------


def test_discrete_metadata():
    raw = B.discrete_metadata([(-30, 0.6), (0, 1.2), (30, 0.6)], sensor="LIDAR")
    raw["preprocess_type"] = "GREY_SCALE"
    meta = parse_metadata(raw)
    assert meta.sensors == ("LIDAR",)
    assert meta.action_space_type == "discrete"
    assert [(a.steering_deg, a.speed_m_s) for a in meta.actions] == [(-30, 0.6), (0, 1.2), (30, 0.6)]
    assert meta.raw["preprocess_type"] == "GREY_SCALE"  # unknown keys are kept


def test_continuous_metadata():
    meta = parse_metadata(B.continuous_metadata(steering=(-20, 25), speed=(0.8, 3.5)))
    assert meta.action_space_type == "continuous"
    assert meta.steering_range_deg == (-20, 25) and meta.speed_range_m_s == (0.8, 3.5)


@pytest.mark.parametrize("encode", [lambda d: d, json.dumps, lambda d: json.dumps(d).encode()])
def test_metadata_from_dict_text_or_bytes(encode):
    assert parse_metadata(encode(STATE_META)).sensors == ("STATE",)


def test_deepracer_defaults():
    # No sensor: DeepRacer's camera. No type: a list is discrete, an object continuous.
    meta = parse_metadata({"action_space": [{"steering_angle": 0, "speed": 1}]})
    assert meta.sensors == ("FRONT_FACING_CAMERA",) and meta.action_space_type == "discrete"
    meta = parse_metadata({"sensor": "STATE", "action_space": STATE_META["action_space"]})
    assert meta.sensors == ("STATE",) and meta.action_space_type == "continuous"


def test_actions_are_rounded():
    meta = parse_metadata(B.discrete_metadata([(12.34567, 1.23456)]))
    assert meta.actions[0].steering_deg == 12.35 and meta.actions[0].speed_m_s == 1.235


def _meta(**changes):
    d = json.loads(json.dumps(STATE_META))
    for key, value in changes.items():
        if value is None:
            d.pop(key)
        else:
            d[key] = value
    return d


def _space(steer=(-30, 30), speed=(0.5, 4)):
    return {"steering_angle": {"low": steer[0], "high": steer[1]}, "speed": {"low": speed[0], "high": speed[1]}}


METADATA_ERRORS = {
    "not-json": ("{'action_space': [}", "not valid JSON"),
    "not-utf8": (b"\xff\xfe\x00{", "not UTF-8"),
    "not-an-object": ("[1, 2, 3]", "must be a JSON object"),
    "too-big": (b" " * (1024 * 1024 + 1), "larger than 1 MB"),
    "missing-action-space": (_meta(action_space=None), 'no "action_space"'),
    "steering-over-30": (_meta(action_space=_space(steer=(-30, 31))), "steering must be within -30..30"),
    "discrete-steering-over-30": (
        B.discrete_metadata([(0, 1), (45, 1)]), "action 1 steering_angle is 45 deg; steering must be within -30..30"),
    "speed-too-high": (_meta(action_space=_space(speed=(0.5, 5))), "speed must be within 0.1..4"),
    "speed-too-low": (B.discrete_metadata([(0, 0.05)]), "speed must be within 0.1..4"),
    "speed-not-a-number": (B.discrete_metadata([(0, "fast")]), 'action 0 speed must be a number, got "fast"'),
    "steering-bool": (B.discrete_metadata([(True, 1)]), "must be a number"),
    "speed-nan": ('{"action_space": [{"steering_angle": 0, "speed": NaN}]}', "finite"),
    "unknown-sensor": (_meta(sensor=["SECTOR_LIDAR"]), f"unsupported sensor SECTOR_LIDAR; supported sensors: {SUPPORTED}"),
    "lowercase-sensor": (_meta(sensor=["state"]), f"supported sensors: {SUPPORTED}"),
    "sensor-twice": (_meta(sensor=["STATE", "STATE"]), "the same sensor twice"),
    "no-sensors": (_meta(sensor=[]), "must be a list of sensor names"),
    "bad-type": (_meta(action_space_type="hybrid"), 'use "discrete" or "continuous"'),
    "empty-discrete": (B.discrete_metadata([]), "non-empty list"),
    "action-without-speed": (_meta(action_space=[{"steering_angle": 0}], action_space_type="discrete"), "must have both"),
    "too-many-actions": (B.discrete_metadata([(0, 1)] * 101), "at most 100"),
    "low-above-high": (_meta(action_space=_space(speed=(3, 1))), "low 3 above high 1"),
    "range-without-high": (_meta(action_space={"steering_angle": {"low": -30}, "speed": {"low": 1, "high": 2}}),
                           'needs "low" and "high"'),
    "continuous-as-list": (_meta(action_space=[1, 2]), 'a continuous "action_space" must be'),
}


@pytest.mark.parametrize("case", sorted(METADATA_ERRORS))
def test_metadata_errors(case):
    source, phrase = METADATA_ERRORS[case]
    refused(lambda: parse_metadata(source), "metadata", phrase)


@pytest.mark.parametrize("case", ["not-json", "steering-over-30", "speed-too-high", "missing-action-space", "unknown-sensor"])
def test_check_model_reports_metadata_errors(case, pursuit_bytes):
    source, phrase = METADATA_ERRORS[case]
    refused(lambda: check_model(pursuit_bytes, source), "metadata", phrase)


# --- accepted models --------------------------------------------------------------------------


def test_check_model_accepts_a_state_model(pursuit_bytes):
    info = check_model(pursuit_bytes, json.dumps(STATE_META).encode())
    assert info.sha256 == hashlib.sha256(pursuit_bytes).hexdigest()
    assert info.size_bytes == len(pursuit_bytes)
    assert info.sensors == ("STATE",) and info.action_space_type == "continuous" and info.n_actions == 2
    (spec,) = info.inputs
    assert (spec.name, spec.sensor, spec.shape, spec.dtype) == ("state", "STATE", (1, 26), "float32")
    assert info.output_name == "action"
    assert info.trial_inference_ms > 0
    json.dumps(info.to_dict())


def test_check_model_accepts_a_discrete_lidar_model():
    meta = B.discrete_metadata([(-30, 1), (0, 2), (30, 1)], sensor="LIDAR")
    info = check_model(B.constant_model([0.1, 0.7, 0.2], sensor="LIDAR"), meta)
    assert info.n_actions == 3 and info.inputs[0].shape == (1, 64)


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
@pytest.mark.parametrize("input_type, dtype", [(TensorProto.FLOAT, "float32"), (TensorProto.UINT8, "uint8")])
def test_check_model_accepts_both_camera_layouts_and_types(layout, input_type, dtype):
    meta = B.continuous_metadata(sensor="FRONT_FACING_CAMERA")
    info = check_model(B.camera_mean_model(layout, input_type), meta)
    (spec,) = info.inputs
    assert spec.layout == layout and spec.dtype == dtype
    assert spec.shape == ((1, 120, 160, 1) if layout == "NHWC" else (1, 1, 120, 160))


def test_symbolic_batch_dimension_is_accepted():
    model = B.constant_model([0.0, 0.0], input_shape=["batch", 26], output_shape=["batch", 2])
    assert check_model(model, STATE_META).inputs[0].shape == (1, 26)


@pytest.mark.parametrize("names", [("state", "LIDAR"), ("Lidar", "STATE")])
def test_several_inputs_named_after_their_sensors(names):
    meta = B.continuous_metadata(sensor=["STATE", "LIDAR"])
    info = check_model(B.multi_input_model(names), meta)
    assert sorted(info.sensors) == ["LIDAR", "STATE"]
    assert {s.name: s.sensor for s in info.inputs} == {
        n: ("STATE" if n.lower() == "state" else "LIDAR") for n in names}


def test_load_policy_accepts_parsed_metadata(pursuit_bytes):
    policy = load_policy(pursuit_bytes, parse_metadata(STATE_META))
    assert isinstance(policy.metadata, ModelMetadata)
    assert policy.buffers["STATE"].shape == (1, 26) and policy.buffers["STATE"].dtype == np.float32
    assert policy.feed["state"] is policy.buffers["STATE"]


# --- refused models ---------------------------------------------------------------------------


CAMERA_META = B.continuous_metadata(sensor="FRONT_FACING_CAMERA")
TWO_SENSORS = B.continuous_metadata(sensor=["STATE", "LIDAR"])
MODEL_ERRORS = {
    # name: (model bytes, metadata, phrase)
    "nan-output": (lambda: B.nan_model(), STATE_META, "trial inference failed: the model returned NaN"),
    "infinite-output": (lambda: B.constant_model([float("inf"), 0.0]), STATE_META, "NaN or infinity"),
    "declared-output-width": (lambda: B.constant_model([0, 0, 0]), STATE_META,
                              "the first output 'action' has shape [1,3]; expected [1,2]"),
    "discrete-output-width": (lambda: B.constant_model([0, 0, 0, 0, 0]),
                              B.discrete_metadata([(0, 1), (10, 1), (-10, 1)]), "expected [1,3]: 3 scores"),
    "runtime-output-width": (lambda: B.runtime_width_model(3), STATE_META, "returned shape [1, 3]; expected [1, 2]"),
    "state-input-shape": (lambda: B.constant_model([0, 0], input_shape=[1, 25]), STATE_META,
                          "STATE input 'state' has shape [1,25]; expected [1,26]"),
    "lidar-input-shape": (lambda: B.constant_model([0, 0], sensor="LIDAR", input_shape=[1, 32]),
                          B.continuous_metadata(sensor="LIDAR"), "expected [1,64]"),
    "camera-rgb": (lambda: B.constant_model([0, 0], sensor="FRONT_FACING_CAMERA", input_shape=[1, 3, 120, 160]),
                   CAMERA_META, "grayscale 160x120"),
    "camera-size": (lambda: B.constant_model([0, 0], sensor="FRONT_FACING_CAMERA", input_shape=[1, 84, 84, 1]),
                    CAMERA_META, "expected [1,120,160,1] (NHWC) or [1,1,120,160] (NCHW)"),
    "state-float64": (lambda: B.constant_model([0, 0], input_type=TensorProto.DOUBLE), STATE_META, "declare it float32"),
    "garbage": (lambda: np.random.default_rng(7).bytes(5000), STATE_META, "not an ONNX model"),
    "text": (lambda: b"this is not a neural network\n" * 20, STATE_META, "not an ONNX model"),
    "no-graph": (B.no_graph_model, STATE_META, "not an ONNX model (no graph)"),
    "empty": (lambda: b"", STATE_META, "the model file is empty"),
    "too-big": (lambda: b"\0" * (MAX_MODEL_BYTES + 1), STATE_META, "the limit is 50 MB"),
    "custom-domain": (B.custom_domain_model, STATE_META, "operator domain 'com.example.racing' is not allowed"),
    "custom-node": (B.custom_node_without_opset, STATE_META, "not allowed; only the standard ONNX operators are"),
    "external-data": (B.external_data_model, STATE_META, "tensor 'w' refers to external data"),
    "sparse-external-data": (B.sparse_external_data_model, STATE_META,
                             "sparse tensor 'w_values' refers to external data"),
    "constant-external-data": (B.constant_external_data_model, STATE_META,
                               "node 'Constant' refers to external data"),
    "checker": (B.checker_error_model, STATE_META, "the ONNX checker refused the model"),
    "onnxruntime-load": (B.type_error_model, STATE_META, "onnxruntime cannot load the model"),
    "crash-at-inference": (B.crashing_model, STATE_META, "the model crashed during inference"),
    "string-output": (B.string_output_model, STATE_META, "must be a float32 tensor"),
    "inputs-not-named-after-sensors": (lambda: B.multi_input_model(("x", "y")), TWO_SENSORS,
                                       "input 'x' is not named after a sensor"),
    "inputs-for-other-sensors": (lambda: B.multi_input_model(("state", "camera")), TWO_SENSORS,
                                 "the model's inputs are for FRONT_FACING_CAMERA, STATE but the metadata lists STATE, LIDAR"),
    "one-input-two-sensors": (lambda: B.constant_model([0, 0]), TWO_SENSORS, "one input but the metadata lists 2 sensors"),
    "unsupported-sensor": (lambda: B.constant_model([0, 0]), _meta(sensor=["STEREO_CAMERAS"]), SUPPORTED),
}


@pytest.mark.parametrize("case", sorted(MODEL_ERRORS))
def test_check_model_refuses(case):
    make, meta, phrase = MODEL_ERRORS[case]
    field = "metadata" if case == "unsupported-sensor" else "onnx"
    refused(lambda: check_model(make(), meta), field, phrase)


def test_too_slow_model_fails_trial_inference():
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


@pytest.mark.parametrize(
    "output, steering, speed",
    [
        ([0.5, 0.0], 15.0, 2.25),
        ([-1.0, -1.0], -30.0, 0.5),
        ([1.0, 1.0], 30.0, 4.0),
        ([3.0, -7.0], 30.0, 0.5),  # clipped to [-1, 1]
        ([0.0123456, 0.1], 0.37, 2.425),  # rounded to 0.01 deg and 0.001 m/s
    ],
)
def test_continuous_output_is_clipped_then_mapped(make_policy, output, steering, speed):
    policy = make_policy(B.constant_model(output))
    assert policy.act() == (steering, speed, -1)


def test_continuous_mapping_uses_the_metadata_ranges(make_policy):
    meta = B.continuous_metadata(steering=(-10, 20), speed=(1.0, 2.0))
    assert make_policy(B.constant_model([-1.0, 1.0]), meta).act() == (-10.0, 2.0, -1)
    assert make_policy(B.constant_model([0.0, 0.0]), meta).act() == (5.0, 1.5, -1)


def test_equal_low_and_high_fix_the_value(make_policy):
    meta = B.continuous_metadata(speed=(1.7, 1.7))
    assert make_policy(B.constant_model([0.0, 0.9]), meta).act()[1] == 1.7


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


def test_metadata_with_a_byte_order_mark_is_read():
    meta = parse_metadata(b"\xef\xbb\xbf" + json.dumps(STATE_META).encode())
    assert meta.sensors == ("STATE",)


@pytest.mark.parametrize(
    "text, phrase",
    [("[" * 100_000 + "]" * 100_000, "nested too deeply"),
     ('{"x": ' + "9" * 5000 + "}", "a number is too long to read")],
)
def test_absurd_metadata_is_refused_with_a_message(text, phrase):
    refused(lambda: parse_metadata(text.encode()), "metadata", phrase)
