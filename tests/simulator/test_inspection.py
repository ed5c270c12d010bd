"""Static checks of the ONNX file: declared inputs and output against the metadata, and
every refusal of a hostile or broken file (field "onnx" and a phrase of the message)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from onnx import TensorProto

from simulator.inspection import inspect_model
from simulator.metadata import parse_metadata
from simulator.params import DEFAULT_MAX_MODEL_BYTES

from . import builders as B

STATE_META = B.continuous_metadata()
CAMERA_META = B.continuous_metadata(sensor="FRONT_FACING_CAMERA")
TWO_SENSORS = B.continuous_metadata(sensor=["STATE", "LIDAR"])


def inspect(onnx_bytes: bytes, metadata: dict = STATE_META, **kwargs):
    info, _ = inspect_model(onnx_bytes, parse_metadata(metadata), **kwargs)
    return info


def test_a_state_model(pursuit_bytes):
    info = inspect(pursuit_bytes)
    assert info.sha256 == hashlib.sha256(pursuit_bytes).hexdigest()
    assert info.size_bytes == len(pursuit_bytes)
    assert info.sensors == ("STATE",) and info.action_space_type == "continuous" and info.n_actions == 2
    (spec,) = info.inputs
    assert (spec.name, spec.sensor, spec.shape, spec.dtype) == ("state", "STATE", (1, 26), "float32")
    assert info.output_name == "action"


def test_a_discrete_lidar_model():
    meta = B.discrete_metadata([(-30, 1), (0, 2), (30, 1)], sensor="LIDAR")
    info = inspect(B.constant_model([0.1, 0.7, 0.2], sensor="LIDAR"), meta)
    assert info.n_actions == 3 and info.inputs[0].shape == (1, 64)


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
@pytest.mark.parametrize("input_type, dtype", [(TensorProto.FLOAT, "float32"), (TensorProto.UINT8, "uint8")])
def test_both_camera_layouts_and_types(layout, input_type, dtype):
    (spec,) = inspect(B.camera_mean_model(layout, input_type), CAMERA_META).inputs
    assert spec.layout == layout and spec.dtype == dtype
    assert spec.shape == ((1, 120, 160, 1) if layout == "NHWC" else (1, 1, 120, 160))


def test_symbolic_batch_dimension_is_accepted():
    model = B.constant_model([0.0, 0.0], input_shape=["batch", 26], output_shape=["batch", 2])
    assert inspect(model).inputs[0].shape == (1, 26)


@pytest.mark.parametrize("names", [("state", "LIDAR"), ("Lidar", "STATE")])
def test_several_inputs_named_after_their_sensors(names):
    info = inspect(B.multi_input_model(names), TWO_SENSORS)
    assert sorted(info.sensors) == ["LIDAR", "STATE"]
    assert {s.name: s.sensor for s in info.inputs} == {
        n: ("STATE" if n.lower() == "state" else "LIDAR") for n in names}


MODEL_ERRORS = {
    # name: (model bytes, metadata, phrase)
    "declared-output-width": (lambda: B.constant_model([0, 0, 0]), STATE_META,
                              "the first output 'action' has shape [1,3]; expected [1,2]"),
    "discrete-output-width": (lambda: B.constant_model([0, 0, 0, 0, 0]),
                              B.discrete_metadata([(0, 1), (10, 1), (-10, 1)]), "expected [1,3]: 3 scores"),
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
    "too-big": (lambda: b"\0" * (DEFAULT_MAX_MODEL_BYTES + 1), STATE_META, "larger than the 50 MiB limit"),
    "custom-domain": (B.custom_domain_model, STATE_META, "operator domain 'com.example.racing' is not allowed"),
    "custom-node": (B.custom_node_without_opset, STATE_META, "not allowed; only the standard ONNX operators are"),
    "external-data": (B.external_data_model, STATE_META, "tensor 'w' refers to external data"),
    "sparse-external-data": (B.sparse_external_data_model, STATE_META,
                             "sparse tensor 'w_values' refers to external data"),
    "constant-external-data": (B.constant_external_data_model, STATE_META,
                               "node 'Constant' refers to external data"),
    "checker": (B.checker_error_model, STATE_META, "the ONNX checker refused the model"),
    "string-output": (B.string_output_model, STATE_META, "must be a float32 tensor"),
    "inputs-not-named-after-sensors": (lambda: B.multi_input_model(("x", "y")), TWO_SENSORS,
                                       "input 'x' is not named after a sensor"),
    "inputs-for-other-sensors": (lambda: B.multi_input_model(("state", "camera")), TWO_SENSORS,
                                 "the model's inputs are for FRONT_FACING_CAMERA, STATE but the metadata lists STATE, LIDAR"),
    "one-input-two-sensors": (lambda: B.constant_model([0, 0]), TWO_SENSORS, "one input but the metadata lists 2 sensors"),
}


@pytest.mark.parametrize("case", sorted(MODEL_ERRORS))
def test_refused(refused, case):
    make, meta, phrase = MODEL_ERRORS[case]
    refused(lambda: inspect(make(), meta), "onnx", phrase)


@pytest.mark.parametrize("make", [
    lambda: b"this is not a neural network\n" * 20,
    lambda: b'{"action_space": []}',  # the metadata in the model's place
    B.no_graph_model,
])  # fmt: skip
def test_a_file_that_is_not_onnx_is_told_what_to_upload_and_how_to_check(refused, make):
    message = refused(lambda: inspect(make()), "onnx", "the file is not an ONNX model")
    assert "Expected the policy exported to ONNX (torch.onnx.export, or tf2onnx for TensorFlow)" in message
    assert "a DeepRacer console export (.tar.gz) is converted by `python -m simulator import`" in message
    assert "`python -m simulator check model.onnx`" in message


# A one-input model shaped for another sensor than its metadata names: (model, metadata
# sensor, the sensor it fits, what it takes).
OTHER_SENSOR = {
    "state-model-lidar-metadata": (lambda: B.constant_model([0, 0]), "LIDAR", "STATE", "STATE's 26 values"),
    "lidar-model-state-metadata": (lambda: B.constant_model([0, 0], sensor="LIDAR"), "STATE", "LIDAR", "LIDAR's 64 ranges"),
    "camera-model-state-metadata": (lambda: B.camera_mean_model("NCHW"), "STATE", "FRONT_FACING_CAMERA",
                                    "a 160x120 grayscale camera image (FRONT_FACING_CAMERA)"),
    "state-model-camera-metadata": (lambda: B.constant_model([0, 0], input_name="camera"), "FRONT_FACING_CAMERA",
                                    "STATE", "STATE's 26 values"),
    "stereo-model-camera-metadata": (
        lambda: B.constant_model([0, 0], sensor="FRONT_FACING_CAMERA", input_shape=[1, 120, 160, 2]),
        "FRONT_FACING_CAMERA", "STEREO_CAMERAS", "two 160x120 grayscale camera images (STEREO_CAMERAS)"),
}


@pytest.mark.parametrize("case", sorted(OTHER_SENSOR))
def test_a_model_for_another_sensor_is_a_metadata_error_naming_the_fix(refused, case):
    make, named, fits, takes = OTHER_SENSOR[case]
    message = refused(lambda: inspect(make(), B.continuous_metadata(sensor=named)), "metadata",
                      f"the metadata names {named} while the model takes {takes}")
    assert f'fix "sensor" in model_metadata.json (["{fits}"]), or export the model for {named}: ' in message
    assert message.endswith("]" if named in ("STATE", "LIDAR") else "image")  # the shape that sensor takes


def test_the_size_cap_is_the_callers(refused, pursuit_bytes):
    n = len(pursuit_bytes)
    refused(lambda: inspect(pursuit_bytes, max_model_bytes=n - 1), "onnx", f"({n:,} bytes)")
    assert inspect(pursuit_bytes, max_model_bytes=n).size_bytes == n
    # Above the default: a league that raises its setting gets what it asked for.
    padded = B.padded_model(DEFAULT_MAX_MODEL_BYTES + 1)
    refused(lambda: inspect(padded), "onnx", "larger than the 50 MiB limit")
    assert inspect(padded, max_model_bytes=2 * DEFAULT_MAX_MODEL_BYTES).size_bytes == len(padded)
