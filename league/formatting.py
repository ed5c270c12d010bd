"""How competitors read times: `1:07.342`, gaps as `+0.518`."""

from __future__ import annotations

import math


def format_race_time(seconds: float | None) -> str:
    """67.3421 -> "1:07.342", 7.3 -> "7.300", 3725.0 -> "1:02:05.000"; None -> "—"."""
    if seconds is None:
        return "—"
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(value):
        return "—"
    sign = "-" if value < 0 else ""
    millis = int(round(abs(value) * 1000))
    hours, rem = divmod(millis, 3_600_000)
    minutes, rem = divmod(rem, 60_000)
    secs, ms = divmod(rem, 1000)
    if hours:
        return f"{sign}{hours}:{minutes:02d}:{secs:02d}.{ms:03d}"
    if minutes:
        return f"{sign}{minutes}:{secs:02d}.{ms:03d}"
    return f"{sign}{secs}.{ms:03d}"


def format_gap(seconds: float | None) -> str:
    """A gap to the leader: "+0.518", "+1:02.000"; the leader (0) and None -> "—"."""
    if seconds is None or seconds == 0:
        return "—"
    return "+" + format_race_time(seconds)
