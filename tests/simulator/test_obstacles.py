"""Boxes and bot cars: where they are placed (from the seed, or fixed), how bots drive and
change lanes, when a car touches one (also between two steps), where the car is put back,
and what the lidar and a reward function see of them.

Most checks sit on the bottom straight of a long counter-clockwise stadium (y = -1.5,
driving +x, 1 m wide, straight from x = -5 to x = 5): the infield (the inside lane) is on
the left, at y = -1.25, the outside lane at y = -1.75.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.formats import (
    FormatError,
    ObstacleLidar,
    ObstacleParams,
    Obstacles,
    RaceFormat,
    fixed_objects_from,
)
from simulator.formats.geometry import (
    beam_ranges_to_rects,
    first_contact,
    ray_rect_distances_reference,
    rect_corners,
    rects_touch,
)
from simulator.formats.placement import BotPlan, CentreLine, place_boxes
from simulator.formats.world import closest_objects
from simulator.params import CarParams, LidarParams
from simulator.vehicle import CarState

Y0 = -1.5
CAR = CarParams()
HL, HW = CAR.length_m / 2, CAR.width_m / 2  # 0.14, 0.10
BOX = 0.20  # half the box's side


def boxes_format(**kwargs) -> RaceFormat:
    return RaceFormat(race_type="object_avoidance", **kwargs)


def fixed(text: str) -> RaceFormat:
    positions = fixed_objects_from(text)
    return boxes_format(placement="fixed", objects=len(positions), fixed_objects=positions)


def bots_format(**kwargs) -> RaceFormat:
    return RaceFormat(race_type="head_to_bot", **kwargs)


def pct_at(track, x: float) -> float:
    """% of the lap of the point of the bottom straight at x (the start is at x = 0)."""
    return 100.0 * (x % track.length_m) / track.length_m


# --- placement ------------------------------------------------------------------------------


def test_random_placement_is_the_seeds(oval):
    a = place_boxes(CentreLine(oval), boxes_format(seed=7))
    again = place_boxes(CentreLine(oval), boxes_format(seed=7))
    other = place_boxes(CentreLine(oval), boxes_format(seed=8))
    assert a == again
    assert [b.s_m for b in a] != [b.s_m for b in other]
    assert len(a) == 6


@pytest.mark.parametrize("seed", range(12))
def test_random_boxes_keep_clear_of_the_start_and_of_each_other(oval, seed):
    boxes = place_boxes(CentreLine(oval), boxes_format(seed=seed, objects=12))
    s = sorted(b.s_m for b in boxes)
    assert s[0] >= 1.0 and s[-1] <= oval.length_m - 1.0
    assert min(np.diff(s)) >= 1.0
    assert {b.lane for b in boxes} <= {"inside", "outside"}


def test_random_placement_draws_as_documented(oval):
    # numpy.random.default_rng(seed): `objects` uniform numbers (the place in each box's
    # share of the lap), then `objects` integers 0/1 (the lane, 0 inside).
    rng = np.random.default_rng(11)
    where, lanes = rng.random(6), rng.integers(0, 2, 6)
    share = (oval.length_m - 2.0) / 6
    boxes = place_boxes(CentreLine(oval), boxes_format(seed=11))
    assert [b.s_m for b in boxes] == pytest.approx([1.0 + share * k + 0.5 + u * (share - 1.0) for k, u in enumerate(where)])
    assert [b.lane for b in boxes] == ["inside" if lane == 0 else "outside" for lane in lanes]


def test_random_lanes_come_from_the_seed(oval):
    lanes = {tuple(b.lane for b in place_boxes(CentreLine(oval), boxes_format(seed=seed))) for seed in range(8)}
    assert len(lanes) > 1


def test_a_box_stands_in_its_lanes_centre(long_track):
    boxes = place_boxes(CentreLine(long_track), fixed(f"inside:{pct_at(long_track, 2.0)},outside:{pct_at(long_track, 4.0)}"))
    inside, outside = boxes
    assert (inside.x_m, inside.y_m) == pytest.approx((2.0, Y0 + 0.25), abs=1e-9)
    assert (outside.x_m, outside.y_m) == pytest.approx((4.0, Y0 - 0.25), abs=1e-9)
    assert inside.heading_rad == pytest.approx(0.0, abs=1e-9)
    assert (inside.lane, inside.offset_m > 0, outside.offset_m < 0) == ("inside", True, True)


def test_inside_is_the_infield_on_a_clockwise_track(clockwise_track):
    # The mirrored stadium: the start faces +x and the loop turns right, so the infield is
    # on the car's right.
    (box,) = place_boxes(CentreLine(clockwise_track), fixed("inside:10"))
    assert box.offset_m < 0
    projection = clockwise_track.project(box.x_m, box.y_m)
    assert projection.offset_m == pytest.approx(-0.25, abs=1e-6)


def test_inside_stays_the_infield_when_the_track_is_driven_backwards(stadium_track):
    (forwards,) = place_boxes(CentreLine(stadium_track), fixed("inside:10"))
    (backwards,) = place_boxes(CentreLine(stadium_track.reversed()), fixed("inside:10"))
    assert forwards.offset_m > 0 > backwards.offset_m


def test_fixed_boxes_stand_where_they_are_told(oval):
    boxes = place_boxes(CentreLine(oval), fixed("inside:20,outside:45.5,inside:80"))
    assert [b.s_m for b in boxes] == pytest.approx([0.2 * oval.length_m, 0.455 * oval.length_m, 0.8 * oval.length_m])
    assert [b.lane for b in boxes] == ["inside", "outside", "inside"]


def test_fixed_boxes_on_the_start_line_are_refused_with_the_range(oval):
    with pytest.raises(FormatError, match=r"fixed position 2 \(2 %\) is within 1 m of the start line.*between 4.9 % and 95.1 %"):
        place_boxes(CentreLine(oval), fixed("inside:50,outside:2"))


def test_fixed_boxes_too_close_are_refused(oval):
    with pytest.raises(FormatError, match="fixed positions 1 and 2 are 0.20 m apart.*at least 1 m"):
        place_boxes(CentreLine(oval), fixed(f"inside:50,outside:{50 + 100 * 0.2 / oval.length_m}"))


def test_too_many_boxes_for_a_short_track_names_how_many_fit(stadium_track):
    # 17.4 m, 15.4 m of it clear of the start: 11 boxes 1.3 m apart at most.
    with pytest.raises(FormatError, match="room for 11 boxes at most.*set objects to 11 or fewer"):
        place_boxes(CentreLine(stadium_track), boxes_format(objects=12), ObstacleParams(min_box_spacing_m=1.3))


# --- bots -----------------------------------------------------------------------------------


def test_bots_start_evenly_spaced_ahead_in_alternating_lanes(oval):
    plan = BotPlan(CentreLine(oval), bots_format(bots=3, seed=1))
    starts = [plan.pose(k, 0)[3] for k in range(3)]
    assert starts == pytest.approx([oval.length_m * k / 4 for k in (1, 2, 3)])
    sides = [math.copysign(1.0, plan.pose(k, 0)[4]) for k in range(3)]
    assert sides[0] == -sides[1] == sides[2]


def test_a_bot_drives_its_lane_at_the_set_speed(long_track):
    plan = BotPlan(CentreLine(long_track), bots_format(bots=1, bot_speed_m_s=1.5, seed=0))
    s0 = plan.pose(0, 0)[3]
    for step in (1, 15, 150, 1000):
        x, y, h, s, offset = plan.pose(0, step)
        assert s == pytest.approx((s0 + 1.5 * step / 15) % long_track.length_m, abs=1e-9)
        assert abs(offset) == pytest.approx(0.25, abs=1e-9)
    # On the bottom straight it drives +x in its lane.
    start = (long_track.length_m - s0) / 1.5 * 15  # steps until it reaches the start line
    _, y, h, _, offset = plan.pose(0, math.ceil(start))
    assert y == pytest.approx(Y0 + offset, abs=1e-9) and h == pytest.approx(0.0, abs=1e-9)


def test_bot_motion_is_a_function_of_the_step_alone(oval):
    fmt = bots_format(bot_lane_change=True, seed=3)
    a, b = BotPlan(CentreLine(oval), fmt), BotPlan(CentreLine(oval), fmt)
    assert [a.rects(step) for step in (500, 3, 77)] == [b.rects(step) for step in (500, 3, 77)]


def test_lane_changes_come_from_the_seed(oval):
    line = CentreLine(oval)
    same = [BotPlan(line, bots_format(bot_lane_change=True, seed=5)).change_times_s for _ in range(2)]
    other = BotPlan(line, bots_format(bot_lane_change=True, seed=6)).change_times_s
    assert same[0] == same[1] != other
    none = BotPlan(line, bots_format(bot_lane_change=False, seed=5)).change_times_s
    assert none == [[], [], []]


def test_lane_changes_are_smooth_and_end_in_the_other_lane(long_track):
    plan = BotPlan(CentreLine(long_track), bots_format(bots=1, bot_lane_change=True, seed=2))
    first = plan.change_times_s[0][0]
    assert 4.0 <= first <= 10.0
    side_before, _ = plan.side_at(0, first - 0.01)
    side_after, _ = plan.side_at(0, first + 1.0)
    assert side_before in (1.0, -1.0) and side_after == -side_before
    steps = range(int(first * 15) - 2, int((first + 1.0) * 15) + 3)
    offsets = [plan.pose(0, n)[4] for n in steps]
    # At most a 1.5-times-average lateral move per step (the smoothstep's steepest part).
    assert max(abs(b - a) for a, b in zip(offsets, offsets[1:])) <= 1.5 * 0.5 / 15 + 1e-9
    assert offsets[0] == pytest.approx(0.25 * side_before) and offsets[-1] == pytest.approx(0.25 * side_after)


# --- geometry -------------------------------------------------------------------------------


def _polygons_intersect(p: list, q: list) -> bool:
    """Reference: two convex polygons meet when an edge of one crosses an edge of the other
    or one holds a corner of the other."""
    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def inside(pt, poly):
        signs = [cross(poly[k], poly[(k + 1) % 4], pt) for k in range(4)]
        return all(s >= 0 for s in signs) or all(s <= 0 for s in signs)

    for k in range(4):
        a, b = p[k], p[(k + 1) % 4]
        for m in range(4):
            c, d = q[m], q[(m + 1) % 4]
            d1, d2, d3, d4 = cross(a, b, c), cross(a, b, d), cross(c, d, a), cross(c, d, b)
            if d1 * d2 <= 0 and d3 * d4 <= 0 and (d1, d2) != (0, 0):
                return True
    return inside(p[0], q) or inside(q[0], p)


def test_rectangles_touch_as_the_polygons_do():
    rng = np.random.default_rng(11)
    agree = 0
    for _ in range(3000):
        a = (*rng.uniform(-0.5, 0.5, 2), rng.uniform(-4, 4), HL, HW)
        b = (*rng.uniform(-0.5, 0.5, 2), rng.uniform(-4, 4), BOX, BOX)
        assert rects_touch(a, b) == _polygons_intersect(rect_corners(a), rect_corners(b)), (a, b)
        agree += rects_touch(a, b)
    assert 300 < agree < 2700  # both answers were exercised


def test_rectangles_edge_to_edge_touch_and_a_hair_apart_do_not():
    box = (1.0, 0.0, 0.0, BOX, BOX)
    assert rects_touch((1.0 - BOX - HL, 0.0, 0.0, HL, HW), box)
    assert not rects_touch((1.0 - BOX - HL - 1e-9, 0.0, 0.0, HL, HW), box)
    assert not rects_touch((1.0, BOX + HW + 1e-9, 0.0, HL, HW), box)
    # Corner to corner, diagonally: apart unless the corners meet.
    assert not rects_touch((1.0 - BOX - HL - 1e-6, BOX + HW + 1e-6, 0.0, HL, HW), box)


def test_a_fast_car_cannot_pass_through_a_box_between_steps():
    # 10 m/s for one step of 1/15 s: 0.67 m, from in front of the box to beyond it.
    box = (1.0, 0.0, 0.0, BOX, BOX)
    before = (1.0 - BOX - HL - 0.2, 0.0, 0.0, HL, HW)
    after = (1.0 + BOX + HL + 0.2 + 0.067, 0.0, 0.0, HL, HW)
    assert not rects_touch(before, box) and not rects_touch(after, box)
    f = first_contact(before, after, box, box, 0.01, 0.02)
    assert f is not None
    # The front bumper reaches the box after 0.2 m of the way.
    assert f * (after[0] - before[0]) == pytest.approx(0.2, abs=0.01)


def test_a_car_skimming_past_a_box_does_not_touch_it():
    box = (1.0, 0.0, 0.0, BOX, BOX)
    side = BOX + HW + 0.005
    assert first_contact((0.3, side, 0.0, HL, HW), (1.7, side, 0.0, HL, HW), box, box, 0.01, 0.02) is None
    assert first_contact((0.3, side - 0.01, 0.0, HL, HW), (1.7, side - 0.01, 0.0, HL, HW), box, box, 0.01, 0.02)


def test_a_turning_car_clips_a_box_with_its_corner():
    box = (0.45, 0.3, 0.0, 0.15, 0.15)
    a0 = (0.0, 0.0, 0.0, HL, HW)
    a1 = (0.25, 0.0, 0.5, HL, HW)  # its front left corner swings up into the box
    assert not rects_touch(a0, box)
    assert first_contact(a0, a1, box, box, 0.01, 0.02) is not None
    assert first_contact(a0, (0.25, 0.0, -0.5, HL, HW), box, box, 0.01, 0.02) is None


def test_a_bot_driving_into_a_standing_car_is_a_contact():
    car = (1.0, 0.0, 0.0, HL, HW)
    bot0 = (0.4, 0.0, 0.0, HL, HW)
    bot1 = (0.8, 0.0, 0.0, HL, HW)
    assert not rects_touch(car, bot0) and rects_touch(car, bot1)
    f = first_contact(car, car, bot0, bot1, 0.01, 0.02)
    assert f * 0.4 == pytest.approx(0.6 - 2 * HL, abs=0.01)
    # Two cars in the two lanes, side by side at the same speed, never touch.
    assert first_contact((0.0, 0.25, 0.0, HL, HW), (0.3, 0.25, 0.0, HL, HW),
                         (0.0, -0.25, 0.0, HL, HW), (0.3, -0.25, 0.0, HL, HW), 0.01, 0.02) is None


# --- the lidar ------------------------------------------------------------------------------


ANGLES = np.radians(np.linspace(-150, 150, 64))


def beam_ranges(x, y, heading, rects, start=np.inf):
    out = np.full(len(ANGLES), start)
    beam_ranges_to_rects(out, ANGLES, x, y, heading, [tuple(r) for r in rects])
    return out


def test_beam_ranges_equal_the_edge_by_edge_definition():
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(200):
        x, y, heading = *rng.uniform(-1.0, 1.0, 2), rng.uniform(-math.pi, math.pi)
        rects = np.column_stack([rng.uniform(-1.2, 1.2, (4, 2)), rng.uniform(-4, 4, 4),
                                 rng.uniform(0.05, 0.3, 4), rng.uniform(0.05, 0.3, 4)])
        fast = beam_ranges(x, y, heading, rects)
        slow = np.array(ray_rect_distances_reference(x, y, ANGLES + heading, rects))
        assert np.array_equal(np.isinf(fast), np.isinf(slow))
        np.testing.assert_allclose(fast[np.isfinite(fast)], slow[np.isfinite(slow)], rtol=0, atol=1e-9)
        hits += int(np.isfinite(fast).sum())
    assert hits > 2000  # most beams met something


def test_beam_ranges_through_corners_behind_and_from_inside():
    # A square turned 45 degrees, a corner towards the car.
    box = (1.0, 0.0, math.pi / 4, BOX, BOX)
    fast = beam_ranges(0.0, 0.0, 0.0, [box])
    slow = np.array(ray_rect_distances_reference(0.0, 0.0, ANGLES, [box]))
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-9)
    # A box straight behind the car, across the beams' gap (150..210 deg): only the
    # outermost beams can see it.
    behind = (-0.6, 0.0, 0.0, BOX, 0.5)
    np.testing.assert_allclose(beam_ranges(0.0, 0.0, 0.0, [behind]),
                               ray_rect_distances_reference(0.0, 0.0, ANGLES, [behind]), rtol=0, atol=1e-9)
    assert np.isfinite(beam_ranges(0.0, 0.0, 0.0, [behind])[[0, -1]]).all()
    # From inside a box, the box is not seen; what was there stays.
    assert (beam_ranges(1.0, 0.05, 0.0, [(1.0, 0.0, 0.0, BOX, BOX)], start=0.7) == 0.7).all()


def test_beam_ranges_only_ever_lower_the_ranges():
    out = beam_ranges(0.0, 0.0, 0.0, [(1.0, 0.0, 0.0, BOX, BOX)], start=0.5)
    assert (out == 0.5).all()  # the box is further than what the beams already met


def test_a_lidar_with_box_walls_sees_what_the_definition_sees(long_track):
    from simulator.lidar import LidarSensor

    world = Obstacles(long_track, fixed(f"inside:{pct_at(long_track, 2.0)},outside:{pct_at(long_track, 3.2)}"))
    params = LidarParams()
    plain, walled = LidarSensor(long_track, params), LidarSensor(long_track, params, world.box_walls())
    rng = np.random.default_rng(5)
    seen = 0
    for _ in range(100):
        car = CarState(rng.uniform(0.5, 4.5), Y0 + rng.uniform(-0.45, 0.45), rng.uniform(-math.pi, math.pi), 0.0, 0.0)
        if world.touches(car):
            continue
        expected, got = np.zeros(64), np.zeros(64)
        plain.fill(expected, car)
        beam_ranges_to_rects(expected, ANGLES, car.x_m, car.y_m, car.heading_rad, world.rects)
        np.maximum(expected, params.min_range_m, out=expected)
        walled.fill(got, car)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
        seen += int((got < 1.0).sum())
    assert seen > 500


def test_the_lidar_sees_a_bot_within_reach(long_track):
    world = Obstacles(long_track, bots_format(bots=1, seed=0))
    x, y, h, _, _ = world.bots.pose(0, 0)
    lidar = ObstacleLidar(LidarParams())
    behind = CarState(x - 0.6 * math.cos(h), y - 0.6 * math.sin(h), h, 0.0, 0.0)
    ranges = np.ones(64)
    lidar.fill(ranges, world, behind)
    assert ranges[[31, 32]] == pytest.approx(0.6 - HL, abs=0.002)  # its back bumper
    far = np.ones(64)
    lidar.fill(far, world, behind._replace(x_m=behind.x_m - 2.0))
    assert (far == 1.0).all()


# --- the world of a race --------------------------------------------------------------------


def test_time_trials_have_no_obstacles(long_track):
    world = Obstacles(long_track, RaceFormat())
    assert world.count == 0 and world.rects == []
    assert world.objects_params(0.0)["objects_location"] == []
    assert world.objects_params(0.0)["closest_objects"] == [0, 0]


def test_a_car_driving_into_a_box_touches_it_and_is_put_back_behind_it(long_track):
    world = Obstacles(long_track, fixed(f"inside:{pct_at(long_track, 2.0)}"))
    # Straight along the inside lane at 4 m/s: the step that reaches the box.
    car0 = CarState(2.0 - BOX - HL - 0.1, Y0 + 0.25, 0.0, 4.0, 0.0)
    car1 = CarState(car0.x_m + 4.0 / 15, Y0 + 0.25, 0.0, 4.0, 0.0)
    index, f = world.contact(car0, car1)
    assert index == 0 and f * 4.0 / 15 == pytest.approx(0.1, abs=0.01)
    s = world.resume_s(0)
    assert s == pytest.approx(2.0 - BOX - HL - 0.1)  # on the centre line, 10 cm behind it
    x, y, h, _, _ = world.line.at(s)
    assert not world.touches((x, y, h))
    # Beside the box, in the other lane, nothing.
    assert world.contact(car0._replace(y_m=Y0 - 0.25), car1._replace(y_m=Y0 - 0.25)) is None


def test_the_car_is_put_further_back_when_the_spot_behind_is_taken(long_track):
    # Two boxes 1 m apart, side by side with the reset spot of the second: the car goes
    # back until it touches neither.
    world = Obstacles(long_track, fixed(f"inside:{pct_at(long_track, 2.0)},outside:{pct_at(long_track, 2.45)}"),
                      geometry=ObstacleParams(min_box_spacing_m=0.4))
    s = world.resume_s(1)
    x, y, h, _, _ = world.line.at(s)
    assert not world.touches((x, y, h))
    assert s < 2.0 - BOX - HL  # behind the first box too


def test_a_bot_catching_up_is_seen_and_touched(long_track):
    world = Obstacles(long_track, bots_format(bots=1, bot_speed_m_s=2.0, seed=0))
    # Park the car across the bot's lane a little ahead of where it will be.
    step = 40
    world.advance(step)
    x, y, h, _, _ = world.bots.pose(0, step + 1)
    car = CarState(x + (2 * HL + 0.05) * math.cos(h), y + (2 * HL + 0.05) * math.sin(h), h, 0.0, 0.0)
    world.advance(step + 1)
    assert world.contact(car, car) is None
    world.advance(step + 2)
    assert world.contact(car, car) is not None


def test_reward_params_about_objects(long_track):
    world = Obstacles(long_track, fixed(f"inside:{pct_at(long_track, 2.0)},outside:{pct_at(long_track, 4.0)}"))
    p = world.objects_params(3.0)
    assert p["objects_location"] == [pytest.approx((2.0, Y0 + 0.25)), pytest.approx((4.0, Y0 - 0.25))]
    assert p["objects_left_of_center"] == [True, False]
    assert p["objects_speed"] == [0.0, 0.0]
    assert p["objects_heading"] == [pytest.approx(0.0, abs=1e-7)] * 2
    assert p["objects_distance"] == pytest.approx([2.0, 4.0])
    assert p["closest_objects"] == [0, 1]  # between them: the first behind, the second ahead


def test_closest_objects_wrap_around_the_lap():
    assert closest_objects([2.0, 10.0], 12.0, 20.0) == [1, 0]
    assert closest_objects([2.0, 10.0], 1.0, 20.0) == [1, 0]
    assert closest_objects([5.0], 1.0, 20.0) == [0, 0]


def test_the_replay_carries_boxes_and_each_bots_path(oval):
    world = Obstacles(oval, bots_format(bots=2, bot_lane_change=True, seed=4))
    replay = world.replay_dict(30)
    assert replay["format"]["race_type"] == "head_to_bot" and replay["boxes"] == []
    assert [len(b["path"]) for b in replay["bots"]] == [30, 30]
    x, y, h, _, _ = world.bots.pose(1, 30)
    assert replay["bots"][1]["path"][-1] == pytest.approx([x, y, h], abs=1e-5)
    boxes = Obstacles(oval, boxes_format(seed=4)).replay_dict(30)
    assert len(boxes["boxes"]) == 6 and boxes["bots"] == [] and boxes["box_size_m"] == [0.4, 0.4]
