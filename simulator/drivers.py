"""House drivers: reference policies written as ONNX graphs from our own code.

No training framework: each driver is a hand-designed controller expressed with
standard ONNX operators (opset 17), so it is uploaded, checked and raced exactly like a
competitor's model. One driver per sensor:

- `state_driver`: STATE, continuous actions. Pure pursuit on a racing line (the
  look-ahead points shifted towards the inside of the bends) with a speed plan from the
  grip limit and the braking distance. The benchmark reference and the fastest house car.
- `lidar_driver`: LIDAR, a DeepRacer-style discrete action space of seven actions. Steers
  towards the side with more room, slows down when the space ahead is short, and
  picks the nearest action (argmax over the action scores).
- `camera_driver`: FRONT_FACING_CAMERA as a TensorFlow-style NHWC image, continuous
  actions. Finds the orange centre dashes in a band of rows and pursues them.

Every number here is a constant of the graph: the drivers are deterministic.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto

from . import layout as L
from .camera import ground_points
from .metadata import DEFAULT_CONTINUOUS_SPACE
from .onnx_build import GraphBuilder
from .params import CameraParams, CarParams, LidarParams
from .scenery import ASPHALT_GREY, CENTRE_GREY

# The LIDAR driver's discrete actions: the sharper the turn, the slower.
LIDAR_ACTIONS = [
    {"steering_angle": -30.0, "speed": 2.0},
    {"steering_angle": -15.0, "speed": 3.0},
    {"steering_angle": -5.0, "speed": 3.8},
    {"steering_angle": 0.0, "speed": 4.0},
    {"steering_angle": 5.0, "speed": 3.8},
    {"steering_angle": 15.0, "speed": 3.0},
    {"steering_angle": 30.0, "speed": 2.0},
]

MAX_STEERING_DEG = CarParams().max_steering_deg  # a continuous steering of 1 (or -1)
MAX_STEERING_RAD = math.radians(MAX_STEERING_DEG)


@dataclass(frozen=True)
class HouseDriver:
    name: str
    alias: str
    description: str
    metadata: dict
    model: onnx.ModelProto


def _metadata(sensor: str, space: dict | list, kind: str = "continuous") -> dict:
    return {
        "action_space": space,
        "sensor": [sensor],
        "neural_network": "HAND_DESIGNED",
        "training_algorithm": "none",
        "action_space_type": kind,
        "version": "5",
    }


# --- graph helpers ---------------------------------------------------------------------------


def _ints(b: GraphBuilder, values: list[int]) -> str:
    return b.const(values, np.int64)


def _slice(b: GraphBuilder, x: str, start: int, end: int, axis: int = 1) -> str:
    return b.node("Slice", x, _ints(b, [start]), _ints(b, [end]), _ints(b, [axis]))


def _component(b: GraphBuilder, points: str, k: int) -> str:
    """x (k=0) or y (k=1) of points shaped (1, n, 2) -> (1, n)."""
    return b.node("Gather", points, b.const(k, np.int64), axis=2)


def _norm(b: GraphBuilder, vectors: str) -> str:
    """Length of vectors shaped (1, n, 2) -> (1, n)."""
    return b.node("Sqrt", b.node("ReduceSum", b.node("Mul", vectors, vectors), _ints(b, [2]), keepdims=0))


def _to_unit(b: GraphBuilder, value: str, low: float, high: float) -> str:
    """Map a value in [low, high] onto the continuous output range [-1, 1]."""
    scaled = b.node("Mul", b.node("Sub", value, b.const([low])), b.const([2.0 / (high - low)]))
    return b.node("Clip", b.node("Sub", scaled, b.const([1.0])), b.const(-1.0), b.const(1.0))


def _steer_from_curvature(b: GraphBuilder, kappa: str, gain: float = 1.0) -> str:
    """Steering in [-1, 1] (of the car's full lock) that drives an arc of curvature `kappa` (1/m)."""
    angle = b.node("Atan", b.node("Mul", kappa, b.const([gain * CarParams().wheelbase_m])))
    return b.node("Clip", b.node("Mul", angle, b.const([1.0 / MAX_STEERING_RAD])),
                  b.const(-1.0), b.const(1.0))


def _continuous_output(b: GraphBuilder, steer: str, speed_m_s: str) -> str:
    space = DEFAULT_CONTINUOUS_SPACE["speed"]
    return b.node("Concat", steer, _to_unit(b, speed_m_s, space["low"], space["high"]), axis=1)


# --- STATE ---------------------------------------------------------------------------------


def state_driver(
    apex_gain_m2: float = 0.2,
    edge_margin_m: float = 0.2,
    smoothing_m: float = 0.25,
    lookahead_m: float = 0.15,
    lookahead_s: float = 0.25,
    lookahead_range_m: tuple[float, float] = (0.5, 1.35),
    lateral_accel_m_s2: float = 7.0,
    braking_m_s2: float = 4.0,
    reaction_m: float = 0.6,
    min_speed_m_s: float = 1.0,
) -> onnx.ModelProto:
    """Pure pursuit on a racing line, speed from the grip limit and the braking distance.

    1. Centre-line curvature at look-ahead points 2..9 (0.5..2.25 m ahead) from each point
       and its neighbours, smoothed along the track (Gaussian, `smoothing_m`).
    2. Racing line: each point moves towards the inside of its bend by
       `apex_gain_m2 * curvature`, at most to `edge_margin_m` from the edge (half the
       current track width minus the margin), so the car cuts the apex and the path it
       drives is wider than the centre line's bends.
    3. Steering: pure pursuit (the arc through the car and the target point, converted
       to a wheel angle with the bicycle model) on the racing line at a look-ahead
       distance of `lookahead_m + lookahead_s * speed`, clipped to `lookahead_range_m`,
       interpolated between the points.
    4. Speed: the arc from the car through each racing-line point 0.75 .. 2.25 m ahead
       has curvature k, which the car can hold up to sqrt(a_lat / k); braking at
       `braking_m_s2` after a reaction distance `reaction_m` it can arrive there from
       sqrt(a_lat / k + 2 a_brake (s - reaction)); the command is the minimum over the
       points.
    """
    b = GraphBuilder()
    n = L.STATE_LOOKAHEAD_POINTS
    spacing = L.STATE_LOOKAHEAD_SPACING_M
    pts = _slice(b, "state", L.STATE_LOOKAHEAD, L.STATE_SIZE)
    pts = b.node("Reshape", pts, _ints(b, [1, n, 2]))  # (1, 10, 2), car frame
    prev, mid, nxt = _slice(b, pts, 0, n - 2), _slice(b, pts, 1, n - 1), _slice(b, pts, 2, n)
    u = b.node("Sub", mid, prev)
    v = b.node("Sub", nxt, mid)
    chord = b.node("Sub", nxt, prev)
    cross = b.node("Sub", b.node("Mul", _component(b, u, 0), _component(b, v, 1)),
                   b.node("Mul", _component(b, u, 1), _component(b, v, 0)))
    chord_len = _norm(b, chord)
    # Signed curvature of the circle through three neighbouring points (left = +).
    denom = b.node("Max", b.node("Mul", b.node("Mul", _norm(b, u), _norm(b, v)), chord_len),
                   b.const([1e-9]))
    kappa = b.node("Div", b.node("Mul", cross, b.const([2.0])), denom)  # (1, 8)
    m = n - 2
    s_mid = (np.arange(m) + 2) * spacing  # arc length of each middle point
    if smoothing_m > 0:
        d = (s_mid[:, None] - s_mid[None, :]) / smoothing_m
        kernel = np.exp(-0.5 * d * d)
        kappa = b.node("MatMul", kappa, b.const(kernel / kernel.sum(axis=0, keepdims=True)))
    # Racing line: shift towards the inside of the bend, within the track.
    width = _slice(b, "state", L.STATE_TRACK_WIDTH, L.STATE_TRACK_WIDTH + 1)  # (1, 1)
    room = b.node("Relu", b.node("Sub", b.node("Mul", width, b.const([0.5])), b.const([edge_margin_m])))
    shift = b.node("Mul", kappa, b.const([apex_gain_m2]))
    shift = b.node("Min", b.node("Max", shift, b.node("Neg", room)), room)  # (1, 8)
    # Unit left normal of the centre line at each middle point: the chord turned by +90 deg.
    chord_len = b.node("Max", chord_len, b.const([1e-9]))
    nx = b.node("Div", b.node("Neg", _component(b, chord, 1)), chord_len)
    ny = b.node("Div", _component(b, chord, 0), chord_len)
    qx = b.node("Add", _component(b, mid, 0), b.node("Mul", nx, shift))
    qy = b.node("Add", _component(b, mid, 1), b.node("Mul", ny, shift))
    # Curvature of the arc from the car (at the origin, heading +x) through each point.
    q2 = b.node("Max", b.node("Add", b.node("Mul", qx, qx), b.node("Mul", qy, qy)), b.const([1e-6]))
    arc = b.node("Div", b.node("Mul", qy, b.const([2.0])), q2)  # (1, 8)

    speed = _slice(b, "state", L.STATE_SPEED, L.STATE_SPEED + 1)  # (1, 1)
    lo, hi = lookahead_range_m
    reach = b.node("Clip", b.node("Add", b.node("Mul", speed, b.const([lookahead_s])), b.const([lookahead_m])),
                   b.const(lo), b.const(hi))
    # Linear interpolation between the points: hat weights summing to one.
    weights = b.node("Relu", b.node("Sub", b.const([1.0]), b.node(
        "Mul", b.node("Abs", b.node("Sub", b.const(s_mid[None, :]), reach)), b.const([1.0 / spacing]))))
    k_steer = b.node("ReduceSum", b.node("Mul", weights, arc), _ints(b, [1]), keepdims=1)
    steer = _steer_from_curvature(b, k_steer)

    first = 1  # the nearest racing-line point is too close to plan speed on
    k_abs = b.node("Max", _slice(b, b.node("Abs", arc), first, m), b.const([1e-3]))
    corner_v2 = b.node("Div", b.const([lateral_accel_m_s2]), k_abs)
    braking = 2.0 * braking_m_s2 * np.maximum(s_mid[first:] - reaction_m, 0.0)
    v2 = b.node("Add", corner_v2, b.const(braking[None, :]))
    v = b.node("Sqrt", b.node("ReduceMin", v2, axes=[1], keepdims=1))
    v = b.node("Clip", v, b.const(min_speed_m_s), b.const(DEFAULT_CONTINUOUS_SPACE["speed"]["high"]))
    out = _continuous_output(b, steer, v)
    return b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], out, "action", [1, 2])


# --- LIDAR ---------------------------------------------------------------------------------


def _beam_band(angles_deg: np.ndarray, lo_deg: float, hi_deg: float, signed: bool) -> np.ndarray:
    """Weights averaging the beams with lo <= |angle| <= hi on each side.

    Signed: left beams (positive angles) count +, right beams -, so the weights give
    mean(left) - mean(right); unsigned: the mean of both sides together.
    """
    a = np.abs(angles_deg)
    inside = ((a >= lo_deg) & (a <= hi_deg)).astype(np.float64)
    if signed:
        return inside * np.sign(angles_deg) / max(inside[angles_deg > 0].sum(), 1.0)
    return inside / max(inside.sum(), 1.0)


def lidar_driver(
    actions: list[dict] | None = None,
    side_band_deg: tuple[float, float] = (60.0, 120.0),
    side_gain: float = 0.6,
    diagonal_band_deg: tuple[float, float] = (15.0, 50.0),
    diagonal_gain: float = 2.0,
    front_band_deg: float = 30.0,
    clear_ahead_m: tuple[float, float] = (0.4, 1.0),
    speed_range_m_s: tuple[float, float] = (1.5, 3.8),
    turn_slowdown_m_s: float = 1.0,
    steering_scale: float = 0.25,
    speed_scale_m_s: float = 1.0,
    lidar: LidarParams = LidarParams(),
) -> onnx.ModelProto:
    """Steer towards the side with more room; slow down when the space ahead is short.

    The desired steering (a fraction of 30 deg, left +) is a weighted left-minus-right
    difference of the ranges: the beams abeam (`side_band_deg`) keep the car centred, the
    diagonal beams ahead (`diagonal_band_deg`) see a bend coming (the outside edge comes
    closer). The desired speed grows with the mean range straight ahead (from the low
    end of `speed_range_m_s` at `clear_ahead_m[0]` to the high end at `clear_ahead_m[1]`)
    and drops with the steering. Each
    discrete action scores minus its squared, scaled distance to that (steering, speed),
    so the highest score is the nearest action.
    """
    actions = LIDAR_ACTIONS if actions is None else actions
    angles = np.linspace(lidar.min_angle_deg, lidar.max_angle_deg, lidar.beams)
    steer_w = (side_gain * _beam_band(angles, *side_band_deg, signed=True)
               + diagonal_gain * _beam_band(angles, *diagonal_band_deg, signed=True))
    front_w = _beam_band(angles, 0.0, front_band_deg, signed=False)
    b = GraphBuilder()
    features = b.node("MatMul", "lidar", b.const(np.stack([steer_w, front_w], axis=1)))  # (1, 2)
    steer = b.node("Clip", _slice(b, features, 0, 1), b.const(-1.0), b.const(1.0))
    ahead = _slice(b, features, 1, 2)
    near, far = clear_ahead_m
    clear = b.node("Clip", b.node("Mul", b.node("Sub", ahead, b.const([near])), b.const([1.0 / (far - near)])),
                   b.const(0.0), b.const(1.0))
    v_lo, v_hi = speed_range_m_s
    v = b.node("Add", b.const([v_lo]), b.node("Mul", clear, b.const([v_hi - v_lo])))
    v = b.node("Sub", v, b.node("Mul", b.node("Abs", steer), b.const([turn_slowdown_m_s])))
    desired = b.node("Concat", steer, v, axis=1)  # (1, 2)
    table = np.array([[a["steering_angle"] / MAX_STEERING_DEG, a["speed"]] for a in actions])  # (A, 2)
    diff = b.node("Mul", b.node("Sub", desired, b.const(table)),
                  b.const([1.0 / steering_scale, 1.0 / speed_scale_m_s]))  # (A, 2)
    scores = b.node("Neg", b.node("ReduceSum", b.node("Mul", diff, diff), _ints(b, [1]), keepdims=0))  # (A,)
    scores = b.node("Unsqueeze", scores, _ints(b, [0]))  # (1, A)
    return b.model([("lidar", TensorProto.FLOAT, [1, lidar.beams])], scores, "action", [1, len(actions)])


# --- FRONT_FACING_CAMERA -------------------------------------------------------------------


def camera_driver(
    band_m: tuple[float, float] = (0.4, 1.1),
    side_px: int = 14,
    top_speed_m_s: float = 4.0,
    slowdown_m_s_per_curvature: float = 1.25,
    min_speed_m_s: float = 1.2,
    camera: CameraParams = CameraParams(),
) -> onnx.ModelProto:
    """Pursue the orange centre dashes seen in the rows that look 0.4 .. 1.1 m ahead.

    Input NHWC [1, 120, 160, 1] float32 in [0, 1] (a TensorFlow-style export). A dash
    pixel is as bright as the dashes (a band-pass around their grey) with dark asphalt
    `side_px` columns to its left and to its right (more than half a dash, even at the
    band's near end): that keeps the dashes and drops the floor beside the track (nearly
    as bright, but with no asphalt on both sides) and the soft borders of the white edge
    lines, whose grey passes through the dashes' on the way. Every pixel of the band sees
    a fixed floor point of the car's frame (`camera.ground_points`), so the mean over
    dash pixels of the pure-pursuit curvature 2 y / (x^2 + y^2) is one matrix product;
    the car steers along that arc and slows down in proportion to it. With no dash in
    view the curvature is 0: straight on.
    """
    gx, gy, ground = ground_points(camera)
    lo, hi = band_m
    w = camera.width_px
    band = ground & (gx >= lo) & (gx <= hi)
    rows = np.flatnonzero(band.any(axis=1))
    r0, r1 = int(rows[0]), int(rows[-1]) + 1
    k = side_px
    # The pixels tested: the band's rows, all but `side_px` columns at each side.
    band = band[r0:r1, k : w - k]
    gx, gy = gx[r0:r1, k : w - k], gy[r0:r1, k : w - k]
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = np.where(band, 2.0 * gy / (gx * gx + gy * gy), 0.0)
    weights = np.stack([kappa.ravel(), band.ravel().astype(np.float64)], axis=1)  # (pixels, 2)

    centre = CENTRE_GREY / 255.0
    spread = 30.0 / 255.0  # the band-pass: 1 at the dashes' grey, 0 beyond +-spread
    # "Dark": 1 up to a little above the asphalt's grey, falling to 0 well below the floor's.
    dark_lo, dark_hi = (ASPHALT_GREY + 10.0) / 255.0, (ASPHALT_GREY + 40.0) / 255.0
    b = GraphBuilder()
    img = b.node("Reshape", b.node("Slice", "camera", _ints(b, [r0]), _ints(b, [r1]), _ints(b, [1])),
                 _ints(b, [1, r1 - r0, w]))  # (1, R, W)
    mid = _slice(b, img, k, w - k, axis=2)
    left = _slice(b, img, 0, w - 2 * k, axis=2)
    right = _slice(b, img, 2 * k, w, axis=2)
    line = b.node("Relu", b.node("Sub", b.const([1.0]),
                                 b.node("Mul", b.node("Abs", b.node("Sub", mid, b.const([centre]))),
                                        b.const([1.0 / spread]))))

    def dark(x: str) -> str:
        return b.node("Clip", b.node("Mul", b.node("Sub", b.const([dark_hi]), x), b.const([1.0 / (dark_hi - dark_lo)])),
                      b.const(0.0), b.const(1.0))

    score = b.node("Mul", line, b.node("Mul", dark(left), dark(right)))
    flat = b.node("Reshape", score, _ints(b, [1, (r1 - r0) * (w - 2 * k)]))
    sums = b.node("MatMul", flat, b.const(weights))  # (1, 2): sum of score * kappa, sum of score
    kap = b.node("Div", _slice(b, sums, 0, 1), b.node("Add", _slice(b, sums, 1, 2), b.const([1e-3])))
    steer = _steer_from_curvature(b, kap)
    v = b.node("Sub", b.const([top_speed_m_s]), b.node("Mul", b.node("Abs", kap), b.const([slowdown_m_s_per_curvature])))
    v = b.node("Clip", v, b.const(min_speed_m_s), b.const(DEFAULT_CONTINUOUS_SPACE["speed"]["high"]))
    out = _continuous_output(b, steer, v)
    shape = [1, camera.height_px, camera.width_px, 1]
    return b.model([("camera", TensorProto.FLOAT, shape)], out, "action", [1, 2])


# --- the roster ----------------------------------------------------------------------------


def pursuit_mlp(gain: float = 1.6, speed_bias: float = 2.5, speed_gain: float = 1.0) -> onnx.ModelProto:
    """A 26-64-64-2 ReLU MLP with hand-set weights that drives by pure pursuit.

    Layer 1 splits look-ahead lateral offsets into positive and negative parts, layer 2
    forms the steering error and the curvature ahead, the tanh output maps them onto
    steering and speed. A real MLP of the benchmark's size that also finishes laps.
    """
    w1 = np.zeros((L.STATE_SIZE, 64))
    w2 = np.zeros((64, 64))
    w3 = np.zeros((64, 2))
    b3 = np.zeros(2)
    y_index = [L.STATE_LOOKAHEAD + 2 * k + 1 for k in range(L.STATE_LOOKAHEAD_POINTS)]
    for k, idx in enumerate(y_index):
        w1[idx, 2 * k] = 1.0
        w1[idx, 2 * k + 1] = -1.0
    steer_k = 2
    w2[2 * steer_k, 0] = 1.0
    w2[2 * steer_k + 1, 0] = -1.0
    w2[2 * steer_k, 1] = -1.0
    w2[2 * steer_k + 1, 1] = 1.0
    for k in range(3, L.STATE_LOOKAHEAD_POINTS):
        weight = 1.0 / (k + 1) ** 2 * 16.0
        w2[2 * k, 2] = weight
        w2[2 * k + 1, 2] = weight
    w3[0, 0] = gain
    w3[1, 0] = -gain
    w3[2, 1] = -speed_gain
    b3[1] = speed_bias
    b = GraphBuilder()
    x = "state"
    for k, (w, bias) in enumerate(((w1, np.zeros(64)), (w2, np.zeros(64)), (w3, b3))):
        x = b.node("Gemm", x, b.const(w), b.const(bias))
        x = b.node("Relu" if k < 2 else "Tanh", x)
    return b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], x, "action", [1, 2])


def house_drivers() -> list[HouseDriver]:
    """The house drivers, the STATE reference first."""
    return [
        HouseDriver(
            name="state-pursuit",
            alias="House: Pure Pursuit",
            description=(
                "STATE sensor, continuous actions: pure pursuit on a racing line that cuts "
                "the apexes, braking for bends at the grip limit."
            ),
            metadata=_metadata("STATE", DEFAULT_CONTINUOUS_SPACE),
            model=state_driver(),
        ),
        HouseDriver(
            name="lidar-balance",
            alias="House: Lidar Balance",
            description=(
                "LIDAR sensor, seven discrete actions: steers towards the side with more "
                "room and slows down when the way ahead closes in."
            ),
            metadata=_metadata("LIDAR", LIDAR_ACTIONS, "discrete"),
            model=lidar_driver(),
        ),
        HouseDriver(
            name="camera-centreline",
            alias="House: Line Spotter",
            description=(
                "Front camera (NHWC image), continuous actions: finds the orange centre "
                "dashes under a metre ahead and follows them."
            ),
            metadata=_metadata("FRONT_FACING_CAMERA", DEFAULT_CONTINUOUS_SPACE),
            model=camera_driver(),
        ),
        HouseDriver(
            name="state-mlp",
            alias="House: Tiny MLP",
            description=(
                "STATE sensor, a real 26-64-64-2 ReLU network whose weights are set by hand "
                "to steer by pure pursuit (the benchmark's model)."
            ),
            metadata=_metadata("STATE", DEFAULT_CONTINUOUS_SPACE),
            model=pursuit_mlp(),
        ),
        HouseDriver(
            name="state-steady",
            alias="House: Steady Eddie",
            description=(
                "STATE sensor: the pure-pursuit driver on the centre line, never asking "
                "more than 4.5 m/s^2 of the tyres. A time to beat on your first day."
            ),
            metadata=_metadata("STATE", DEFAULT_CONTINUOUS_SPACE),
            model=state_driver(apex_gain_m2=0.0, lateral_accel_m_s2=4.5),
        ),
    ]


def write_drivers(out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    written = []
    for d in house_drivers():
        folder = out / d.name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.onnx").write_bytes(d.model.SerializeToString())
        (folder / "model_metadata.json").write_text(json.dumps(d.metadata, indent=2) + "\n")
        written.append(folder)
    return written
