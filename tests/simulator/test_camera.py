"""The front camera: DeepRacer's mounting and look, smooth as a shrunk render, and
deterministic; fed to models in every declared layout.

Hand-checked poses sit on the long stadium's bottom straight (y = -1.5, driving +x,
1 m wide, straight from x = -5 to x = 5); the look is checked on every shipped track.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest
from onnx import TensorProto

from simulator import layout as L
from simulator.camera import CameraSensor, floor_textures, ground_points, horizon_row
from simulator.catalog import list_tracks, load_track
from simulator.params import CameraParams, RaceRules, SimParams
from simulator.race import make_observer, run_time_trial, start_state
from simulator.scenery import ASPHALT_GREY, WALL_GREY
from simulator.track import track_from_array
from simulator.vehicle import CarState

from . import builders as B
from .camera_reference import material_labels, reference_frame

Y0 = -1.5  # the long stadium's bottom straight
SLUGS = [t.slug for t in list_tracks()]
PARAMS = CameraParams()


@pytest.fixture(scope="module")
def camera(long_track):
    return CameraSensor(long_track, PARAMS)


def shot(camera, x=-3.0, y=Y0, heading=0.0) -> np.ndarray:
    return camera.render(CarState(x, y, heading, 0.0, 0.0)).copy()


def beside(car: CarState, left_m: float, turn_rad: float = 0.0) -> CarState:
    """The car moved left of where it is (negative: right) and turned."""
    h = car.heading_rad
    return CarState(car.x_m - left_m * math.sin(h), car.y_m + left_m * math.cos(h), h + turn_rad, 0.0, 0.0)


def total_variation(img: np.ndarray) -> float:
    img = img.astype(np.float64)
    return float(np.abs(np.diff(img, axis=0)).sum() + np.abs(np.diff(img, axis=1)).sum())


# --- mounting -------------------------------------------------------------------------------


def test_the_horizon_sits_near_row_26():
    assert 25.5 < horizon_row(PARAMS) < 26.5
    _, _, ground = ground_points(PARAMS)
    assert not ground[:26].any() and ground[26:].all()


def test_the_lens_is_ahead_of_the_car_and_looks_15_degrees_down():
    # The middle of the picture (a corner between the four central pixels) looks along
    # the optical axis: it meets the floor height / tan(15 deg) ahead of the lens.
    gx, gy, _ = ground_points(PARAMS, du_px=-0.5, dv_px=-0.5)
    assert gx[60, 80] == pytest.approx(0.145 + 0.13 / math.tan(math.radians(15.0)))
    assert gy[60, 80] == pytest.approx(0.0, abs=1e-12)
    # The bottom row sees the floor just ahead of the bumper, 1.13 rad across: one
    # column is depth / focal length apart there.
    gx, gy, _ = ground_points(PARAMS)
    assert 0.25 < gx[119, 80] < 0.35
    f = PARAMS.width_px / 2 / math.tan(PARAMS.horizontal_fov_rad / 2)
    down = math.radians(15.0)
    depth = 0.13 / (math.sin(down) + (119.5 - 60) / f * math.cos(down))
    assert gy[119, 0] - gy[119, 1] == pytest.approx(depth / f)


def test_a_lens_to_the_left_sees_the_floor_shifted_by_as_much():
    a, b, _ = ground_points(PARAMS)
    c, d, _ = ground_points(PARAMS, lateral_m=0.03)
    np.testing.assert_allclose(c, a)
    np.testing.assert_allclose(d, b + 0.03)


# --- the picture on a straight ------------------------------------------------------------------


def test_the_picture_shows_the_track_ahead(camera):
    img = shot(camera)
    assert img.shape == (120, 160) and img.dtype == np.uint8
    lower = np.hstack([img[85:, 10:55], img[85:, 110:150]])  # asphalt either side of the dashes
    assert np.mean(np.abs(lower.astype(int) - ASPHALT_GREY) < 12) > 0.95
    band = img[32:45]  # the edges come into view a metre or two ahead
    assert np.any(band[:, :80] > 195) and np.any(band[:, 80:] > 195)
    assert np.all(img[:26] < 30)  # the walls above the horizon, dark


def test_the_picture_is_symmetric_when_centred(camera):
    white = shot(camera) > 180
    assert white.sum() > 100
    assert np.mean(white == white[:, ::-1]) > 0.98


def test_off_centre_the_near_edge_looks_bigger(camera):
    img = shot(camera, y=Y0 - 0.3)  # near the right edge
    white = img > 180
    assert white[:, 80:].sum() > 2 * white[:, :80].sum()
    # The right edge reaches further down the picture (it is nearer).
    bright = img > 120  # the far, thin left line too
    assert np.flatnonzero(white[:, 80:].any(axis=1)).max() > np.flatnonzero(bright[:, :80].any(axis=1)).max()


def test_facing_off_the_track_the_camera_sees_the_floor_and_the_wall(camera):
    img = shot(camera, heading=math.pi / 2)  # facing the left edge, the infield beyond
    assert np.mean(np.abs(img[45:60, 40:120].astype(int) - 134) < 8) > 0.8  # the floor
    assert np.mean(np.abs(img[105:, 40:120].astype(int) - ASPHALT_GREY) < 12) > 0.8
    # Facing out of the room from the bottom edge: the wall's foot, 3.5 m away.
    out = shot(camera, y=Y0 - 0.4, heading=-math.pi / 2)
    assert np.mean(np.abs(out[27:30].astype(int) - WALL_GREY) < 6) > 0.9


def test_a_car_far_outside_the_textures_sees_walls(camera):
    img = shot(camera, x=60.0, y=-40.0, heading=0.3)
    assert np.all(img < 40)


# --- DeepRacer's look on every shipped track ---------------------------------------------


@pytest.fixture(scope="module", params=SLUGS)
def track_shots(request):
    """Frames and material labels on a shipped track: three places, on the centre line
    and 0.2 m to the left of it."""
    track = load_track(request.param)
    camera = CameraSensor(track, PARAMS)
    shots = []
    for at in (0.05, 0.4, 0.75):
        car = start_state(track, at * track.length_m)
        for pose in (car, beside(car, 0.2)):
            shots.append((camera.render(pose).copy(), material_labels(track, pose, PARAMS)))
    return request.param, shots


def test_greys_are_deepracers(track_shots):
    slug, shots = track_shots
    by = {k: np.concatenate([img[lab == k] for img, lab in shots]).astype(float)
          for k in ("asphalt", "edge", "dash", "floor")}
    asphalt = by["asphalt"]
    assert 50 <= asphalt.mean() <= 56, slug
    # Textured: visible grain, within +-5..9 of the mean for nearly all pixels.
    assert 2.0 <= asphalt.std() <= 5.0, slug
    assert 4 <= np.percentile(asphalt, 99) - asphalt.mean() <= 10, slug
    assert 4 <= asphalt.mean() - np.percentile(asphalt, 1) <= 10, slug
    assert len(by["edge"]) > 50 and 200 <= np.median(by["edge"]) <= 221, slug
    assert len(by["dash"]) > 50 and 139 <= np.median(by["dash"]) <= 146, slug
    if len(by["floor"]):
        assert 129 <= np.median(by["floor"]) <= 139, slug
    tops = np.concatenate([img[:24].ravel() for img, _ in shots]).astype(float)
    assert abs(tops.mean() - WALL_GREY) < 3, slug  # walls, not a bright sky


def test_frames_hold_many_grey_levels(track_shots):
    slug, shots = track_shots
    for img, _ in shots:
        assert len(np.unique(img)) > 150, slug


def test_edge_lines_are_wide(camera):
    # Just left of the right edge, the white line spans many pixels of the bottom rows.
    img = shot(camera, y=Y0 - 0.35)
    wide = [np.count_nonzero(row > 180) for row in img[100:]]
    assert min(wide) >= 15


# --- smooth: as if rendered finely and shrunk with bilinear filtering ---------------------


@pytest.mark.parametrize("slug", SLUGS)
def test_frames_match_a_finely_rendered_reference(slug):
    track = load_track(slug)
    camera = CameraSensor(track, PARAMS)
    rows = slice(28, 120)
    for at, turn in ((0.1, 0.25), (0.6, -0.2)):
        car = beside(start_state(track, at * track.length_m), 0.1, turn)
        img = camera.render(car).astype(np.float64)
        ref = reference_frame(track, car, PARAMS)
        err = np.abs(img - ref)[rows]
        assert err.mean() < 2.5, slug
        assert np.percentile(err, 99) < 40, slug
        # Jagged or aliased lines would add edges the reference does not have.
        ratio = total_variation(img[rows]) / total_variation(ref[rows])
        assert 0.75 < ratio < 1.15, (slug, ratio)


@pytest.mark.parametrize("x, heading", [(-3.05, 0.35), (-3.0, -0.3), (-2.9, 0.15)])
def test_dash_and_line_borders_follow_the_reference(camera, long_track, x, heading):
    # Where the reference frame changes fast (the borders of dashes and lines, seen at
    # an angle), the camera stays close to it: a jagged, nearest-pixel border would be
    # off by a large part of the paint's contrast (about 13 greys on average here).
    car = CarState(x, Y0, heading, 0.0, 0.0)
    ref = reference_frame(long_track, car, PARAMS)
    d_row, d_col = np.gradient(ref)
    border = np.hypot(d_row, d_col) > 8
    border[:40] = False
    assert border.sum() > 500
    err = np.abs(shot(camera, x=x, heading=heading).astype(np.float64) - ref)[border]
    assert err.mean() < 8 and np.percentile(err, 95) < 25


# --- deterministic -----------------------------------------------------------------------------


def test_the_same_pose_gives_the_same_bytes(camera, long_track):
    car = CarState(-2.3, Y0 + 0.1, 0.2, 1.0, 0.0)
    first = camera.render(car).copy()
    camera.render(CarState(1.0, Y0, 0.0, 0.0, 0.0))
    assert camera.render(car).tobytes() == first.tobytes()
    # A second camera on another copy of the track: textures and picture alike.
    copy = track_from_array(long_track.waypoints)
    again = CameraSensor(copy, PARAMS)
    assert again.render(car).tobytes() == first.tobytes()
    atlas = floor_textures(long_track, PARAMS).atlas
    assert hashlib.sha256(floor_textures(copy, PARAMS).atlas.tobytes()).digest() == hashlib.sha256(
        atlas.tobytes()).digest()


@pytest.mark.parametrize("slug", ["oval-loop", "grand-prix"])
def test_near_the_track_lookups_need_no_clipping(slug):
    """Within FREE_M of the track's box the camera casts its texel coordinates to integers
    unclipped, and gathers without bounds checks: every frame there is the frame the
    clipped lookups give, in the box's corners too, looking every way."""
    track = load_track(slug)
    fast = CameraSensor(track, PARAMS)
    clipped = CameraSensor(track, PARAMS)
    clipped._safe = (math.inf, math.inf, -math.inf, -math.inf)  # no pose inside: always clip
    clipped._sums = clipped._summer()
    x0, y0, x1, y1 = fast._safe
    rng = np.random.default_rng(8)
    corners = [(x, y) for x in (x0, x1) for y in (y0, y1)]
    poses = [CarState(x, y, h, 0.0, 0.0) for x, y in corners for h in np.linspace(-math.pi, math.pi, 8)]
    poses += [CarState(rng.uniform(x0, x1), rng.uniform(y0, y1), rng.uniform(-math.pi, math.pi), 0.0, 0.0)
              for _ in range(40)]
    for car in poses:
        assert fast.render(car).tobytes() == clipped.render(car).tobytes()


def plain_frame(camera: CameraSensor, car: CarState) -> np.ndarray:
    """The camera's frame by its definition, written plainly (fresh arrays, no shared
    buffers, no casts folded into other passes): per row the four terms summed in order
    in float64 and rounded to float32; per pixel origin + column * step in float32,
    clipped off the track's surroundings, truncated; one texel each; the [1, 2, 1] x
    [1, 2, 1] tent filter, rounded."""
    x0, y0 = camera._origin
    c, s = math.cos(car.heading_rad), math.sin(car.heading_rad)
    coef = np.array([[c] * 4, [s] * 4, [car.x_m - x0, car.y_m - y0, 0.0, 0.0], [1.0] * 4])[:, :, None]
    p = camera._terms * coef
    ox, oy, sx, sy = (((p[0] + p[1]) + p[2]) + p[3]).astype(np.float32)[:, :, None]
    cols = np.arange(PARAMS.width_px + 2, dtype=np.float32)
    tx, ty = ox + sx * cols, oy + sy * cols
    bx0, by0, bx1, by1 = camera._safe
    if not (bx0 <= car.x_m <= bx1 and by0 <= car.y_m <= by1):
        tx, ty = np.clip(tx, camera._lo[0], camera._hi[0]), np.clip(ty, camera._lo[1], camera._hi[1])
    atlas = camera._atlas.reshape(-1, camera._stride)
    texel = atlas[ty.astype(np.int64), tx.astype(np.int64)].astype(np.int64)
    tent = texel[:, :-2] + 2 * texel[:, 1:-1] + texel[:, 2:]
    tent = tent[:-2] + 2 * tent[1:-1] + tent[2:]
    frame = camera._frame.copy()
    frame[camera._first:] = (tent + 8) >> 4
    return frame


@pytest.mark.parametrize("lateral_m", [0.0, PARAMS.stereo_baseline_m / 2])
def test_frames_are_the_plain_definition(lateral_m):
    """The camera's passes (shared buffers, casts of their own, flat runs) give the bytes
    of the plain definition, on and off the track (clipped), looking every way; so do
    its writers, into uint8 and float32 buffers, contiguous or strided."""
    track = load_track("oval-loop")
    camera = CameraSensor(track, PARAMS, lateral_m=lateral_m)
    h, w = PARAMS.height_px, PARAMS.width_px
    floats, strided = np.zeros((h, w), np.float32), np.zeros((h, w, 2), np.float32)
    greys = np.zeros((h, w), np.uint8)
    writes = [camera.writer(floats), camera.writer(strided[:, :, 1]), camera.writer(greys)]
    x0, y0, x1, y1 = track.bounds
    rng = np.random.default_rng(18)
    for k in range(60):
        far = 6.0 if k % 3 == 0 else 0.5  # every third pose well outside: clipped lookups
        car = CarState(rng.uniform(x0 - far, x1 + far), rng.uniform(y0 - far, y1 + far),
                       rng.uniform(-math.pi, math.pi), 0.0, 0.0)
        expected = plain_frame(camera, car)
        assert camera.render(car).tobytes() == expected.tobytes()
        for write in writes:
            write(car)
        scaled = expected.astype(np.float32) * np.float32(1.0 / 255.0)
        assert floats.tobytes() == scaled.tobytes()
        assert np.ascontiguousarray(strided[:, :, 1]).tobytes() == scaled.tobytes()
        assert greys.tobytes() == expected.tobytes()


def test_a_track_far_from_the_origin_looks_the_same():
    near = track_from_array(B.stadium())
    far = track_from_array(B.stadium(offset=(1e5, 1e5)))
    a = CameraSensor(near, PARAMS).render(CarState(-1.0, -1.4, 0.1, 0.0, 0.0)).astype(int)
    b = CameraSensor(far, PARAMS).render(CarState(1e5 - 1.0, 1e5 - 1.4, 0.1, 0.0, 0.0)).astype(int)
    assert np.mean(a == b) > 0.99 and np.abs(a - b).max() <= 16


def test_textures_come_from_fixed_seeds_not_the_global_generator(long_track):
    np.random.seed(1)
    state = np.random.get_state()[1].copy()
    CameraSensor(track_from_array(long_track.waypoints), PARAMS)
    assert np.array_equal(np.random.get_state()[1], state)


# --- what the model is fed --------------------------------------------------------------


@pytest.mark.parametrize("layout", ["NHWC", "NCHW"])
@pytest.mark.parametrize("input_type", [TensorProto.FLOAT, TensorProto.UINT8])
def test_camera_input_layout_and_scaling(long_track, make_policy, camera, layout, input_type):
    meta = B.continuous_metadata(sensor="FRONT_FACING_CAMERA")
    policy = make_policy(B.camera_mean_model(layout, input_type), meta)
    car = CarState(-3.0, Y0, 0.0, 0.0, 0.0)
    observe = make_observer(policy.buffers, long_track, SimParams())
    observe(car, long_track.project(car.x_m, car.y_m))
    buf = policy.buffers["FRONT_FACING_CAMERA"]
    expected = camera.render(car).copy()
    if layout == "NHWC":
        assert buf.shape == (1, 120, 160, 1)
        picture = buf[0, :, :, 0]
    else:
        assert buf.shape == (1, 1, 120, 160)
        picture = buf[0, 0]
    if input_type == TensorProto.UINT8:
        assert buf.dtype == np.uint8
        np.testing.assert_array_equal(picture, expected)
    else:
        # float32 in [0, 1] is the uint8 picture / 255: the same information.
        assert buf.dtype == np.float32
        np.testing.assert_array_equal(picture, expected * np.float32(1 / 255))
        np.testing.assert_array_equal(np.rint(picture * 255).astype(np.uint8), expected)


@pytest.mark.parametrize("layout, input_type", [("NHWC", TensorProto.FLOAT), ("NCHW", TensorProto.UINT8)])
def test_camera_models_race_and_see_the_same_picture(long_track, make_policy, camera, layout, input_type):
    # The model steers by the mean brightness it sees (0..1): both encodings must agree.
    meta = B.continuous_metadata(sensor="FRONT_FACING_CAMERA", speed=(0.5, 1.0))
    policy = make_policy(B.camera_mean_model(layout, input_type), meta)
    result = run_time_trial(policy, long_track, RaceRules(laps=1, time_cap_s=1.0))
    assert result.status == "dnf" and result.steps > 0
    start = long_track.project(0.0, Y0)
    mean = camera.render(CarState(0.0, Y0, start.track_heading_rad, 0.0, 0.0)).mean() / 255.0
    first_steering = result.trajectory[0, L.TRAJ_STEERING_DEG]
    assert first_steering == pytest.approx(-30.0 + (mean + 1.0) * 30.0, abs=0.011)
