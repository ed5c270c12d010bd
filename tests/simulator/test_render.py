"""Pictures for people: the speed palette (one definition, served to the pages as JSON)."""

from __future__ import annotations

import json

import pytest

from simulator.render import SPEED_PALETTE, speed_colour


def test_the_palette_is_plain_json_data():
    stops = json.loads(json.dumps(SPEED_PALETTE))
    assert [[f, list(c)] for f, c in SPEED_PALETTE] == stops
    fractions = [f for f, _ in SPEED_PALETTE]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)


@pytest.mark.parametrize("k", range(len(SPEED_PALETTE)))
def test_each_stop_is_its_colour(k):
    fraction, colour = SPEED_PALETTE[k]
    assert speed_colour(fraction * 4.0, 4.0) == colour


def test_speeds_are_clipped_and_interpolated():
    assert speed_colour(-1.0, 4.0) == SPEED_PALETTE[0][1]
    assert speed_colour(9.0, 4.0) == SPEED_PALETTE[-1][1]
    (f0, c0), (f1, c1) = SPEED_PALETTE[:2]
    middle = speed_colour((f0 + f1) / 2 * 4.0, 4.0)
    assert all(min(a, b) <= m <= max(a, b) for a, b, m in zip(c0, c1, middle))
