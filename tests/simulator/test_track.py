"""Track files: loading, clean-up, orientation, projection, and every refusal."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.track import TrackError, load_track_file, track_from_array

from . import builders as B

L_STADIUM = B.stadium_length()


# --- geometry ---------------------------------------------------------------------------------


def test_arrays_have_the_documented_shapes(stadium_track, stadium_array):
    t = stadium_track
    n = len(stadium_array) - 1  # the file repeats the first row as the last
    assert t.n == n
    for arr in (t.center, t.left, t.right):
        assert arr.shape == (n, 2) and arr.dtype == np.float64
    assert t.width_m.shape == (n,)
    assert t.cum_s_m.shape == (n + 1,)
    assert t.cum_s_m[0] == 0.0 and np.all(np.diff(t.cum_s_m) > 0)
    assert t.waypoints.shape == (n, 6)
    np.testing.assert_array_equal(t.waypoints, stadium_array[:-1])


def test_length_is_the_centre_line_polygon(stadium_track, stadium_array):
    assert stadium_track.length_m == pytest.approx(B.polygon_length(stadium_array), abs=1e-9)
    # A polygon inscribed in the half circles is a little shorter than the true stadium.
    assert L_STADIUM - 0.01 < stadium_track.length_m < L_STADIUM


def test_width_is_the_distance_between_the_borders(stadium_track, varying_width_track):
    np.testing.assert_allclose(stadium_track.width_m, 1.0, atol=1e-9)
    w = varying_width_track.width_m
    assert w.min() == pytest.approx(0.6, abs=0.01) and w.max() == pytest.approx(1.4, abs=0.01)


def test_counter_clockwise_track_has_the_infield_on_the_left(stadium_track):
    t = stadium_track
    assert not t.clockwise
    np.testing.assert_array_equal(t.left, t.waypoints[:, 2:4])  # inner
    np.testing.assert_array_equal(t.right, t.waypoints[:, 4:6])  # outer


def test_clockwise_track_has_the_infield_on_the_right(clockwise_track):
    t = clockwise_track
    assert t.clockwise
    np.testing.assert_array_equal(t.right, t.waypoints[:, 2:4])  # inner
    np.testing.assert_array_equal(t.left, t.waypoints[:, 4:6])  # outer


@pytest.mark.parametrize("fixture", ["stadium_track", "clockwise_track", "varying_width_track", "far_track"])
def test_left_border_is_on_the_left_of_the_driving_direction(request, fixture):
    t = request.getfixturevalue(fixture)
    heading = t.vertex_heading_rad
    tangent = np.stack([np.cos(heading), np.sin(heading)], axis=1)

    def side(border):
        d = border - t.center
        return tangent[:, 0] * d[:, 1] - tangent[:, 1] * d[:, 0]

    assert np.all(side(t.left) > 0) and np.all(side(t.right) < 0)


def test_inner_and_outer_columns_swapped_still_give_left_and_right(stadium_array):
    swapped = stadium_array[:, [0, 1, 4, 5, 2, 3]]
    t = track_from_array(swapped)
    ref = track_from_array(stadium_array)
    np.testing.assert_array_equal(t.left, ref.left)
    np.testing.assert_array_equal(t.right, ref.right)


class TestProjection:
    def test_on_the_start_straight(self, stadium_track):
        p = stadium_track.project(1.0, -1.5 + 0.2)
        assert p.s_m == pytest.approx(1.0, abs=1e-9)
        assert p.offset_m == pytest.approx(0.2, abs=1e-9)  # left of centre is positive
        assert p.track_heading_rad == pytest.approx(0.0, abs=1e-9)
        assert p.left_half_width_m == pytest.approx(0.5) and p.right_half_width_m == pytest.approx(0.5)

    def test_right_of_centre_is_negative(self, stadium_track):
        assert stadium_track.project(0.5, -1.5 - 0.3).offset_m == pytest.approx(-0.3, abs=1e-9)

    def test_top_straight_runs_backwards(self, stadium_track):
        # Driving counter-clockwise the top straight heads -x; its left is -y (the infield).
        p = stadium_track.project(0.0, 1.5 - 0.25)
        assert p.s_m == pytest.approx(stadium_track.length_m / 2, abs=0.02)
        assert abs(p.track_heading_rad) == pytest.approx(math.pi, abs=1e-9)
        assert p.offset_m == pytest.approx(0.25, abs=1e-9)

    def test_offset_is_positive_left_on_a_clockwise_track(self, clockwise_track):
        # Mirrored stadium: start at (0, 1.5) facing +x, the infield (-y) is on the right.
        assert clockwise_track.project(1.0, 1.5 + 0.2).offset_m == pytest.approx(0.2, abs=1e-9)
        assert clockwise_track.project(1.0, 1.5 - 0.2).offset_m == pytest.approx(-0.2, abs=1e-9)

    def test_just_before_the_start_line_is_the_end_of_the_lap(self, stadium_track):
        p = stadium_track.project(-0.01, -1.5)
        assert p.s_m == pytest.approx(stadium_track.length_m - 0.01, abs=1e-9)
        assert 0.0 <= p.s_m < stadium_track.length_m

    def test_hinted_search_agrees_with_the_global_search(self, stadium_track):
        t = stadium_track
        rng = np.random.default_rng(3)
        hint = 0
        for s in np.linspace(0.0, t.length_m, 400, endpoint=False):
            x, y, h = t.point_at(s)
            off = rng.uniform(-0.45, 0.45)
            px, py = x - math.sin(h) * off, y + math.cos(h) * off
            hinted = t.project(px, py, hint=hint)
            full = t.project(px, py)
            assert hinted.s_m == pytest.approx(full.s_m, abs=1e-9)
            assert hinted.offset_m == pytest.approx(off, abs=0.02)
            hint = hinted.index

    def test_hinted_search_stays_on_its_own_part_of_the_track(self):
        # Straights 1.1 m apart: a point in the infield nearer the top straight still
        # projects onto the bottom one when the walk starts there (what stops a car
        # that cuts across from being credited with the far hairpin).
        t = track_from_array(B.stadium(straight_m=4.0, radius_m=0.55, width_m=0.9))
        hint = t.project(1.0, -0.55).index
        local = t.project(1.0, 0.1, hint=hint)
        assert local.s_m == pytest.approx(1.0, abs=1e-9) and local.offset_m == pytest.approx(0.65)
        assert t.project(1.0, 0.1).s_m > t.length_m / 3  # the global search jumps across

    def test_point_at_wraps_around_the_lap(self, stadium_track):
        t = stadium_track
        assert t.point_at(0.0)[:2] == pytest.approx(tuple(t.center[0]))
        assert t.point_at(t.length_m + 1.0) == pytest.approx(t.point_at(1.0))
        assert t.point_at(-1.0) == pytest.approx(t.point_at(t.length_m - 1.0))

    def test_far_from_the_origin_projects_like_the_original(self, stadium_track, far_track):
        a = stadium_track.project(2.3, -1.2)
        b = far_track.project(2.3 + 1e5, -1.2 + 1e5)
        assert b.s_m == pytest.approx(a.s_m, abs=1e-6)
        assert b.offset_m == pytest.approx(a.offset_m, abs=1e-6)


def test_dense_centre_samples_the_lap_evenly(stadium_track):
    d = stadium_track.dense_centre()
    steps = np.hypot(*np.diff(d, axis=0).T)
    assert len(d) >= stadium_track.length_m / 0.0101
    assert steps.max() < 0.0105


# --- odd but valid files ----------------------------------------------------------------------


def test_first_row_repeated_or_not_gives_the_same_track(track_file):
    a = load_track_file(track_file(B.stadium(repeat_first=True), "a.npy"))
    b = load_track_file(track_file(B.stadium(repeat_first=False), "b.npy"))
    assert a.n == b.n
    np.testing.assert_array_equal(a.center, b.center)
    assert a.length_m == b.length_m


def test_duplicate_points_are_dropped(track_file):
    arr = B.stadium(repeat_first=False)
    doubled = np.repeat(arr, [3 if k % 5 == 0 else 1 for k in range(len(arr))], axis=0)
    assert len(doubled) > len(arr)
    t = load_track_file(track_file(doubled))
    np.testing.assert_array_equal(t.waypoints, arr)


def test_tiny_jitter_duplicates_are_dropped_too():
    arr = B.stadium(repeat_first=False)
    jitter = arr[10].copy()
    jitter[:2] += 1e-9
    t = track_from_array(np.insert(arr, 11, jitter, axis=0))
    assert t.n == len(arr)


def test_the_file_name_names_the_track(track_file):
    assert load_track_file(track_file(B.stadium(), "my-oval.npy")).name == "my-oval"


def test_float32_and_integer_files_load(track_file):
    f32 = load_track_file(track_file(B.stadium().astype(np.float32), "f32.npy"))
    assert f32.center.dtype == np.float64
    big = B.stadium(straight_m=40, radius_m=15, width_m=10, spacing_m=1.0)
    ints = load_track_file(track_file(np.round(big).astype(np.int64), "ints.npy"))
    assert ints.n > 10 and ints.center.dtype == np.float64


def test_uneven_spacing_loads():
    arr = B.stadium(repeat_first=False)
    keep = [k for k in range(len(arr)) if k % 7 not in (2, 3, 4)]
    t = track_from_array(arr[keep])
    assert t.n == len(keep)


def test_the_track_does_not_share_memory_with_the_callers_array():
    arr = B.stadium()
    t = track_from_array(arr)
    length = t.length_m
    arr[:] = 0.0
    assert np.any(t.center != 0.0) and t.length_m == length
    assert t.project(1.0, -1.5).s_m == pytest.approx(1.0)


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(B.INVALID_TRACKS))
def test_invalid_track_files_are_refused_with_a_one_line_reason(tmp_path, kind):
    writer, phrase = B.INVALID_TRACKS[kind]
    path = tmp_path / f"{kind}.npy"
    writer(path)
    with pytest.raises(TrackError) as err:
        load_track_file(path)
    message = str(err.value)
    assert "\n" not in message
    assert phrase in message


def test_a_pickled_file_is_never_unpickled(tmp_path):
    writer, _ = B.INVALID_TRACKS["pickled-objects"]
    path = tmp_path / "evil.npy"
    writer(path)
    marker = B.pickle_marker(path)
    with pytest.raises(TrackError, match="pickled Python objects"):
        load_track_file(path)
    assert not marker.exists()
    # The file really is armed: loading it with pickle allowed runs the payload.
    np.load(path, allow_pickle=True)
    assert marker.exists()


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(TrackError, match="does not exist"):
        load_track_file(tmp_path / "nope.npy")


def test_a_folder_is_not_a_track_file(tmp_path):
    with pytest.raises(TrackError):
        load_track_file(tmp_path)


@pytest.mark.parametrize(
    "make, phrase",
    [
        (lambda: np.zeros((10, 6)), "1 distinct waypoints"),
        (lambda: B.stadium().tolist(), "not a numpy array"),
        (lambda: "0 0 1 1 2 2", "not a numpy array"),
        (lambda: np.zeros((10, 6), dtype=bool), "expected numbers"),
        (lambda: np.zeros((10, 6), dtype=complex), "expected numbers"),
        (lambda: np.array([{"x": 1}] * 60, dtype=object).reshape(10, 6), "expected numbers"),
    ],
)
def test_track_from_array_refuses_non_arrays_and_non_numbers(make, phrase):
    with pytest.raises(TrackError) as err:
        track_from_array(make())
    assert phrase in str(err.value) and "\n" not in str(err.value)


def test_zero_width_everywhere_is_refused():
    arr = B.stadium()
    arr[:, 2:4] = arr[:, 0:2]
    arr[:, 4:6] = arr[:, 0:2]
    with pytest.raises(TrackError, match="zero width at waypoint 0"):
        track_from_array(arr)
