"""The shape of a track: files with the right columns that are not tracks are refused, one
line naming the file's waypoint and the fix; every real track still loads, both ways."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.catalog import list_tracks, load_track
from simulator.track import TrackError, load_track_file, track_from_array
from simulator.track_checks import _proper_crossings, geometry_problem

from . import builders as B


def refusal(arr: np.ndarray) -> str:
    with pytest.raises(TrackError) as err:
        track_from_array(arr)
    message = str(err.value)
    assert "\n" not in message
    return message


def ribbon(x: np.ndarray, y: np.ndarray, half_width_m: float = 0.4) -> np.ndarray:
    """A DeepRacer (N, 6) array around a centre line, each border half a width along the
    normal, inner on the left (an anticlockwise loop)."""
    c = np.stack([x, y], axis=1)
    d = np.roll(c, -1, axis=0) - np.roll(c, 1, axis=0)
    d /= np.hypot(*d.T)[:, None]
    left = np.stack([-d[:, 1], d[:, 0]], axis=1)
    return np.concatenate([c, c + half_width_m * left, c - half_width_m * left], axis=1)


def polar(radius_of) -> np.ndarray:
    """An anticlockwise ribbon whose centre line is at radius_of(angle), 240 waypoints."""
    theta = np.linspace(0.0, 2.0 * math.pi, 240, endpoint=False)
    r = radius_of(theta)
    return ribbon(r * np.cos(theta), r * np.sin(theta))


# --- what must still load -----------------------------------------------------------------------


@pytest.mark.parametrize("info", list_tracks(), ids=lambda info: info.slug)
def test_every_shipped_track_loads_both_ways_and_from_its_file_read_backwards(info):
    arr = np.load(info.path)
    forward = load_track_file(info.path)
    assert load_track(info.slug, reverse=True).n == forward.n
    backwards = track_from_array(arr[::-1].copy())  # its rows in the other driving order
    assert backwards.clockwise is not forward.clockwise
    reverse = forward.reversed()
    rows = np.arange(reverse.n)
    assert geometry_problem(reverse.center, reverse.left, reverse.right, inner_is_left=not reverse.clockwise,
                            rows=rows) is None
    track_from_array(arr[:, [0, 1, 4, 5, 2, 3]])  # inner and outer columns swapped throughout


def test_odd_but_real_files_still_load():
    # A file that leaves out its closing stretch (the loader closes it), uneven spacing, a
    # narrow track on tight bends, integer coordinates, a clockwise loop with varying width.
    track_from_array(B.stadium(repeat_first=False)[:-3])
    arr = B.stadium(repeat_first=False)
    track_from_array(arr[[k for k in range(len(arr)) if k % 7 not in (2, 3, 4)]])
    track_from_array(B.stadium(straight_m=4.0, radius_m=0.55, width_m=0.9))
    track_from_array(np.round(B.stadium(straight_m=40, radius_m=15, width_m=10, spacing_m=1.0)).astype(np.int64))
    track_from_array(B.stadium(clockwise=True, width_fn=lambda s, length: 0.6 + 0.8 * s / length))
    # A border that repeats a point where a bend is tight touches itself but does not cross.
    arr = B.stadium()
    arr[20, 2:4] = arr[19, 2:4]
    track_from_array(arr)


# --- what is refused ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_random_numbers_are_not_a_track(seed):
    # The QA report's upload: np.random.rand(10, 6), a star of crossing borders.
    assert refusal(np.random.default_rng(seed).random((10, 6))).startswith("waypoint ")


def test_a_border_on_the_wrong_side_is_named_with_its_waypoint():
    arr = B.stadium()
    arr[17, 2:4] = arr[17, 0:2] - 0.3 * (arr[17, 2:4] - arr[17, 0:2])  # the inner point mirrored across
    assert refusal(arr) == (
        "waypoint 17: the inner border is on the outer side of the centre line: the columns are "
        "centre x,y, inner x,y, outer x,y, each border on its own side all the way round"
    )
    arr = B.stadium()
    arr[30, 4:6] = arr[30, 0:2] - 0.3 * (arr[30, 4:6] - arr[30, 0:2])
    assert refusal(arr).startswith("waypoint 30: the outer border is on the inner side of the centre line")


def test_the_waypoint_is_the_files_own_row_when_repeated_rows_were_dropped():
    arr = np.insert(B.stadium(), 5, B.stadium()[5], axis=0)  # row 5 twice: the loader keeps one
    arr[18, 2:4] = arr[18, 0:2] - 0.3 * (arr[18, 2:4] - arr[18, 0:2])
    assert refusal(arr).startswith("waypoint 18: the inner border is on the outer side")


def test_borders_swapped_at_one_waypoint():
    arr = B.stadium()
    arr[40, 2:6] = arr[40, [4, 5, 2, 3]]
    assert refusal(arr).startswith("waypoint 40: the inner and outer borders are swapped: the columns are")


def test_an_open_line_is_not_a_loop():
    theta = np.linspace(0.0, math.radians(300), 100)  # a C: 300 of the 360 degrees
    message = refusal(ribbon(3 * np.cos(theta), 3 * np.sin(theta)))
    assert message.startswith("waypoint 99: the centre line ends 3.00 m from where it starts (waypoint 0)")
    assert "not a closed loop" in message and "ending back at the first one" in message


def test_a_track_narrower_than_the_car():
    assert refusal(B.stadium(width_m=0.15)).startswith(
        "waypoint 0: the track is 0.15 m wide, narrower than the car (0.20 m): move the borders apart"
    )


def test_a_figure_of_eight_crosses_itself():
    t = np.linspace(0.0, 2.0 * math.pi, 200, endpoint=False) + 0.01  # no waypoint on the crossing
    message = refusal(ribbon(4 * np.sin(t), 4 * np.sin(t) * np.cos(t)))
    assert message.startswith("waypoint 99: the centre line crosses itself (near waypoint 199)")
    assert "once round the loop in driving order" in message


def test_two_parts_of_the_track_too_close_cross_the_outer_border():
    dent = polar(lambda th: 3 - 2.3 * np.exp(-(((th - math.pi) / 0.35) ** 2)))
    message = refusal(dent)
    assert message.startswith("waypoint 111: the outer border crosses itself (near waypoint 128)")
    assert "the road overlaps itself there" in message


def test_a_spike_tighter_than_the_track_is_wide_crosses_the_inner_border():
    spike = polar(lambda th: 3 + 2.0 * np.exp(-(((th - math.pi) / 0.1) ** 2)))
    assert "the inner border crosses itself" in refusal(spike)


def test_a_hairpin_tighter_than_half_the_width_turns_the_infield_inside_out():
    # The two straights overlap: each inner border runs along the other straight's road,
    # the inner border goes round the hairpins backwards, yet nothing crosses.
    for arr in (B.stadium(radius_m=0.3, width_m=0.9), B.stadium(radius_m=0.3, width_m=0.9, clockwise=True)):
        message = refusal(arr)
        assert "the inner border runs backwards round the bend: the road overlaps itself" in message


# --- the crossing search against its plain definition ------------------------------------------


def plain_crossings(loops):
    """Every pair of segments, one at a time: the same rule without the sweep."""
    n = len(loops[0])
    found = set()

    def orient(p, q, r):
        return np.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))

    for la, a in enumerate(loops):
        for lb in range(la, len(loops)):
            if la == 0 and lb > 0:
                continue  # the centre line is not compared with the borders
            b = loops[lb]
            for i in range(n):
                for j in range(n):
                    if la == lb and (j <= i or j - i in (1, n - 1)):
                        continue
                    p, p2, q, q2 = a[i], a[(i + 1) % n], b[j], b[(j + 1) % n]
                    if orient(p, p2, q) * orient(p, p2, q2) < 0 and orient(q, q2, p) * orient(q, q2, p2) < 0:
                        found.add((la, i, lb, j))
    return found


@pytest.mark.parametrize("seed", range(6))
def test_the_sweep_finds_exactly_the_crossings_of_every_pair(seed):
    rng = np.random.default_rng(seed)
    n = 25
    loops = [rng.random((n, 2)) * (1 + seed), rng.random((n, 2)), rng.random((n, 2)) * 3 - 1]
    got = set(zip(*(arr.tolist() for arr in _proper_crossings(loops))))
    assert got == plain_crossings(loops) and got


def test_the_sweep_finds_nothing_on_a_clean_track():
    t = track_from_array(B.stadium())
    assert all(len(arr) == 0 for arr in _proper_crossings([t.center, t.left, t.right]))
    r = t.reversed()
    assert all(len(arr) == 0 for arr in _proper_crossings([r.center, r.left, r.right]))


def test_a_competitors_track_file_is_refused_by_the_command_line_too(cli, model_package, track_file):
    # `--track file.npy` at home goes through the same loader as the league's upload.
    model, meta = model_package(B.pursuit_model(2.0), B.continuous_metadata(), name="pursuit")
    theta = np.linspace(0.0, math.radians(300), 100)
    path = track_file(ribbon(3 * np.cos(theta), 3 * np.sin(theta)), "open.npy")
    code, out, err = cli("race", model, "--metadata", meta, "--track", path)
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert err.startswith("error: track: waypoint 99: the centre line ends 3.00 m from where it starts")
