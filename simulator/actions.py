"""The metadata's action space: what a model's output (or a learner's action) means.

One definition for races and the Gymnasium environment, so both apply identical
clipping, mapping and rounding. The output layout is `layout.ACTION_*`.
"""

from __future__ import annotations

from typing import Callable

from .metadata import ModelMetadata

# Adding and subtracting 1.5 * 2**52 rounds a float below 2**51 to an integer, ties to even.
_TO_INTEGER = 6755399441055744.0


class ActionMap:
    """Discrete: an action index picks (steering, speed). Continuous: (steering, speed) in
    [-1, 1] are clipped, mapped linearly onto the metadata's ranges and rounded to 0.01 deg
    and 0.001 m/s, so results do not hinge on the last bits of a float."""

    def __init__(self, metadata: ModelMetadata):
        self.discrete = metadata.action_space_type == "discrete"
        self.actions = [(a.steering_deg, a.speed_m_s) for a in metadata.actions]
        self.continuous = _continuous_mapping(metadata.steering_range_deg, metadata.speed_range_m_s)

    def index(self, k: int) -> tuple[float, float, int]:
        steer, speed = self.actions[k]
        return steer, speed, k


def _continuous_mapping(steering_range_deg: tuple[float, float],
                        speed_range_m_s: tuple[float, float]) -> Callable[[float, float], tuple[float, float, int]]:
    """`ActionMap.continuous`, its ranges bound once: it runs every step of a race."""
    steer_lo, steer_hi = steering_range_deg
    speed_lo, speed_hi = speed_range_m_s
    steer_half_span = 0.5 * (steer_hi - steer_lo)
    speed_half_span = 0.5 * (speed_hi - speed_lo)

    def continuous(a: float, b: float) -> tuple[float, float, int]:
        """(steering, speed) in [-1, 1], clipped, mapped onto the ranges and rounded."""
        a = -1.0 if a < -1.0 else (1.0 if a > 1.0 else a)
        b = -1.0 if b < -1.0 else (1.0 if b > 1.0 else b)
        steer = steer_lo + (a + 1.0) * steer_half_span
        speed = speed_lo + (b + 1.0) * speed_half_span
        # round(steer, 2) and round(speed, 3) bit for bit, mostly without round()'s trip
        # through a decimal string (slow, and this runs every step). round(v, k) is the
        # double nearest to N / 10**k, N the integer nearest to the exact v * 10**k. When
        # the float product p is well inside (-1e9, 1e9) and farther than 1e-4 from a
        # half-integer (its rounding error is below 1e-6), N is p rounded, and N / 10**k
        # is that same double. Ties, near-ties and zero (its sign) take round() itself.
        p = steer * 100.0
        n = (p + _TO_INTEGER) - _TO_INTEGER
        steer = n / 100.0 if n and -0.4999 < p - n < 0.4999 and -1e9 < p < 1e9 else round(steer, 2)
        p = speed * 1000.0
        n = (p + _TO_INTEGER) - _TO_INTEGER
        speed = n / 1000.0 if n and -0.4999 < p - n < 0.4999 and -1e9 < p < 1e9 else round(speed, 3)
        return steer, speed, -1

    return continuous
