"""The shape of a track: the checks that refuse a file which has the right columns but
is not a track (borders on the wrong side, a loop that crosses itself, an open line).

Every track goes through them once, when it is loaded (`track.track_from_array`): the
league's upload, the shipped files and a competitor's `--track file.npy` alike. They
only refuse; an accepted track is built exactly as before. Each check answers with the
first problem as one line that names the file's waypoint and the fix, or None.

The checks are lenient where real DeepRacer files are untidy: a border may touch itself
or repeat a point at a tight corner, only a proper crossing of two segments counts;
spacing may be uneven, only a gap far longer than any step is an open line.
"""

from __future__ import annotations

import numpy as np

from .params import CarParams

# The loader closes the loop with a straight from the last waypoint to the first; a gap
# up to this many times the longest step of the file (or the track's width, if larger)
# is a file that left out its closing repeat, anything longer is an open line.
CLOSING_GAP_STEPS = 4.0
# The car must fit between the borders.
MIN_WIDTH_M = CarParams().width_m

COLUMNS = "the columns are centre x,y, inner x,y, outer x,y"
OVERLAP = (
    "the road overlaps itself there (a bend tighter than the track is wide, or two parts of the track "
    "too close): ease the bend, narrow the track or move the parts apart"
)


def geometry_problem(center: np.ndarray, left: np.ndarray, right: np.ndarray, *, inner_is_left: bool,
                     rows: np.ndarray) -> str | None:
    """The first geometric problem of a loop (centre line and its left and right
    borders, (N, 2) each, in driving order, not closed by a repeated row), or None.

    `rows[k]` is waypoint k's row in the file (the loader drops repeated rows), so the
    message names the row the organiser sees in their own file.
    """
    names = {"left": "inner" if inner_is_left else "outer", "right": "outer" if inner_is_left else "inner"}
    return (
        _open_loop(center, left, right, rows)
        or _wrong_side(center, left, right, names, rows)
        or _narrow(left, right, rows)
        or _crossing(center, left, right, names, rows)
        or _inside_out(center, left, right, names, rows)
    )


def _open_loop(center, left, right, rows) -> str | None:
    step = np.hypot(*np.diff(center, axis=0).T)
    gap = float(np.hypot(*(center[0] - center[-1])))
    width = max(float(np.hypot(*(left[0] - right[0]))), float(np.hypot(*(left[-1] - right[-1]))))
    allowed = max(CLOSING_GAP_STEPS * float(step.max()), width)
    if gap <= allowed:
        return None
    return (
        f"waypoint {rows[-1]}: the centre line ends {gap:.2f} m from where it starts (waypoint {rows[0]}), "
        f"{gap / float(step.max()):.0f} times its longest step: the track is not a closed loop; "
        "give the waypoints of the whole lap, ending back at the first one"
    )


def _narrow(left, right, rows) -> str | None:
    width = np.hypot(*(left - right).T)
    narrow = width < MIN_WIDTH_M
    if not narrow.any():
        return None
    k = int(np.argmax(narrow))
    return (
        f"waypoint {rows[k]}: the track is {width[k]:.2f} m wide, narrower than the car ({MIN_WIDTH_M:.2f} m): "
        f"move the borders apart (they are in metres: {COLUMNS})"
    )


def _wrong_side(center, left, right, names, rows) -> str | None:
    # The same tangent the track uses for its sides: the chord between the neighbours.
    chord = np.roll(center, -1, axis=0) - np.roll(center, 1, axis=0)

    def side(border):
        d = border - center
        return chord[:, 0] * d[:, 1] - chord[:, 1] * d[:, 0]

    # Left is the side the inner column is on at most waypoints (the Track decided);
    # each border must be on its own side at every one.
    wrong_left = side(left) <= 0.0
    wrong_right = side(right) >= 0.0
    wrong = wrong_left | wrong_right
    if not wrong.any():
        return None
    k = int(np.argmax(wrong))
    if wrong_left[k] and wrong_right[k]:
        what = "the inner and outer borders are swapped"
    else:
        border = names["left"] if wrong_left[k] else names["right"]
        what = f"the {border} border is on the {'outer' if border == 'inner' else 'inner'} side of the centre line"
    return f"waypoint {rows[k]}: {what}: {COLUMNS}, each border on its own side all the way round"


def _inside_out(center, left, right, names, rows) -> str | None:
    """A loop without crossings can still overlap itself: where two legs run side by side
    closer than the track is wide, the infield border turns inside out (it goes round
    the other way, or round more than the centre line does) without crossing itself."""
    turn = _signed_area(center)
    infield, outfield, name = (left, right, names["left"]) if turn > 0 else (right, left, names["right"])
    inner_area, outer_area = _signed_area(infield), _signed_area(outfield)
    if inner_area * turn > 0 and abs(inner_area) < abs(turn) < abs(outer_area):
        return None
    backwards = np.einsum("ij,ij->i", np.diff(infield, axis=0), np.diff(center, axis=0)) < 0
    k = int(np.argmax(backwards)) if backwards.any() else 0
    return f"waypoint {rows[k]}: the {name} border runs backwards round the bend: {OVERLAP}"


def _signed_area(loop: np.ndarray) -> float:
    """The shoelace formula: positive for an anticlockwise loop."""
    x, y = loop[:, 0], loop[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


# The loops checked for crossings, by their index in `_proper_crossings`'s list, in
# the order their problems are told: the centre line is the one the organiser drew.
CENTRE, LEFT, RIGHT = 0, 1, 2


def _crossing(center, left, right, names, rows) -> str | None:
    line_a, seg_a, line_b, seg_b = _proper_crossings([center, left, right])
    for a, b in ((CENTRE, CENTRE), (LEFT, LEFT), (RIGHT, RIGHT), (LEFT, RIGHT)):
        hits = np.flatnonzero((line_a == a) & (line_b == b))
        if len(hits) == 0:
            continue
        k = hits[np.argmin(seg_a[hits])]
        i, j = rows[seg_a[k]], rows[seg_b[k]]
        if a == CENTRE:
            return (
                f"waypoint {i}: the centre line crosses itself (near waypoint {j}): "
                "the rows must go once round the loop in driving order, without a figure of eight"
            )
        border = names["left" if a == LEFT else "right"]
        if a == b:
            return f"waypoint {i}: the {border} border crosses itself (near waypoint {j}): {OVERLAP}"
        return (
            f"waypoint {i}: the {border} border crosses the {names['right']} border (near waypoint {j}): "
            f"{COLUMNS}, in driving order"
        )
    return None


def _proper_crossings(loops: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every place where a segment of a loop properly crosses another segment of the same
    loop, or of another border: (loop_a, segment_a, loop_b, segment_b) arrays, with
    loop_a <= loop_b. Loops are closed, (N, 2) each, all of the same N; the centre line
    (loop 0) is not compared with the borders.

    Sweep and prune, vectorised: segments sorted by where they start along the map's
    longer side, each paired with the ones that start before it ends there; the boxes'
    overlap across and then the exact orientation test keep the few real candidates. A
    few hundred waypoints make some thousand pairs instead of the million of every pair.
    Touching and collinear overlaps do not count (see the module's note).
    """
    n = len(loops[0])
    start = np.stack(loops)
    end = np.concatenate([start[:, 1:], start[:, :1]], axis=1)
    # One contiguous array per coordinate (numpy is several times faster on those), the
    # sweep along the longer side of the map: fewer segments share a slice of it.
    x0, y0, x1, y1 = (np.ascontiguousarray(v[..., k]).ravel() for v, k in ((start, 0), (start, 1), (end, 0), (end, 1)))
    if x0.max() - x0.min() < y0.max() - y0.min():
        x0, y0, x1, y1 = y0, x0, y1, x1
    x_lo = np.minimum(x0, x1)
    order = np.argsort(x_lo, kind="stable")
    x_lo, x_hi = x_lo[order], np.maximum(x0, x1)[order]
    y_lo, y_hi = np.minimum(y0, y1)[order], np.maximum(y0, y1)[order]
    m = len(order)
    counts = np.searchsorted(x_lo, x_hi, side="right") - np.arange(1, m + 1)
    first = np.repeat(np.arange(m), counts)
    second = np.arange(len(first)) + np.repeat(np.arange(1, m + 1) - (np.cumsum(counts) - counts), counts)
    near = (y_lo[first] <= y_hi[second]) & (y_lo[second] <= y_hi[first])
    a, b = order[first[near]], order[second[near]]
    a, b = np.minimum(a, b), np.maximum(a, b)  # loop and segment order: a's loop <= b's
    line_a, line_b, gap = a // n, b // n, b - a
    # Neighbours in a loop share a point; the centre line is not compared with the borders.
    keep = np.where(line_a == line_b, (gap != 1) & (gap != n - 1), line_a != CENTRE)
    a, b = a[keep], b[keep]
    px, py, rx, ry = x0[a], y0[a], x1[a] - x0[a], y1[a] - y0[a]
    qx, qy, sx, sy = x0[b], y0[b], x1[b] - x0[b], y1[b] - y0[b]
    # b's ends on opposite sides of a's line, and a's ends on opposite sides of b's.
    b_sides = np.sign(rx * (qy - py) - ry * (qx - px)) * np.sign(rx * (qy + sy - py) - ry * (qx + sx - px))
    a_sides = np.sign(sx * (py - qy) - sy * (px - qx)) * np.sign(sx * (py + ry - qy) - sy * (px + rx - qx))
    crosses = (b_sides < 0) & (a_sides < 0)
    a, b = a[crosses], b[crosses]
    return a // n, a % n, b // n, b % n
