"""The shipped race tracks, generated from control points.

Each design is a closed loop of control points (metres, driven counter-clockwise) with
a width per point. A periodic cubic spline (C2, so curvature never jumps) runs through
the points; bends want points at most MAX_CHORD_M apart, and two points further apart
are joined by a straight. The curve is resampled at a uniform arc-length spacing and the
borders are offset by half the width on each side. The result is written in DeepRacer's
waypoint layout: float64 rows [center_x, center_y, inner_x, inner_y, outer_x, outer_y],
inner = left of the driving direction = the infield, first row repeated as the last.

    python -m simulator.trackgen [--out DIR]

rewrites tracks/data/<slug>.npy and tracks/data/catalog.json; the output is a pure
function of this file, so the committed data can always be checked against it.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DEFAULT_OUT_DIR = Path(__file__).resolve().parent.parent / "tracks" / "data"

# ~100-400 waypoints per lap, like DeepRacer's own track files.
WAYPOINT_SPACING_M = 0.15
# Control points further apart than this are joined by a straight.
MAX_CHORD_M = 1.0
# Output is rounded to the micrometre so that last-bit differences between platforms'
# float libraries cannot change the committed bytes.
ROUND_DECIMALS = 6

# Validity limits for a shipped track (DeepRacer scale).
LENGTH_RANGE_M = (15.0, 60.0)
WIDTH_RANGE_M = (0.76, 1.07)
MIN_RADIUS_M = 0.6
# The inside edge of the tightest bend must still curve round a real radius: below
# width/2 the border folds back on itself.
MIN_BORDER_RADIUS_M = 0.1
# Grass that must separate two parts of the track, edge to edge.
MIN_GRASS_M = 0.5
# Centre-line points closer than this along the track belong to the same bend (a hairpin
# brings its own legs close); only points further apart must be separated by grass.
SAME_BEND_ARC_M = 3.0

DIFFICULTIES = ("beginner", "intermediate", "advanced")


@dataclass(frozen=True)
class TrackDesign:
    slug: str
    name: str
    description: str
    difficulty: str
    # Control points, driven in this order, counter-clockwise overall; the first one is
    # the start line, so it belongs on a straight.
    points_m: tuple[tuple[float, float], ...]
    # One width for the whole track, or one per control point (smoothly blended between).
    width_m: float | tuple[float, ...]

    def widths_m(self) -> np.ndarray:
        if isinstance(self.width_m, tuple):
            if len(self.width_m) != len(self.points_m):
                raise ValueError(f"{self.slug}: {len(self.width_m)} widths, {len(self.points_m)} points")
            return np.array(self.width_m, dtype=np.float64)
        return np.full(len(self.points_m), float(self.width_m))


# --- Geometry ----------------------------------------------------------------------------


def _periodic_spline(points: np.ndarray):
    """Knots and second derivatives of the closed cubic spline through `points` (n, 2).

    Chord-length parameterisation keeps unevenly spaced control points from overshooting.
    """
    n = len(points)
    h = np.linalg.norm(np.roll(points, -1, axis=0) - points, axis=1)  # h[i]: point i -> i+1
    if np.any(h <= 0):
        raise ValueError("repeated control point")
    knots = np.concatenate([[0.0], np.cumsum(h)])
    slope = (np.roll(points, -1, axis=0) - points) / h[:, None]
    h_prev = np.roll(h, 1)
    system = np.zeros((n, n))
    idx = np.arange(n)
    system[idx, (idx - 1) % n] = h_prev
    system[idx, idx] = 2.0 * (h_prev + h)
    system[idx, (idx + 1) % n] = h
    second = np.linalg.solve(system, 6.0 * (slope - np.roll(slope, 1, axis=0)))
    return knots, second


def _eval_spline(points, knots, second, t):
    """Position and first derivative of the spline at parameters t in [0, period], plus each
    t's segment and fraction through it."""
    seg = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(points) - 1)
    nxt = (seg + 1) % len(points)
    h = (knots[seg + 1] - knots[seg])[:, None]
    a = (knots[seg + 1][:, None] - t[:, None]) / h  # weight of the segment's start
    b = 1.0 - a
    p0, p1, m0, m1 = points[seg], points[nxt], second[seg], second[nxt]
    pos = a * p0 + b * p1 + ((a**3 - a) * m0 + (b**3 - b) * m1) * h**2 / 6.0
    d1 = (p1 - p0) / h + ((1.0 - 3.0 * a**2) * m0 + (3.0 * b**2 - 1.0) * m1) * h / 6.0
    return pos, d1, seg, b[:, 0]


def _split_straights(points: np.ndarray, widths: np.ndarray):
    """Insert evenly spaced points on chords longer than MAX_CHORD_M.

    A C2 spline through points far apart swings wide between them and its wiggles run down
    the neighbouring straights; pinning the long chords keeps the straights straight.
    """
    out_p, out_w = [], []
    for i in range(len(points)):
        j = (i + 1) % len(points)
        pieces = max(1, int(np.ceil(np.linalg.norm(points[j] - points[i]) / MAX_CHORD_M)))
        f = np.arange(pieces)[:, None] / pieces
        out_p.append(points[i] + f * (points[j] - points[i]))
        out_w.append(widths[i] + f[:, 0] * (widths[j] - widths[i]))
    return np.vstack(out_p), np.concatenate(out_w)


def build_track_array(design: TrackDesign) -> np.ndarray:
    """The design's waypoints, (N + 1, 6) float64 in DeepRacer's layout."""
    points, widths = _split_straights(np.array(design.points_m, dtype=np.float64), design.widths_m())
    knots, second = _periodic_spline(points)
    period = knots[-1]

    # Arc length from a dense polyline (a few mm steps: spacing errors far below a mm),
    # then invert it to place waypoints at equal steps along the curve.
    dense_t = np.linspace(0.0, period, 200 * len(points) + 1)
    dense_pos = _eval_spline(points, knots, second, dense_t[:-1])[0]
    dense_pos = np.vstack([dense_pos, dense_pos[:1]])
    dense_s = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(dense_pos, axis=0), axis=1))])
    count = int(round(dense_s[-1] / WAYPOINT_SPACING_M))
    t = np.interp(np.arange(count) * (dense_s[-1] / count), dense_s, dense_t)

    center, d1, seg, frac = _eval_spline(points, knots, second, t)
    tangent = d1 / np.linalg.norm(d1, axis=1)[:, None]
    left = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    # Smoothstep between the control points' widths: no overshoot, no kink.
    blend = frac * frac * (3.0 - 2.0 * frac)
    half = 0.5 * (widths[seg] + (np.roll(widths, -1)[seg] - widths[seg]) * blend)
    rows = np.hstack([center, center + left * half[:, None], center - left * half[:, None]])
    rows = np.vstack([rows, rows[:1]])
    return np.round(rows, ROUND_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


# --- Validity ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackStats:
    length_m: float
    min_width_m: float
    max_width_m: float
    mean_width_m: float
    min_radius_m: float
    waypoints: int


def _loop(arr: np.ndarray) -> np.ndarray:
    """The rows without the repeated closing row."""
    return arr[:-1] if np.array_equal(arr[0], arr[-1]) else arr


def _radii_m(center: np.ndarray) -> np.ndarray:
    """Signed radius of the circle through each waypoint and its neighbours (+ = left)."""
    prev, nxt = np.roll(center, 1, axis=0), np.roll(center, -1, axis=0)
    u, v, w = center - prev, nxt - center, nxt - prev
    cross = u[:, 0] * v[:, 1] - u[:, 1] * v[:, 0]
    sides = np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1) * np.linalg.norm(w, axis=1)
    with np.errstate(divide="ignore"):
        return np.where(cross == 0, np.inf, sides / (2.0 * cross))


def _signed_area_m2(loop: np.ndarray) -> float:
    """Shoelace area, positive for a counter-clockwise loop."""
    x, y = loop[:, 0], loop[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _crossings(a: np.ndarray, b: np.ndarray, skip_neighbours: bool) -> int:
    """Segment pairs of closed polylines a and b that cross or touch (a x b matrix, summed)."""
    a0, a1 = a, np.roll(a, -1, axis=0)
    b0, b1 = b, np.roll(b, -1, axis=0)

    def side(p0, p1, q):  # orientation of q relative to each segment p0->p1, all pairs
        d = (p1 - p0)[:, None, :]
        r = q[None, :, :] - p0[:, None, :]
        return np.sign(d[..., 0] * r[..., 1] - d[..., 1] * r[..., 0])

    on_a0, on_a1 = side(a0, a1, b0), side(a0, a1, b1)
    # Touching counts (a line through a vertex is still a crossing), but segments lying on
    # one line, as consecutive pieces of a straight do, are not.
    hit = (on_a0 * on_a1 <= 0) & (side(b0, b1, a0) * side(b0, b1, a1) <= 0).T & ((on_a0 != 0) | (on_a1 != 0))
    if skip_neighbours:  # segments sharing an end point touch by construction
        n = len(a)
        i = np.arange(n)
        hit[i, i] = hit[i, (i + 1) % n] = hit[i, (i - 1) % n] = False
    return int(hit.sum())


def track_stats(arr: np.ndarray) -> TrackStats:
    rows = _loop(arr)
    center = rows[:, 0:2]
    width = np.linalg.norm(rows[:, 2:4] - rows[:, 4:6], axis=1)
    length = float(np.linalg.norm(np.roll(center, -1, axis=0) - center, axis=1).sum())
    return TrackStats(
        length_m=length,
        min_width_m=float(width.min()),
        max_width_m=float(width.max()),
        mean_width_m=float(width.mean()),
        min_radius_m=float(np.abs(_radii_m(center)).min()),
        waypoints=len(arr),
    )


def track_problems(arr: np.ndarray) -> list[str]:
    """Everything that keeps `arr` from being a good shipped track; empty if none."""
    rows = _loop(arr)
    center, inner, outer = rows[:, 0:2], rows[:, 2:4], rows[:, 4:6]
    stats = track_stats(arr)
    width = np.linalg.norm(inner - outer, axis=1)
    problems = []

    if not LENGTH_RANGE_M[0] <= stats.length_m <= LENGTH_RANGE_M[1]:
        problems.append(f"length {stats.length_m:.2f} m outside {LENGTH_RANGE_M}")
    tol = 10.0 ** -ROUND_DECIMALS * 2
    if stats.min_width_m < WIDTH_RANGE_M[0] - tol or stats.max_width_m > WIDTH_RANGE_M[1] + tol:
        problems.append(f"width {stats.min_width_m:.3f}..{stats.max_width_m:.3f} m outside {WIDTH_RANGE_M}")

    if _signed_area_m2(center) <= 0:
        problems.append("not counter-clockwise")
    if _signed_area_m2(inner) >= _signed_area_m2(outer):
        problems.append("the inner border is not on the infield side")

    radius = np.abs(_radii_m(center))
    if stats.min_radius_m < MIN_RADIUS_M:
        i = int(radius.argmin())
        problems.append(f"radius {stats.min_radius_m:.3f} m < {MIN_RADIUS_M} m at waypoint {i}")
    clearance = radius - width / 2
    if clearance.min() < MIN_BORDER_RADIUS_M:
        i = int(clearance.argmin())
        problems.append(f"inside edge radius {clearance[i]:.3f} m < {MIN_BORDER_RADIUS_M} m at waypoint {i}")

    for name, line in (("centre", center), ("inner", inner), ("outer", outer)):
        if _crossings(line, line, skip_neighbours=True):
            problems.append(f"the {name} line crosses itself")
    if _crossings(inner, outer, skip_neighbours=False):
        problems.append("the inner and outer borders cross")

    # Two parts of the track far apart along the lap must have grass between them.
    step = np.linalg.norm(np.roll(center, -1, axis=0) - center, axis=1)
    s = np.concatenate([[0.0], np.cumsum(step)[:-1]])
    along = np.abs(s[:, None] - s[None, :])
    along = np.minimum(along, stats.length_m - along)
    apart = np.linalg.norm(center[:, None, :] - center[None, :, :], axis=2)
    grass = apart - (width[:, None] + width[None, :]) / 2
    grass[along < SAME_BEND_ARC_M] = np.inf
    if grass.min() < MIN_GRASS_M:
        i, j = np.unravel_index(int(grass.argmin()), grass.shape)
        problems.append(f"only {grass[i, j]:.2f} m of grass between waypoints {i} and {j}")
    return problems


# --- The designs -------------------------------------------------------------------------

DESIGNS: list[TrackDesign] = [
    TrackDesign(
        slug="oval-loop",
        name="Meadow Oval",
        description=(
            "A wide, forgiving loop: two long straights joined by two lazy bends. The place to learn "
            "how much speed a corner will take before you go hunting for tenths."
        ),
        difficulty="beginner",
        points_m=(
            (5.4, 1.0), (7.4, 1.0), (8.04, 1.12), (8.59, 1.45), (8.99, 1.96), (9.19, 2.58),
            (9.15, 3.23), (8.88, 3.82), (8.42, 4.28), (7.83, 4.55), (7.18, 4.59), (2.31, 3.99),
            (1.71, 3.78), (1.25, 3.33), (1.01, 2.73), (1.05, 2.09), (1.36, 1.52), (1.87, 1.14),
            (2.5, 1.0),
        ),
        width_m=1.07,
    ),
    TrackDesign(
        slug="paperclip",
        name="Paperclip Pass",
        description=(
            "Two hairpins folded back to back, then a snappy chicane across the top, all on a narrow "
            "ribbon of tarmac. Brake late, turn in tight and keep it on the black stuff."
        ),
        difficulty="advanced",
        points_m=(
            (3.6, 1.0), (6.1, 1.0), (6.63, 1.17), (6.96, 1.62), (6.96, 2.18), (6.63, 2.63),
            (6.1, 2.8), (3.7, 2.8), (3.17, 2.97), (2.84, 3.42), (2.84, 3.98), (3.17, 4.43),
            (3.7, 4.6), (6.1, 4.6), (6.75, 4.77), (7.23, 5.25), (7.4, 5.9), (7.23, 6.55),
            (6.75, 7.03), (6.1, 7.2), (5.3, 7.2), (4.84, 7.09), (4.48, 6.77), (4.12, 6.46),
            (3.66, 6.35), (2.16, 6.35), (1.56, 6.19), (1.12, 5.75), (0.96, 5.15), (0.96, 2.2),
            (1.12, 1.6), (1.56, 1.16), (2.16, 1.0),
        ),
        width_m=0.8,
    ),
    TrackDesign(
        slug="riverside-sweep",
        name="Riverside Sweepers",
        description=(
            "Long, flowing bends with barely a straight in sight, so the lap is won by the speed you "
            "carry through the curves. Smooth is fast here."
        ),
        difficulty="intermediate",
        points_m=(
            (6.6, 1.0), (8.1, 1.0), (8.71, 1.05), (9.3, 1.21), (9.85, 1.47), (10.35, 1.82),
            (10.78, 2.25), (11.13, 2.75), (11.39, 3.3), (12.05, 5.12), (12.18, 5.76), (12.11, 6.41),
            (11.86, 7.02), (11.44, 7.52), (10.89, 7.88), (10.26, 8.05), (9.6, 8.04), (8.99, 7.99),
            (8.39, 8.07), (7.81, 8.27), (7.29, 8.59), (6.84, 9.0), (6.48, 9.49), (6.09, 9.99),
            (5.56, 10.36), (4.96, 10.56), (4.32, 10.58), (3.7, 10.41), (3.16, 10.08), (2.74, 9.6),
            (2.47, 9.02), (2.38, 8.39), (2.38, 7.39), (2.33, 6.82), (2.18, 6.26), (1.93, 5.74),
            (1.6, 5.27), (1.25, 4.72), (1.04, 4.1), (1.0, 3.45), (1.12, 2.81), (1.4, 2.21),
            (1.81, 1.71), (2.34, 1.32), (2.95, 1.08), (3.6, 1.0),
        ),
        width_m=0.95,
    ),
    TrackDesign(
        slug="grand-prix",
        name="Harbour Grand Prix",
        description=(
            "The full championship layout: two long straights, a pair of hairpins and a ribbon of esses "
            "through the infield. The track narrows where it twists, so pick your braking points with "
            "care."
        ),
        difficulty="advanced",
        points_m=(
            (7.4, 1.0), (12.4, 1.0), (12.93, 1.17), (13.26, 1.62), (13.26, 2.18), (12.93, 2.63),
            (12.4, 2.8), (9.9, 2.8), (9.4, 2.93), (9.03, 3.3), (8.9, 3.8), (8.83, 4.21),
            (8.62, 4.57), (8.37, 5.07), (8.37, 5.62), (8.62, 6.11), (8.87, 6.61), (8.87, 7.16),
            (8.62, 7.66), (8.41, 8.02), (8.34, 8.43), (8.34, 8.93), (8.47, 9.43), (8.84, 9.79),
            (9.34, 9.93), (11.84, 9.93), (12.37, 10.1), (12.69, 10.55), (12.69, 11.11), (12.37, 11.56),
            (11.84, 11.73), (2.84, 11.73), (2.28, 11.64), (1.78, 11.38), (1.38, 10.99), (1.13, 10.48),
            (1.04, 9.93), (1.04, 9.43), (1.09, 8.92), (1.24, 8.44), (1.49, 7.99), (1.74, 7.55),
            (1.89, 7.07), (1.94, 6.56), (1.94, 2.5), (2.06, 1.93), (2.38, 1.44), (2.87, 1.11),
            (3.44, 1.0),
        ),
        width_m=(
            1.07, 1.07, 0.85, 0.85, 0.85, 0.85,
            0.85, 0.9, 0.85, 0.85, 0.85, 0.78,
            0.78, 0.78, 0.78, 0.78, 0.78, 0.78,
            0.78, 0.78, 0.78, 0.8, 0.85, 0.85,
            0.85, 0.9, 0.85, 0.85, 0.85, 0.85,
            0.85, 1.0, 0.95, 0.95, 0.95, 0.95,
            0.95, 0.9, 0.9, 0.9, 0.9, 0.9,
            0.9, 0.9, 0.95, 1.0, 1.0, 1.0,
            1.0,
        ),
    ),
]


# --- Output ------------------------------------------------------------------------------


def catalog_entry(design: TrackDesign, arr: np.ndarray) -> dict:
    stats = track_stats(arr)
    return {
        "slug": design.slug,
        "name": design.name,
        "description": design.description,
        "file": f"{design.slug}.npy",
        "length_m": round(stats.length_m, 2),
        "width_m": round(stats.mean_width_m, 3),
        "difficulty": design.difficulty,
    }


def write_tracks(out_dir: Path, designs=None) -> list[tuple[TrackDesign, np.ndarray]]:
    """Build, check and write every design plus catalog.json; raise before writing anything bad."""
    built = []
    for design in designs or DESIGNS:
        if design.difficulty not in DIFFICULTIES:
            raise ValueError(f"{design.slug}: difficulty {design.difficulty!r} not in {DIFFICULTIES}")
        arr = build_track_array(design)
        if problems := track_problems(arr):
            raise ValueError(f"{design.slug}: " + "; ".join(problems))
        built.append((design, arr))
    out_dir.mkdir(parents=True, exist_ok=True)
    for design, arr in built:
        np.save(out_dir / f"{design.slug}.npy", arr)
    catalog = [catalog_entry(design, arr) for design, arr in built]
    text = json.dumps(catalog, indent=2, ensure_ascii=False) + "\n"
    (out_dir / "catalog.json").write_text(text, encoding="utf-8")
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m simulator.trackgen",
        description="Regenerate the shipped tracks (<slug>.npy and catalog.json) from their designs.",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT_DIR, help=f"output folder (default: {DEFAULT_OUT_DIR})"
    )
    args = parser.parse_args(argv)
    try:
        built = write_tracks(args.out)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for design, arr in built:
        stats = track_stats(arr)
        print(
            f"{design.slug:16s} {stats.length_m:6.2f} m"
            f"  width {stats.min_width_m:.2f}-{stats.max_width_m:.2f} m"
            f"  {stats.waypoints} waypoints  min radius {stats.min_radius_m:.2f} m"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
