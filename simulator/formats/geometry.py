"""Rectangles on the ground: whether two touch, when a moving one first touches another
between two control steps, and how far a lidar beam goes before it hits one.

A rectangle is (centre x, centre y, heading, half length, half width): the length lies
along the heading. Everything here is exact arithmetic on floats in a fixed order, so
the same inputs give the same answers on every machine.
"""

from __future__ import annotations

import math

import numpy as np

Rect = tuple[float, float, float, float, float]  # x_m, y_m, heading_rad, half_length_m, half_width_m
_PI = math.pi
_TWO_PI = 2.0 * math.pi


def rects_touch(a: Rect, b: Rect) -> bool:
    """Separating-axis test of two rectangles; touching edges count as touching.

    Two convex polygons are apart exactly when their projections on one of the edge
    normals do not overlap: for rectangles, the two axes of each.
    """
    ax, ay, ah, al, aw = a
    bx, by, bh, bl, bw = b
    dx = bx - ax
    dy = by - ay
    ca, sa = math.cos(ah), math.sin(ah)
    cb, sb = math.cos(bh), math.sin(bh)
    c = math.fabs(ca * cb + sa * sb)  # |cos(ah - bh)|
    s = math.fabs(sa * cb - ca * sb)  # |sin(ah - bh)|
    return not (
        math.fabs(dx * ca + dy * sa) > al + bl * c + bw * s
        or math.fabs(dy * ca - dx * sa) > aw + bl * s + bw * c
        or math.fabs(dx * cb + dy * sb) > bl + al * c + aw * s
        or math.fabs(dy * cb - dx * sb) > bw + al * s + aw * c
    )


def half_diagonal_m(half_length_m: float, half_width_m: float) -> float:
    return math.hypot(half_length_m, half_width_m)


def first_contact(a0: Rect, a1: Rect, b0: Rect, b1: Rect, substep_m: float, substep_rad: float) -> float | None:
    """The first fraction f in (0, 1] of a step at which rectangle a touches rectangle b,
    both moving linearly (position and heading) from pose 0 to pose 1; None if they never
    touch. Poses are tested at f = k/n, n chosen so that consecutive poses are at most
    `substep_m` apart (relative motion) and turned by at most `substep_rad` each: a car at
    full speed cannot pass a box between two tests.
    """
    ax0, ay0, ah0, al, aw = a0
    ax1, ay1, ah1 = a1[0], a1[1], a1[2]
    bx0, by0, bh0, bl, bw = b0
    bx1, by1, bh1 = b1[0], b1[1], b1[2]
    # The centres' relative position moves along a segment: if it never comes within the
    # sum of the circumscribed radii, they cannot touch (exact, and most pairs end here).
    px, py = ax0 - bx0, ay0 - by0
    qx, qy = (ax1 - bx1) - px, (ay1 - by1) - py
    qq = qx * qx + qy * qy
    t = 0.0 if qq == 0.0 else min(max(-(px * qx + py * qy) / qq, 0.0), 1.0)
    ex, ey = px + t * qx, py + t * qy
    reach = math.hypot(al, aw) + math.hypot(bl, bw)
    if ex * ex + ey * ey > reach * reach:
        return None
    dha = _turn(ah0, ah1)
    dhb = _turn(bh0, bh1)
    travel = math.sqrt(qq)
    n = max(1, math.ceil(travel / substep_m), math.ceil(max(math.fabs(dha), math.fabs(dhb)) / substep_rad))
    for k in range(1, n + 1):
        f = k / n
        if rects_touch((ax0 + f * (ax1 - ax0), ay0 + f * (ay1 - ay0), ah0 + f * dha, al, aw),
                       (bx0 + f * (bx1 - bx0), by0 + f * (by1 - by0), bh0 + f * dhb, bl, bw)):
            return f
    return None


def _turn(h0: float, h1: float) -> float:
    """h1 - h0 wrapped to [-pi, pi): the shorter way round."""
    return (h1 - h0 + math.pi) % (2.0 * math.pi) - math.pi


# --- lidar ----------------------------------------------------------------------------------


def beam_ranges_to_rects(out: np.ndarray, angles_rad: np.ndarray, x_m: float, y_m: float, heading_rad: float,
                         rects: list[Rect]) -> None:
    """Lower `out[i]` to the distance along beam i from (x_m, y_m) to the nearest of the
    rectangles, where that is nearer (a beam that meets none keeps its value).

    Beam i points at heading_rad + angles_rad[i]; the angles are evenly spaced and
    increasing, as the lidar's are. From outside a rectangle at most two of its edges
    face the origin; the beams that meet such an edge are those whose angle lies between
    the angles of its two ends, and each meets it at d / cos(beam angle - normal angle),
    d being the edge's distance along its normal. So a rectangle costs a few scalar
    operations and a few numpy calls on the slice of beams that see it, however many
    beams there are. A beam starting inside a rectangle does not see it.
    """
    beams = len(angles_rad)
    first = float(angles_rad[0])
    per_beam = (beams - 1) / (float(angles_rad[-1]) - first) if beams > 1 else 0.0
    for cx, cy, th, hl, hw in rects:
        c, s = math.cos(th), math.sin(th)
        rx, ry = x_m - cx, y_m - cy
        ox, oy = rx * c + ry * s, ry * c - rx * s  # the origin in the rectangle's frame
        rel = th - heading_rad  # an angle in the car's frame = the rectangle frame's + rel
        # (distance, normal angle towards the edge in the rectangle's frame, its two ends)
        edges = []
        if ox > hl:
            edges.append((ox - hl, math.pi, (hl, -hw), (hl, hw)))
        elif ox < -hl:
            edges.append((-hl - ox, 0.0, (-hl, -hw), (-hl, hw)))
        if oy > hw:
            edges.append((oy - hw, -0.5 * math.pi, (-hl, hw), (hl, hw)))
        elif oy < -hw:
            edges.append((-hw - oy, 0.5 * math.pi, (-hl, -hw), (hl, -hw)))
        for d, normal, p, q in edges:
            # The ends' directions from the origin, as angles in the car's frame, in (-pi, pi].
            e1 = math.fmod(math.atan2(p[1] - oy, p[0] - ox) + rel + _PI, _TWO_PI)
            e1 = e1 + _PI if e1 <= 0.0 else e1 - _PI
            e2 = math.fmod(math.atan2(q[1] - oy, q[0] - ox) + rel + _PI, _TWO_PI)
            e2 = e2 + _PI if e2 <= 0.0 else e2 - _PI
            lo, hi = (e1, e2) if e1 < e2 else (e2, e1)
            spans = ((lo, hi),) if hi - lo <= math.pi else ((hi, math.pi), (-math.pi, lo))  # across the back
            for a, b in spans:
                # Rounding must not drop a beam through a corner: the slice errs wide by
                # 1e-9 of a beam, where the edge's line is still within ~1e-9 m of its end.
                i0 = math.ceil((a - first) * per_beam - 1e-9)
                i1 = math.floor((b - first) * per_beam + 1e-9)
                if i0 < 0:
                    i0 = 0
                if i1 >= beams:
                    i1 = beams - 1
                if i0 > i1:
                    continue
                seg = out[i0 : i1 + 1]
                np.minimum(seg, d / np.cos(angles_rad[i0 : i1 + 1] - (rel + normal)), out=seg)


def rect_corners(rect: Rect) -> list[tuple[float, float]]:
    """The four corners, counter-clockwise from the front left."""
    x, y, h, hl, hw = rect
    c, s = math.cos(h), math.sin(h)
    return [(x + c * lx - s * ly, y + s * lx + c * ly) for lx, ly in ((hl, hw), (-hl, hw), (-hl, -hw), (hl, -hw))]


def ray_rect_distances_reference(x_m: float, y_m: float, angles_rad, rects) -> list[float]:
    """The definition, one beam and one edge at a time: the nearest crossing of the beam
    with any edge segment (the lidar's own formula), inf for none; a rectangle holding the
    origin is not seen. Slow; the tests hold `beam_ranges_to_rects` to it."""
    out = []
    for angle in angles_rad:
        ux, uy = math.cos(angle), math.sin(angle)
        best = math.inf
        for rect in rects:
            rect = tuple(float(v) for v in rect)
            corners = rect_corners(rect)
            # Inside: the origin within both slabs of the rectangle's frame.
            c, s = math.cos(rect[2]), math.sin(rect[2])
            lx = (x_m - rect[0]) * c + (y_m - rect[1]) * s
            ly = (y_m - rect[1]) * c - (x_m - rect[0]) * s
            if abs(lx) <= rect[3] and abs(ly) <= rect[4]:
                continue
            for k in range(4):
                ax, ay = corners[k]
                bx, by = corners[(k + 1) % 4]
                dx, dy = bx - ax, by - ay
                denom = ux * dy - uy * dx
                if denom == 0.0:
                    continue
                qx, qy = ax - x_m, ay - y_m
                r = (qx * dy - qy * dx) / denom
                t = (qx * uy - qy * ux) / denom
                if r >= 0.0 and 0.0 <= t <= 1.0:
                    best = min(best, r)
        out.append(best)
    return out
