"""The simulator-level test data, one place for every test suite: small tracks made with
numpy (and broken track files), model_metadata.json dicts, and ONNX models written with
`simulator.onnx_build.GraphBuilder` (scripted controllers and deliberately broken files).

Everything here is deterministic and cheap: no training, only seeded random bytes.
"""

from __future__ import annotations

import io
import math
import os
import struct
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from simulator import layout as L
from simulator.onnx_build import OPSET, GraphBuilder
from simulator.params import CarParams

# --- tracks ---------------------------------------------------------------------------------


def stadium(
    straight_m: float = 4.0,
    radius_m: float = 1.5,
    width_m: float = 1.0,
    spacing_m: float = 0.1,
    clockwise: bool = False,
    offset=(0.0, 0.0),
    repeat_first: bool = True,
    width_fn=None,
) -> np.ndarray:
    """A stadium (two straights, two half circles) as a DeepRacer (N, 6) waypoint array.

    Counter-clockwise by default: the start (waypoint 0) is in the middle of the bottom
    straight, at (0, -radius_m), facing +x. `clockwise=True` mirrors it in the x axis
    (the start faces +x still, the loop turns right). `width_fn(s_m, length_m)` gives a
    width that varies along the lap. Inner = the infield border, as in DeepRacer files.
    """
    a = straight_m / 2.0
    r = radius_m
    arc = math.pi * r
    length = 2.0 * straight_m + 2.0 * arc
    n = max(int(round(length / spacing_m)), 8)
    rows = []
    for k in range(n):
        s = k * length / n
        # Segments: bottom straight from x=0 to a, right half circle, top straight, left
        # half circle, bottom straight from -a back to 0.
        if s < a:
            c, t = (s, -r), (1.0, 0.0)
        elif s < a + arc:
            phi = -math.pi / 2 + (s - a) / r
            c, t = (a + r * math.cos(phi), r * math.sin(phi)), (-math.sin(phi), math.cos(phi))
        elif s < a + arc + straight_m:
            c, t = (a - (s - a - arc), r), (-1.0, 0.0)
        elif s < a + 2 * arc + straight_m:
            phi = math.pi / 2 + (s - a - arc - straight_m) / r
            c, t = (-a + r * math.cos(phi), r * math.sin(phi)), (-math.sin(phi), math.cos(phi))
        else:
            c, t = (-a + (s - a - 2 * arc - straight_m), -r), (1.0, 0.0)
        w = width_fn(s, length) if width_fn else width_m
        left = (-t[1], t[0])
        inner = (c[0] + left[0] * w / 2, c[1] + left[1] * w / 2)
        outer = (c[0] - left[0] * w / 2, c[1] - left[1] * w / 2)
        rows.append([c[0], c[1], inner[0], inner[1], outer[0], outer[1]])
    arr = np.array(rows, dtype=np.float64)
    if clockwise:
        arr[:, 1::2] *= -1.0
    if repeat_first:
        arr = np.vstack([arr, arr[:1]])
    arr[:, 0::2] += offset[0]
    arr[:, 1::2] += offset[1]
    return arr


def stadium_length(straight_m: float = 4.0, radius_m: float = 1.5) -> float:
    return 2.0 * straight_m + 2.0 * math.pi * radius_m


def npy_bytes(arr: np.ndarray) -> bytes:
    """The array as the bytes of a DeepRacer .npy track file."""
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def polygon_length(arr: np.ndarray) -> float:
    """Length of the centre line of a (closed-by-repeat or open) waypoint array."""
    c = arr[:, :2]
    if np.hypot(*(c[-1] - c[0])) > 1e-9:
        c = np.vstack([c, c[:1]])
    return float(np.hypot(*np.diff(c, axis=0).T).sum())


# --- metadata -------------------------------------------------------------------------------


def continuous_metadata(sensor="STATE", steering=(-30.0, 30.0), speed=(0.5, 4.0)) -> dict:
    sensors = [sensor] if isinstance(sensor, str) else list(sensor)
    return {
        "action_space": {
            "steering_angle": {"low": steering[0], "high": steering[1]},
            "speed": {"low": speed[0], "high": speed[1]},
        },
        "sensor": sensors,
        "neural_network": "TEST",
        "training_algorithm": "none",
        "action_space_type": "continuous",
        "version": "5",
    }


def discrete_metadata(actions, sensor="STATE") -> dict:
    sensors = [sensor] if isinstance(sensor, str) else list(sensor)
    return {
        "action_space": [{"steering_angle": s, "speed": v} for s, v in actions],
        "sensor": sensors,
        "neural_network": "TEST",
        "training_algorithm": "none",
        "action_space_type": "discrete",
        "version": "5",
    }


# --- models ---------------------------------------------------------------------------------

CAMERA_NHWC = [1, 120, 160, 1]
CAMERA_NCHW = [1, 1, 120, 160]
INPUT_SHAPES = {"STATE": [1, L.STATE_SIZE], "LIDAR": [1, 64], "FRONT_FACING_CAMERA": CAMERA_NHWC}
INPUT_NAMES = {"STATE": "state", "LIDAR": "lidar", "FRONT_FACING_CAMERA": "camera"}


def to_bytes(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString()


def unit(value: float, low: float, high: float) -> float:
    """The continuous output in [-1, 1] that maps onto `value` in [low, high]."""
    return 2.0 * (value - low) / (high - low) - 1.0


def _zero_of_input(b: GraphBuilder, name: str, elem_type: int) -> str:
    """A scalar 0 that depends on the input, so the graph really reads it."""
    x = name if elem_type == TensorProto.FLOAT else b.node("Cast", name, to=TensorProto.FLOAT)
    return b.node("Mul", b.node("ReduceSum", x, keepdims=0), b.const(0.0))


def constant_model(values, sensor="STATE", input_shape=None, input_type=TensorProto.FLOAT,
                   output_shape=None, input_name=None) -> bytes:
    """Outputs `values` (shape [1, len(values)]) whatever it sees."""
    values = np.asarray(values, dtype=np.float32).reshape(1, -1)
    name = input_name or INPUT_NAMES[sensor]
    shape = input_shape or INPUT_SHAPES[sensor]
    b = GraphBuilder()
    out = b.node("Add", b.const(values), _zero_of_input(b, name, input_type))
    return to_bytes(b.model([(name, input_type, shape)], out, "action",
                            output_shape if output_shape is not None else list(values.shape)))


def _state_slice(b: GraphBuilder, index: int) -> str:
    """state[:, index:index+1], shape [1, 1]."""
    return b.node("Slice", "state", b.const([index], np.int64), b.const([index + 1], np.int64),
                  b.const([1], np.int64))


def _clip1(b: GraphBuilder, x: str) -> str:
    return b.node("Clip", x, b.const(-1.0), b.const(1.0))


def _pursuit_steer(b: GraphBuilder, lookahead_index: int) -> str:
    """Pure pursuit towards look-ahead point `lookahead_index` (0-based), as a unit steer."""
    x = _state_slice(b, L.STATE_LOOKAHEAD + 2 * lookahead_index)
    y = _state_slice(b, L.STATE_LOOKAHEAD + 2 * lookahead_index + 1)
    d2 = b.node("Add", b.node("Mul", x, x), b.node("Mul", y, y))
    kappa = b.node("Div", b.node("Mul", y, b.const([[2.0]])), d2)
    steer_rad = b.node("Atan", b.node("Mul", kappa, b.const([[CarParams().wheelbase_m]])))
    return _clip1(b, b.node("Mul", steer_rad, b.const([[1.0 / math.radians(30.0)]])))


def _state_model(b: GraphBuilder, steer: str, speed_unit) -> bytes:
    speed = speed_unit if isinstance(speed_unit, str) else b.const([[speed_unit]])
    out = b.node("Concat", steer, speed, axis=1)
    return to_bytes(b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], out, "action", [1, 2]))


def pursuit_model(speed_m_s: float = 1.5, lookahead_index: int = 3, speed_range=(0.5, 4.0)) -> bytes:
    """A STATE controller that follows the centre line at a constant speed command."""
    b = GraphBuilder()
    return _state_model(b, _pursuit_steer(b, lookahead_index), unit(speed_m_s, *speed_range))


def reverse_model(speed_m_s: float = 1.0, heading_gain: float = 3.0, offset_gain: float = 2.0,
                  speed_range=(0.5, 4.0)) -> bytes:
    """Turns around and drives the wrong way round the track, keeping to the centre line.

    The target heading is the track direction + pi: with e = STATE heading error (track
    minus car), the car must turn left by wrap(e + pi). Driving backwards the track's
    left is the car's right, so a positive offset is corrected by steering left.
    """
    b = GraphBuilder()
    e = _state_slice(b, L.STATE_HEADING_ERROR)
    off = _state_slice(b, L.STATE_OFFSET)
    d = b.node("Where", b.node("Greater", e, b.const(0.0)),
               b.node("Sub", e, b.const(math.pi)), b.node("Add", e, b.const(math.pi)))
    steer = b.node("Add", b.node("Mul", d, b.const(heading_gain)), b.node("Mul", off, b.const(offset_gain)))
    return _state_model(b, _clip1(b, steer), unit(speed_m_s, *speed_range))


def cutter_model(progress_from: float, progress_to: float, speed_m_s: float = 1.0,
                 lookahead_index: int = 3, speed_range=(0.5, 4.0)) -> bytes:
    """Follows the centre line, but between two lap fractions turns hard left and drives
    straight across the infield (target heading: track direction + 90 deg)."""
    b = GraphBuilder()
    pursuit = _pursuit_steer(b, lookahead_index)
    e = _state_slice(b, L.STATE_HEADING_ERROR)
    p = _state_slice(b, L.STATE_PROGRESS)
    # Car heading = track + pi/2  <=>  e = -pi/2; turn left while e > -pi/2.
    across = _clip1(b, b.node("Mul", b.node("Sub", b.const(-math.pi / 2), e), b.const(-4.0)))
    in_window = b.node("And", b.node("Greater", p, b.const(progress_from)),
                       b.node("Less", p, b.const(progress_to)))
    steer = b.node("Where", in_window, across, pursuit)
    return _state_model(b, steer, unit(speed_m_s, *speed_range))


def nan_model(sensor="STATE") -> bytes:
    return constant_model([float("nan"), 0.0], sensor=sensor)


def nan_when_fast_model(threshold_m_s: float = 1.0, speed_m_s: float = 2.0) -> bytes:
    """Drives straight; outputs NaN once the car is faster than the threshold.

    A trial inference on neutral inputs (all 0.5) sees a slow car and passes.
    """
    b = GraphBuilder()
    v = _state_slice(b, L.STATE_SPEED)
    fast = b.node("Greater", v, b.const(threshold_m_s))
    bad = b.node("Where", fast, b.const([[float("nan")]]), b.const([[0.0]]))
    steer = b.node("Add", bad, b.node("Mul", v, b.const(0.0)))
    return _state_model(b, steer, unit(speed_m_s, 0.5, 4.0))


def runtime_width_model(width: int) -> bytes:
    """Declares its output as [1, ?] and returns `width` values at run time."""
    return constant_model([0.0] * width, output_shape=[1, None])


def heavy_model(size: int = 256, depth: int = 12) -> bytes:
    """A STATE model doing a chain of dense MatMuls (costly, but correct output)."""
    b = GraphBuilder()
    spread = np.full((L.STATE_SIZE, size), 1.0 / L.STATE_SIZE)
    x = b.node("MatMul", "state", b.const(spread))
    w = np.eye(size) * 0.5
    for _ in range(depth):
        x = b.node("Tanh", b.node("MatMul", x, b.const(w)))
    out = b.node("MatMul", x, b.const(np.zeros((size, 2))))
    return to_bytes(b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], out, "action", [1, 2]))


def multi_input_model(names=("state", "LIDAR"), values=(0.0, 0.5)) -> bytes:
    """Two inputs (STATE and LIDAR by default), constant output."""
    shapes = {"state": [1, L.STATE_SIZE], "lidar": [1, 64], "camera": CAMERA_NHWC}
    b = GraphBuilder()
    zero = b.const(0.0)
    for name in names:
        zero = b.node("Add", zero, _zero_of_input(b, name, TensorProto.FLOAT))
    out = b.node("Add", b.const(np.asarray(values, dtype=np.float32).reshape(1, -1)), zero)
    inputs = [(n, TensorProto.FLOAT, shapes.get(n.lower(), [1, L.STATE_SIZE])) for n in names]
    return to_bytes(b.model(inputs, out, "action", [1, len(values)]))


def padded_model(min_bytes: int) -> bytes:
    """A valid STATE model (constant output) of at least `min_bytes`: an unused weight."""
    b = GraphBuilder()
    b.const(np.zeros(min_bytes // 4 + 1, dtype=np.float32))
    out = b.node("Add", b.const(np.zeros((1, 2))), _zero_of_input(b, "state", TensorProto.FLOAT))
    return to_bytes(b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], out, "action", [1, 2]))


def camera_mean_model(layout: str = "NHWC", input_type=TensorProto.FLOAT) -> bytes:
    """Steering output = mean pixel value (scaled to [0, 1] for uint8 input), speed low."""
    b = GraphBuilder()
    x = "camera" if input_type == TensorProto.FLOAT else b.node("Cast", "camera", to=TensorProto.FLOAT)
    if input_type == TensorProto.UINT8:
        x = b.node("Mul", x, b.const(1.0 / 255.0))
    mean = b.node("Reshape", b.node("ReduceMean", x, keepdims=0), b.const([1, 1], np.int64))
    out = b.node("Concat", mean, b.const([[-1.0]]), axis=1)
    shape = CAMERA_NHWC if layout == "NHWC" else CAMERA_NCHW
    return to_bytes(b.model([("camera", input_type, shape)], out, "action", [1, 2]))


# --- broken and hostile models ---------------------------------------------------------------


ENDLESS_TRIPS = 2 * 10**9  # about 10 minutes of onnxruntime at ~3 ns per trip


def endless_model(faster_than_m_s: float | None = None, speed_m_s: float = 2.0) -> bytes:
    """A step that never returns: a Loop of ENDLESS_TRIPS cheap trips, on every step, or
    only once the car is faster than `faster_than_m_s` (so that the upload's trial
    inference, on a car at rest, passes). Otherwise it drives straight on."""
    b = GraphBuilder()
    v = _state_slice(b, L.STATE_SPEED)
    action = b.node("Add", b.const([[0.0, unit(speed_m_s, 0.5, 4.0)]]), b.node("Mul", v, b.const(0.0)))
    if faster_than_m_s is None:
        trips = b.const(ENDLESS_TRIPS, np.int64)
    else:
        fast = b.node("Reshape", b.node("Greater", v, b.const(faster_than_m_s)), b.const([], np.int64))
        trips = b.node("Where", fast, b.const(ENDLESS_TRIPS, np.int64), b.const(1, np.int64))
    return _looped(b, action, trips)


def slow_step_model(trips: int = 4001, speed_m_s: float = 2.0) -> bytes:
    """Drives straight on at `speed_m_s`, each step slowed by a Loop of `trips` cheap trips
    (odd: the action comes out as it went in): milliseconds a step, well under the step
    limit, so a long race runs for seconds."""
    b = GraphBuilder()
    v = _state_slice(b, L.STATE_SPEED)
    action = b.node("Add", b.const([[0.0, unit(speed_m_s, 0.5, 4.0)]]), b.node("Mul", v, b.const(0.0)))
    return _looped(b, action, b.const(trips, np.int64))


def _looped(b: GraphBuilder, action: str, trips: str) -> bytes:
    """The STATE model whose output is `action` negated `trips` + 1 times, one trip at a time."""
    body = helper.make_graph(
        [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
         helper.make_node("Neg", ["carried_in"], ["carried_out"])],
        "endless_body",
        [helper.make_tensor_value_info("trip", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("carried_in", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("carried_out", TensorProto.FLOAT, [1, 2])],
    )
    # One trip (a slow car) negates once: the Loop starts from the negated action.
    looped = b.node("Loop", trips, b.const(True, np.bool_), b.node("Neg", action), body=body)
    return to_bytes(b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], looped, "action", [1, 2]))



def _raw_model(nodes, inputs=None, outputs=None, initializers=(), opsets=(("", OPSET),)) -> onnx.ModelProto:
    """A graph as written, without onnx.checker; by default input `state` [1, 26] and
    output `action` [1, 2]."""
    inputs = inputs or [helper.make_tensor_value_info("state", TensorProto.FLOAT, [1, L.STATE_SIZE])]
    outputs = outputs or [helper.make_tensor_value_info("action", TensorProto.FLOAT, [1, 2])]
    graph = helper.make_graph(nodes, "policy", inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets])
    model.ir_version = 8
    return model


def custom_domain_model() -> bytes:
    node = helper.make_node("FastDrive", ["state"], ["action"], domain="com.example.racing")
    return to_bytes(_raw_model([node], opsets=(("", OPSET), ("com.example.racing", 1))))


def _external(tensor: onnx.TensorProto, location: str = "secret.bin", length: int = 8) -> onnx.TensorProto:
    """The tensor with its data moved to a file (a reference onnxruntime would follow)."""
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", str(length))):
        entry = tensor.external_data.add()
        entry.key = key
        entry.value = value
    return tensor


def external_data_model() -> bytes:
    """A weight tensor whose data lives in a file next to the model (never allowed)."""
    w = _external(numpy_helper.from_array(np.zeros((L.STATE_SIZE, 2), dtype=np.float32), "w"),
                  "../../etc/weights.bin", 208)
    return to_bytes(_raw_model([helper.make_node("MatMul", ["state", "w"], ["action"])], initializers=[w]))


def sparse_external_data_model() -> bytes:
    """External data hidden in a sparse initializer's values."""
    values = _external(numpy_helper.from_array(np.zeros(2, dtype=np.float32), "w_values"))
    indices = numpy_helper.from_array(np.array([0, 1], dtype=np.int64), "w_indices")
    sparse = helper.make_sparse_tensor(values, indices, [L.STATE_SIZE, 2])
    model = _raw_model([helper.make_node("MatMul", ["state", "w_values"], ["action"])])
    model.graph.sparse_initializer.append(sparse)
    return to_bytes(model)


def constant_external_data_model() -> bytes:
    """External data hidden in a Constant node's tensor attribute."""
    w = _external(numpy_helper.from_array(np.zeros((L.STATE_SIZE, 2), dtype=np.float32), "w"))
    return to_bytes(_raw_model([helper.make_node("Constant", [], ["w"], value=w),
                                helper.make_node("MatMul", ["state", "w"], ["action"])]))


def string_output_model() -> bytes:
    """Well-formed ONNX whose first output is a tensor of strings, not numbers."""
    const = helper.make_node(
        "Constant", [], ["text"],
        value=helper.make_tensor("t", TensorProto.STRING, [1, 2], [b"left", b"fast"]),
    )
    keep = helper.make_node("Identity", ["state"], ["unused"])
    out = helper.make_node("Identity", ["text"], ["action"])
    model = _raw_model(
        [const, keep, out],
        [helper.make_tensor_value_info("state", TensorProto.FLOAT, [1, L.STATE_SIZE])],
        [helper.make_tensor_value_info("action", TensorProto.STRING, [1, 2]),
         helper.make_tensor_value_info("unused", TensorProto.FLOAT, [1, L.STATE_SIZE])],
    )
    return to_bytes(model)


def crashing_model() -> bytes:
    """Valid to the checker, fails inside onnxruntime at run time (index out of range)."""
    b = GraphBuilder()
    idx = b.node("Cast", b.node("Add", b.node("ReduceSum", "state", keepdims=0), b.const(1000.0)),
                 to=TensorProto.INT64)
    g = b.node("Gather", "state", b.node("Reshape", idx, b.const([1], np.int64)), axis=1)
    out = b.node("Concat", g, g, axis=1)
    return to_bytes(b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], out, "action", [1, 2]))


def checker_error_model() -> bytes:
    """A node reads a tensor nothing defines: onnx.checker refuses it."""
    return to_bytes(_raw_model([helper.make_node("Add", ["state", "nowhere"], ["action"])]))


def type_error_model() -> bytes:
    """Passes onnx.checker (no type inference) but onnxruntime refuses to load it."""
    b = GraphBuilder()
    out = b.node("Add", "state", b.const(np.zeros((1, 26)), np.int64))
    return to_bytes(_raw_model(b.nodes + [helper.make_node("Identity", [out], ["action"])],
                               initializers=b.initializers))


def no_graph_model() -> bytes:
    """A valid ModelProto with an empty graph."""
    return to_bytes(helper.make_model(helper.make_graph([], "empty", [], [])))


def custom_node_without_opset() -> bytes:
    """A node in a custom domain that the model does not even import."""
    return to_bytes(_raw_model([helper.make_node("FastDrive", ["state"], ["action"], domain="com.example.racing")]))


# --- invalid track files --------------------------------------------------------------------


class Unpickled:
    """Unpickling this object creates a folder: proof that a loader ran pickle."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def pickle_marker(path) -> Path:
    return Path(str(path) + ".unpickled")


def _save(path, arr, **kwargs):
    with open(path, "wb") as fh:  # np.save on a path would append .npy
        np.save(fh, arr, **kwargs)


def _edited(row: int, cols: slice | int, value=None):
    """A writer of the stadium with waypoint `row` changed: `cols` set to `value`, or
    without a value the inner border moved onto the centre line (zero width)."""

    def write(path):
        arr = stadium(repeat_first=False)
        arr[row, cols] = arr[row, 0:2] if value is None else value
        _save(path, arr)

    return write


# name -> (writer(path), a phrase the one-line reason must contain)
INVALID_TRACKS = {
    "shape-4-columns": (lambda p: _save(p, stadium()[:, :4]), "expected (N, 6)"),
    "shape-1d": (lambda p: _save(p, stadium().ravel()), "expected (N, 6)"),
    "shape-3d": (lambda p: _save(p, stadium()[:, :, None]), "expected (N, 6)"),
    "nan": (_edited(7, 4, float("nan")), "NaN or infinite values at waypoint 7"),
    "infinite": (_edited(2, 1, float("inf")), "NaN or infinite values at waypoint 2"),
    "too-few-points": (lambda p: _save(p, stadium(spacing_m=10.0, repeat_first=False)[:4]), "4 distinct waypoints"),
    "one-point-repeated": (lambda p: _save(p, np.tile(stadium()[:1], (20, 1))), "1 distinct waypoints"),
    "empty-array": (lambda p: _save(p, np.zeros((0, 6))), "no waypoints"),
    "text-file": (lambda p: open(p, "w").write("0,0,1,1,2,2\n1,1,2,2,3,3\n"), "not a numpy .npy file"),
    "garbage": (lambda p: open(p, "wb").write(np.random.default_rng(1).bytes(4000)), "not a numpy .npy file"),
    "empty-file": (lambda p: open(p, "wb").close(), "not a numpy .npy file"),
    "truncated": (lambda p: open(p, "wb").write(npy_bytes(stadium())[:300]), "not a readable .npy array"),
    "pickled-objects": (
        lambda p: _save(p, np.array([Unpickled(str(pickle_marker(p))), 1], dtype=object), allow_pickle=True),
        "pickled Python objects",
    ),
    "strings": (lambda p: _save(p, stadium().astype(str)), "expected numbers"),
    "zero-width": (_edited(3, slice(2, 4)), "zero width at waypoint 3"),
    "npz-archive": (lambda p: np.savez(open(p, "wb"), waypoints=stadium()), "a .npz archive"),
    "kilometres-not-metres": (lambda p: _save(p, stadium() * 1e8), "exceed"),
    "corrupt-header": (lambda p: open(p, "wb").write(_npy_header("{'descr': '<f8', 'shape': ((((\n")),
                       "not a readable .npy array"),
    "absurd-shape": (lambda p: open(p, "wb").write(_npy_header(
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000000, 6), }\n") + b"\0" * 480),
        "too large to be a track"),
}


def _npy_header(text: str) -> bytes:
    """A .npy version 1.0 preamble with this header text (whatever it says)."""
    raw = text.encode("latin1")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw
