"""How times, gaps and sizes read: one definition for the CLI, the videos and the pages."""

from __future__ import annotations

import pytest

from simulator.formatting import NO_TIME, format_gap, format_race_time, format_size


@pytest.mark.parametrize(
    "seconds, text",
    [(67.3421, "1:07.342"), (7.3, "7.300"), (3725.0, "1:02:05.000"), (0.0, "0.000"), (59.9996, "1:00.000"),
     (-1.5, "-1.500"), ("12.5", "12.500"), (None, NO_TIME), (float("nan"), NO_TIME), (float("inf"), NO_TIME),
     ("soon", NO_TIME)],
)
def test_race_time(seconds, text):
    assert format_race_time(seconds) == text


@pytest.mark.parametrize("seconds, text", [(0.518, "+0.518"), (62.0, "+1:02.000"), (0, "+0.000"), (None, NO_TIME), (float("nan"), NO_TIME)])
def test_gap(seconds, text):
    assert format_gap(seconds) == text


def test_no_time_is_one_dash():
    assert NO_TIME == "\u2014"


@pytest.mark.parametrize(
    "n_bytes, text",
    [(50 * 2**20, "50 MiB"), (2**20, "1 MiB"), (1572864, "1.5 MiB"), (524288, "512 KiB"), (1000, "1000 bytes")],
)
def test_size(n_bytes, text):
    assert format_size(n_bytes) == text
