"""Replays to film: races of the STATE house driver on the oval."""

from __future__ import annotations

import pytest

from simulator.params import RaceRules


@pytest.fixture(scope="session")
def short_replay(race_replay, oval):
    """A few seconds of a run: the time cap ends it (DNF)."""
    return race_replay(oval, RaceRules(laps=3, time_cap_s=4.0))


@pytest.fixture(scope="session")
def wild_replay(race_replay, oval):
    """One lap with off-track resets."""
    replay = race_replay(oval, RaceRules(laps=1), lateral_accel_m_s2=20.0)
    assert replay["result"]["off_track_count"] > 0
    return replay
