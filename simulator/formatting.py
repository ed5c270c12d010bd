"""How people read the simulator's figures: race times `1:07.342`, gaps `+0.518`, sizes `50 MiB`.

The one definition for the command line, the videos and the league's pages.
"""

from __future__ import annotations

import math

NO_TIME = "—"  # what a missing time reads as, everywhere


def format_race_time(seconds: float | None) -> str:
    """67.3421 -> "1:07.342", 7.3 -> "7.300", 3725.0 -> "1:02:05.000"; None, NaN, inf -> "—"."""
    if seconds is None:
        return NO_TIME
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return NO_TIME
    if not math.isfinite(value):
        return NO_TIME
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
    """A gap to the leader: "+0.518", "+1:02.000", a tie "+0.000" (also one that rounds to
    it from below); ahead of the leader (a live run against the leader's pace) "-0.008";
    no gap (the leader's own row: None) -> "—"."""
    time = format_race_time(seconds)
    if time == NO_TIME:
        return NO_TIME
    if time.startswith("-") and any(digit in time for digit in "123456789"):
        return time
    return "+" + time.removeprefix("-")


def format_size(n_bytes: int) -> str:
    """52428800 -> "50 MiB", 1572864 -> "1.5 MiB", 524288 -> "512 KiB", 100 -> "100 bytes"."""
    for unit, size in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n_bytes >= size:
            return f"{n_bytes / size:.1f}".removesuffix(".0") + " " + unit
    return f"{n_bytes} bytes"
