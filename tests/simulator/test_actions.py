"""The action mapping shared by races and the Gymnasium environment: clipping, the linear
map onto the metadata's ranges, and rounding that is round() bit for bit."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.actions import ActionMap
from simulator.metadata import parse_metadata

from . import builders as B


def continuous(steering=(-30.0, 30.0), speed=(0.5, 4.0)) -> ActionMap:
    return ActionMap(parse_metadata(B.continuous_metadata(steering=steering, speed=speed)))


@pytest.mark.parametrize(
    "a, b, steering, speed",
    [
        (0.5, 0.0, 15.0, 2.25),
        (-1.0, -1.0, -30.0, 0.5),
        (1.0, 1.0, 30.0, 4.0),
        (3.0, -7.0, 30.0, 0.5),  # clipped to [-1, 1]
        (0.0123456, 0.1, 0.37, 2.425),  # rounded to 0.01 deg and 0.001 m/s
    ],
)
def test_continuous_is_clipped_mapped_and_rounded(a, b, steering, speed):
    assert continuous().continuous(a, b) == (steering, speed, -1)


def test_the_metadata_ranges_are_used():
    m = continuous(steering=(-10, 20), speed=(1.0, 2.0))
    assert m.continuous(-1.0, 1.0) == (-10.0, 2.0, -1)
    assert m.continuous(0.0, 0.0) == (5.0, 1.5, -1)
    assert continuous(speed=(1.7, 1.7)).continuous(0.0, 0.9)[1] == 1.7  # equal low and high


def test_rounding_is_round_bit_for_bit():
    """The fast path must give round(v, 2) / round(v, 3) exactly, ties and signs included."""
    m = continuous(steering=(-30, 30), speed=(0.1, 4.0))
    rng = np.random.default_rng(5)
    values = list(rng.uniform(-1.2, 1.2, 20_000))
    # Outputs whose mapped values land on or next to a rounding tie, and zero.
    values += [2 * (k + 0.5) / 6000 - 1 for k in range(-5, 6005, 7)] + [0.0, -0.0, math.nextafter(0.0, 1.0)]
    for a in values:
        steer, speed, _ = m.continuous(a, a)
        c = min(max(a, -1.0), 1.0)
        exact_steer = round(-30.0 + (c + 1.0) * 30.0, 2)
        exact_speed = round(0.1 + (c + 1.0) * (0.5 * (4.0 - 0.1)), 3)
        assert (steer, math.copysign(1, steer)) == (exact_steer, math.copysign(1, exact_steer)), a
        assert (speed, math.copysign(1, speed)) == (exact_speed, math.copysign(1, exact_speed)), a


def test_discrete_index_picks_the_action():
    m = ActionMap(parse_metadata(B.discrete_metadata([(-30, 0.6), (0, 1.2), (30, 0.6)])))
    assert m.discrete and m.actions == [(-30, 0.6), (0, 1.2), (30, 0.6)]
    assert m.index(1) == (0.0, 1.2, 1) and m.index(2) == (30.0, 0.6, 2)
