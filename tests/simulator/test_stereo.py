"""STEREO_CAMERAS: DeepRacer's pair of cameras, 0.06 m apart, fed to a model as two grey
channels (left, right), from upload checks to the race and the Gymnasium environment."""

from __future__ import annotations

import math

import numpy as np
import pytest
from onnx import TensorProto
from PIL import Image

from simulator import layout as L
from simulator.camera import CameraSensor, StereoCameraSensor, focal_px
from simulator.env import TimeTrialEnv
from simulator.inspection import inspect_model
from simulator.metadata import ModelError, parse_metadata
from simulator.onnx_build import GraphBuilder
from simulator.params import SENSORS, CameraParams, RaceRules, SimParams
from simulator.race import make_observer, run_time_trial
from simulator.vehicle import CarState

from . import builders as B

Y0 = -1.5  # the long stadium's bottom straight
PARAMS = CameraParams()
STEREO_META = B.continuous_metadata(sensor="STEREO_CAMERAS", speed=(0.5, 1.0))


def stereo_model(layout: str = "NHWC", input_type=TensorProto.FLOAT, name: str = "camera",
                 lidar: bool = False) -> bytes:
    """Steering = mean of the left frame minus the mean of the right one (in 0..1 units),
    speed the lowest; with `lidar`, a second input that is read and ignored."""
    b = GraphBuilder()
    x = name if input_type == TensorProto.FLOAT else b.node("Cast", name, to=TensorProto.FLOAT)
    if input_type == TensorProto.UINT8:
        x = b.node("Mul", x, b.const(1.0 / 255.0))
    axes = [1, 2] if layout == "NHWC" else [2, 3]
    means = b.node("ReduceMean", x, axes=axes, keepdims=0)  # (1, 2): left, right (opset 17: axes attribute)
    diff = b.node("MatMul", means, b.const([[1.0], [-1.0]]))  # (1, 1)
    if lidar:
        diff = b.node("Add", diff, b.node("ReduceSum", b.node("Mul", "lidar", b.const(0.0)),
                                          b.const([1], np.int64), keepdims=1))
    out = b.node("Concat", diff, b.const([[-1.0]]), axis=1)
    shape = [1, 120, 160, 2] if layout == "NHWC" else [1, 2, 120, 160]
    inputs = [(name, input_type, shape)] + ([("lidar", TensorProto.FLOAT, [1, 64])] if lidar else [])
    return B.to_bytes(b.model(inputs, out, "action", [1, 2]))


def inspect(onnx_bytes: bytes, metadata: dict):
    info, _ = inspect_model(onnx_bytes, parse_metadata(metadata))
    return info


@pytest.fixture(scope="module")
def stereo(long_track):
    return StereoCameraSensor(long_track, PARAMS)


def test_stereo_is_a_supported_sensor_and_races_allow_it():
    assert "STEREO_CAMERAS" in SENSORS
    assert "STEREO_CAMERAS" in RaceRules().allowed_sensors
    assert parse_metadata(STEREO_META).sensors == ("STEREO_CAMERAS",)


def test_the_pair_is_two_cameras_a_baseline_apart(stereo, long_track):
    assert PARAMS.stereo_baseline_m == 0.06
    car = CarState(-2.0, Y0 + 0.1, 0.1, 0.0, 0.0)
    left, right = (f.copy() for f in stereo.render(car))
    np.testing.assert_array_equal(left, CameraSensor(long_track, PARAMS, lateral_m=0.03).render(car))
    np.testing.assert_array_equal(right, CameraSensor(long_track, PARAMS, lateral_m=-0.03).render(car))
    assert not np.array_equal(left, right)


@pytest.mark.parametrize("row", [50, 65, 80, 95, 110])
def test_the_frames_differ_by_the_baseline_disparity(stereo, row):
    # A floor point at depth Z (along the optical axis) appears f * b / Z pixels further
    # right in the left camera than in the right one; every point of a row has the same Z.
    left, right = (f.astype(np.float64) for f in stereo.render(CarState(-3.0, Y0 + 0.05, 0.15, 0.0, 0.0)))
    f = focal_px(PARAMS)
    p = PARAMS.pitch_down_rad
    depth = PARAMS.height_m / (math.sin(p) + (row + 0.5 - 60) / f * math.cos(p))
    expected = f * PARAMS.stereo_baseline_m / depth
    costs = [np.abs(left[row, s:] - right[row, : 160 - s]).mean() for s in range(0, 60)]
    best = int(np.argmin(costs))
    assert abs(best - expected) <= 1.5, (best, expected)
    assert costs[best] < 0.5 * costs[0]


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
@pytest.mark.parametrize("input_type, dtype", [(TensorProto.FLOAT, "float32"), (TensorProto.UINT8, "uint8")])
def test_checks_accept_both_layouts_and_types(layout, input_type, dtype):
    (spec,) = inspect(stereo_model(layout, input_type), STEREO_META).inputs
    assert (spec.sensor, spec.layout, spec.dtype) == ("STEREO_CAMERAS", layout, dtype)
    assert spec.shape == ((1, 120, 160, 2) if layout == "NHWC" else (1, 2, 120, 160))


def test_a_one_channel_input_is_not_a_stereo_pair():
    with pytest.raises(ModelError) as exc:
        inspect(B.camera_mean_model(), STEREO_META)
    assert exc.value.field == "metadata"  # it fits the one camera: the metadata is the likely slip
    assert "[1,120,160,2] (NHWC) or [1,2,120,160] (NCHW)" in str(exc.value)
    assert "left, right" in str(exc.value)


def test_with_lidar_the_inputs_are_named_camera_and_lidar():
    meta = B.continuous_metadata(sensor=["STEREO_CAMERAS", "LIDAR"])
    info = inspect(stereo_model(lidar=True), meta)
    assert {(s.name, s.sensor) for s in info.inputs} == {("camera", "STEREO_CAMERAS"), ("lidar", "LIDAR")}


def test_a_model_has_one_camera():
    meta = B.continuous_metadata(sensor=["FRONT_FACING_CAMERA", "STEREO_CAMERAS", "LIDAR"])
    with pytest.raises(ModelError) as exc:
        inspect(stereo_model(lidar=True), meta)
    assert exc.value.field == "metadata" and "one camera" in str(exc.value)


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
@pytest.mark.parametrize("input_type", [TensorProto.FLOAT, TensorProto.UINT8])
def test_the_observer_fills_left_and_right_channels(long_track, make_policy, stereo, layout, input_type):
    policy = make_policy(stereo_model(layout, input_type), STEREO_META)
    car = CarState(-3.0, Y0, 0.0, 0.0, 0.0)
    observe = make_observer(policy.buffers, long_track, SimParams())
    observe(car, long_track.project(car.x_m, car.y_m))
    buf = policy.buffers["STEREO_CAMERAS"]
    left, right = (f.copy() for f in stereo.render(car))
    if layout == "NHWC":
        got = buf[0, :, :, L.STEREO_LEFT], buf[0, :, :, L.STEREO_RIGHT]
    else:
        got = buf[0, L.STEREO_LEFT], buf[0, L.STEREO_RIGHT]
    scale = np.float32(1 / 255) if input_type == TensorProto.FLOAT else 1
    for frame, expected in zip(got, (left, right)):
        np.testing.assert_array_equal(frame, expected * scale if scale != 1 else expected)


def test_a_stereo_model_races(long_track, make_policy, stereo):
    policy = make_policy(stereo_model(), STEREO_META)
    result = run_time_trial(policy, long_track, RaceRules(laps=1, time_cap_s=1.0))
    assert result.status == "dnf" and result.steps == 15
    start = long_track.project(0.0, Y0)
    left, right = stereo.render(CarState(0.0, Y0, start.track_heading_rad, 0.0, 0.0))
    steer = float(left.mean() - right.mean()) / 255.0
    assert result.trajectory[0, L.TRAJ_STEERING_DEG] == pytest.approx(-30.0 + (steer + 1.0) * 30.0, abs=0.011)


@pytest.mark.parametrize("layout, shape", [("NHWC", (120, 160, 2)), ("NCHW", (2, 120, 160))])
def test_the_environment_observes_the_pair(long_track, layout, shape):
    env = TimeTrialEnv(long_track, metadata=STEREO_META, camera_layout=layout, camera_dtype="uint8")
    obs, _ = env.reset()
    assert env.observation_space.shape == shape and obs.shape == shape and obs.dtype == np.uint8
    assert env.observation_space.contains(obs)
    obs, *_ = env.step(np.array([0.0, 0.0], dtype=np.float32))
    assert obs.shape == shape


def test_the_camera_command_shows_the_pair(cli, stadium_file, tmp_path):
    out = tmp_path / "pair.png"
    code, printed, err = cli("camera", "--track", stadium_file, "--out", out, "--stereo", "--scale", "2")
    assert code == 0, err
    with Image.open(out) as img:
        assert img.size == (640, 240) and img.mode == "L"
