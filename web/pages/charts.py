"""Charts drawn on the server as SVG (no script, no inline style: the page's CSP holds):
a racer's times over their runs in one race."""

from __future__ import annotations

import math

from simulator.formatting import format_race_time

# The drawing's own units (its viewBox); the page scales it to the column's width.
WIDTH, HEIGHT = 420.0, 210.0
LEFT, RIGHT, TOP, BOTTOM = 58.0, 14.0, 36.0, 34.0
DNF_LANE_Y = 14.0  # DNFs are marked in a lane above the plot: they have no time
MAX_X_LABELS = 8


def _nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` ticks over `span`."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _axis_time(seconds: float) -> str:
    """A round time on the axis, without the zeros a tick does not need: 68.0 -> "1:08",
    58.5 -> "58.5" (short enough to read on a phone)."""
    text = format_race_time(seconds)
    return text.rstrip("0").rstrip(".") if "." in text else text


def times_chart(runs: list, *, best_id: int | None = None) -> dict:
    """The chart of `runs` (results in the order they were submitted): each finished run's
    official time against its number, joined by a line, the best ringed; DNFs marked as
    crosses in a lane above. Coordinates are strings ready for the SVG template."""
    n = len(runs)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(i: int) -> float:
        return LEFT + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    times = [r.official_time_s for r in runs if r.is_finished and r.official_time_s is not None]
    y_ticks = []
    if times:
        lo, hi = min(times), max(times)
        span = hi - lo or max(1.0, hi * 0.05)
        step = _nice_step(span)
        lo_axis = math.floor((lo - span * 0.05) / step) * step
        hi_axis = math.ceil((hi + span * 0.05) / step) * step
        lo_axis = max(0.0, lo_axis)

        def y_of(t: float) -> float:
            return TOP + plot_h * (1 - (t - lo_axis) / (hi_axis - lo_axis))

        for k in range(round((hi_axis - lo_axis) / step) + 1):
            tick = lo_axis + k * step
            y_ticks.append({"y": f"{y_of(tick):.1f}", "label": _axis_time(tick)})

    points, dnfs, line = [], [], []
    for i, run in enumerate(runs):
        x = x_of(i)
        label = f"Run {i + 1}: "
        if run.is_finished and run.official_time_s is not None:
            y = y_of(run.official_time_s)
            line.append(f"{x:.1f},{y:.1f}")
            points.append({"x": f"{x:.1f}", "y": f"{y:.1f}", "best": run.pk == best_id,
                           "label": label + format_race_time(run.official_time_s)})  # fmt: skip
        else:
            dnfs.append({"x": f"{x:.1f}", "label": label + f"DNF, {run.laps_completed} laps + {run.progress:.0%}"})
    every = max(1, math.ceil(n / MAX_X_LABELS))
    x_labels = [{"x": f"{x_of(i):.1f}", "label": str(i + 1)} for i in range(n) if i % every == 0 or i == n - 1]
    return {
        "view_box": f"0 0 {WIDTH:.0f} {HEIGHT:.0f}",
        "left": f"{LEFT:.0f}", "right": f"{WIDTH - RIGHT:.0f}", "top": f"{TOP:.0f}",
        "bottom": f"{HEIGHT - BOTTOM:.0f}", "x_title_y": f"{HEIGHT - 4:.0f}", "mid_x": f"{LEFT + plot_w / 2:.0f}",
        "dnf_y": f"{DNF_LANE_Y:.0f}",
        "y_ticks": y_ticks,
        "x_labels": x_labels,
        "line": " ".join(line),
        "points": points,
        "dnfs": dnfs,
        "runs": n,
        "finished": len(times),
    }  # fmt: skip
