"""The boxes and bot cars of one race as it runs: where they are at each control step, the
car's contacts with them, where a car that touched one is put back, what the lidar and a
DeepRacer reward function see of them, and their part of the replay.

The race (`simulator.race.TimeTrial`) owns the rules (penalty, counts, events); this
module answers its questions about the obstacles. A time trial has none and never builds
one of these.
"""

from __future__ import annotations

import math

import numpy as np

from ..params import CarParams, LidarParams
from ..track import Track
from ..vehicle import CarState
from .geometry import (
    Rect,
    beam_ranges_to_rects,
    first_contact,
    half_diagonal_m,
    rect_corners,
    rects_touch,
)
from .params import OBSTACLES, ObstacleParams, RaceFormat
from .placement import BotPlan, Box, CentreLine, place_boxes

_GRID_CELL_M = 0.5


def centre_line(track: Track) -> CentreLine:
    """One CentreLine per track, kept on it (as the sensors keep their tables)."""
    line = track.__dict__.get("_format_centre_line")
    if line is None:
        line = track.__dict__["_format_centre_line"] = CentreLine(track)
    return line


class Obstacles:
    """The obstacles of one race: boxes or bots. `advance(step)` moves the bots to control
    step `step`; `rects` are the obstacles' rectangles now, in index order, and
    `prev_rects` a step before."""

    def __init__(self, track: Track, fmt: RaceFormat, car: CarParams = CarParams(),
                 geometry: ObstacleParams = OBSTACLES):
        self.track = track
        self.format = fmt
        self.car = car
        self.geometry = geometry
        self.line = centre_line(track)
        self.boxes: list[Box] = place_boxes(self.line, fmt, geometry) if fmt.has_boxes else []
        self.bots: BotPlan | None = BotPlan(self.line, fmt, car, geometry) if fmt.has_bots else None
        self._box_rects = [b.rect(geometry) for b in self.boxes]
        self.count = len(self.boxes) + (self.bots.count if self.bots else 0)
        self._car_half = (0.5 * car.length_m, 0.5 * car.width_m)
        self._car_radius = half_diagonal_m(*self._car_half)
        # The furthest a car moves in one control step; and, generously, a bot: twice its
        # speed (a lane on the outside of a bend is longer than the centre line) plus the
        # smoothstep's steepest lateral speed (1.5 x from one lane's middle to the other's,
        # each at most half the widest half width from the centre line, per lane change).
        self._max_travel_m = car.max_speed_m_s * car.control_dt_s
        widest_m = float(max(track.left_half_width_m.max(), track.right_half_width_m.max()))
        lateral_m_s = 1.5 * widest_m / geometry.lane_change_s
        self._bot_travel_m = (2.0 * fmt.bot_speed_m_s + lateral_m_s) * car.control_dt_s
        self._grid = self._box_grid()
        self.step = 0
        self.rects: list[Rect] = self._rects_at(0)
        self.prev_rects: list[Rect] = self.rects

    # -- motion ----------------------------------------------------------------------------

    def _rects_at(self, step: int) -> list[Rect]:
        # A race has boxes or bots, never both.
        return self.bots.rects(step) if self.bots else self._box_rects

    def advance(self, step: int) -> None:
        """Move to control step `step` (the bots' poses after that many steps)."""
        self.step = step
        self.prev_rects = self.rects
        if self.bots:
            self.rects = self._rects_at(step)

    def s_of(self, index: int) -> float:
        """Arc length of obstacle `index` from the start line, now."""
        if index < len(self.boxes):
            return self.boxes[index].s_m
        return self.bots.pose(index - len(self.boxes), self.step)[3]

    # -- contacts --------------------------------------------------------------------------

    def _box_grid(self) -> dict[tuple[int, int], tuple[int, ...]]:
        """Cells of a grid -> the boxes a car ending a step in that cell may have touched."""
        if not self.boxes:
            return {}
        reach = self._car_radius + half_diagonal_m(0.5 * self.geometry.box_length_m, 0.5 * self.geometry.box_width_m)
        reach += self._max_travel_m + 1e-6
        grid: dict[tuple[int, int], list[int]] = {}
        for b in self.boxes:
            for i in range(math.floor((b.x_m - reach) / _GRID_CELL_M), math.floor((b.x_m + reach) / _GRID_CELL_M) + 1):
                for j in range(math.floor((b.y_m - reach) / _GRID_CELL_M),
                               math.floor((b.y_m + reach) / _GRID_CELL_M) + 1):
                    grid.setdefault((i, j), []).append(b.index)
        return {key: tuple(v) for key, v in grid.items()}

    def contact(self, car0: CarState, car1: CarState) -> tuple[int, float] | None:
        """(obstacle index, fraction of the step) of the car's first contact while it moved
        from car0 to car1 and the obstacles from `prev_rects` to `rects`; None if none."""
        x1, y1 = car1[0], car1[1]
        dx, dy = x1 - car0[0], y1 - car0[1]
        travel2 = dx * dx + dy * dy
        best = None
        # Only obstacles close enough to have been touched are tested (most steps: none).
        if self.bots is None:
            if travel2 <= self._max_travel_m * self._max_travel_m:
                near = self._grid.get((math.floor(x1 / _GRID_CELL_M), math.floor(y1 / _GRID_CELL_M)), ())
            else:  # faster than any car drives (a test, a teleport): every box
                near = range(len(self.boxes))
            for k in near:
                best = self._earlier(best, k, car0, car1)
            return best
        # Touching at some point of the step, the centres were within two radii then, so
        # now within that plus both travels.
        lim = self._car_radius * 2.0 + math.sqrt(travel2) + self._bot_travel_m
        lim2 = lim * lim
        for k, b1 in enumerate(self.rects):
            dx, dy = b1[0] - x1, b1[1] - y1
            if dx * dx + dy * dy <= lim2:
                best = self._earlier(best, k, car0, car1)
        return best

    def _earlier(self, best: tuple[int, float] | None, k: int, car0: CarState,
                 car1: CarState) -> tuple[int, float] | None:
        """The earlier of `best` and the car's first contact with obstacle k (if any)."""
        hl, hw = self._car_half
        g = self.geometry
        f = first_contact((car0[0], car0[1], car0[2], hl, hw), (car1[0], car1[1], car1[2], hl, hw),
                          self.prev_rects[k], self.rects[k], g.contact_substep_m, g.contact_substep_rad)
        return (k, f) if f is not None and (best is None or f < best[1]) else best

    def touches(self, car: CarState) -> bool:
        """Whether the car, where it stands, touches any obstacle."""
        rect = (car[0], car[1], car[2], *self._car_half)
        return any(rects_touch(rect, other) for other in self.rects)

    def resume_s(self, index: int) -> float:
        """Where to put the car back after touching obstacle `index`: on the centre line,
        `reset_gap_m` behind it (bumper to bumper), further back while that spot touches
        any obstacle. An arc length from the start line."""
        g = self.geometry
        obstacle_half = 0.5 * (g.box_length_m if index < len(self.boxes) else self.car.length_m)
        s = self.s_of(index) - (obstacle_half + self._car_half[0] + g.reset_gap_m)
        length = self.line.length_m
        for _ in range(math.ceil(length / g.reset_search_step_m)):
            x, y, h, _, _ = self.line.at(s)
            if not self.touches((x, y, h)):
                break
            s -= g.reset_search_step_m
        return s % length

    # -- what the sensors and the reward function see ----------------------------------------

    def box_walls(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The boxes' sides as segments (starts (4n, 2), directions (4n, 2)), for a lidar
        that treats them like the track's edges (`lidar.LidarSensor(walls=...)`): boxes
        never move, so they cost the lidar nothing per step. None without boxes."""
        if not self.boxes:
            return None
        starts, dirs = [], []
        for rect in self._box_rects:
            corners = rect_corners(rect)
            for k in range(4):
                (ax, ay), (bx, by) = corners[k], corners[(k + 1) % 4]
                starts.append((ax, ay))
                dirs.append((bx - ax, by - ay))
        return np.array(starts), np.array(dirs)

    def near_bots(self, x_m: float, y_m: float, reach_m: float) -> list[Rect] | None:
        """The bots whose rectangle may come within reach_m of (x_m, y_m); None if none."""
        out = None
        lim = reach_m + self._car_radius  # bots have the car's footprint
        lim2 = lim * lim
        for rect in self.rects if self.bots else ():
            dx, dy = rect[0] - x_m, rect[1] - y_m
            if dx * dx + dy * dy <= lim2:
                if out is None:
                    out = []
                out.append(rect)
        return out

    def objects_params(self, car_s_m: float) -> dict:
        """DeepRacer's reward params about objects (the boxes or the bots, in index order)."""
        locations, left, speeds, headings, distances = [], [], [], [], []
        for b in self.boxes:
            locations.append((float(b.x_m), float(b.y_m)))
            left.append(b.offset_m > 0.0)
            speeds.append(0.0)
            headings.append(_degrees(b.heading_rad))
            distances.append(float(b.s_m))
        if self.bots:
            for x, y, h, s, offset in self.bots.poses(self.step):
                locations.append((float(x), float(y)))
                left.append(offset > 0.0)
                speeds.append(float(self.bots.speed_m_s))
                headings.append(_degrees(h))
                distances.append(float(s))
        return {
            "objects_location": locations,
            "objects_left_of_center": left,
            "objects_speed": speeds,
            "objects_heading": headings,
            "objects_distance": distances,
            "closest_objects": closest_objects(distances, car_s_m, self.line.length_m),
        }

    # -- the replay ------------------------------------------------------------------------

    def replay_dict(self, steps: int) -> dict:
        """The obstacles for a replay: each box, and each bot's pose after every control
        step 1..steps (the rows of the trajectory), as [x_m, y_m, heading_rad]."""
        g = self.geometry
        length = self.line.length_m
        out = {
            "format": self.format.to_dict(),
            "box_size_m": [g.box_length_m, g.box_width_m],
            "bot_size_m": [self.car.length_m, self.car.width_m],
            "boxes": [b.to_dict(length) for b in self.boxes],
            "bots": [],
        }
        if self.bots and steps:
            paths = self.bots.poses_between(1, steps)[:, :, :3]
            paths[:, :, 2] = np.mod(paths[:, :, 2] + math.pi, 2.0 * math.pi) - math.pi  # headings to [-pi, pi)
            paths = np.round(paths, 5)
            for k in range(self.bots.count):
                out["bots"].append({"index": len(self.boxes) + k, "speed_m_s": self.bots.speed_m_s,
                                    "path": paths[:, k].tolist()})
        return out


class ObstacleLidar:
    """The lidar's view of the bots: its ranges lowered where a beam meets a bot nearer
    than the track's edges or a box (beams as `LidarParams` lays them out). Boxes are the
    lidar's own walls (`Obstacles.box_walls`)."""

    def __init__(self, params: LidarParams):
        self.angles_rad = np.linspace(params.min_angle_deg, params.max_angle_deg, params.beams) * (math.pi / 180.0)
        self.reach_m = params.clipping_dist_m
        self._floor_m = min(params.min_range_m, params.clipping_dist_m)

    def fill(self, out: np.ndarray, obstacles: Obstacles, car: CarState) -> None:
        """Lower the ranges in `out` (already the track's, clipped) to the bots within
        reach; most steps have none and cost a few comparisons."""
        x, y = car[0], car[1]
        near = obstacles.near_bots(x, y, self.reach_m)
        if near:
            beam_ranges_to_rects(out, self.angles_rad, x, y, car[2], near)
            np.maximum(out, self._floor_m, out=out)


def closest_objects(distances: list[float], car_s_m: float, length_m: float) -> list[int]:
    """DeepRacer's `closest_objects`: [the object behind the car, the one ahead], by arc
    length along the track; [0, 0] without objects."""
    if not distances:
        return [0, 0]
    ahead = [(d - car_s_m) % length_m for d in distances]
    nxt = min(range(len(ahead)), key=lambda k: (ahead[k], k))
    prev = max(range(len(ahead)), key=lambda k: (ahead[k], -k))
    return [prev, nxt]


def _degrees(heading_rad: float) -> float:
    d = math.degrees(math.atan2(math.sin(heading_rad), math.cos(heading_rad)))
    return 180.0 if d <= -180.0 else d
