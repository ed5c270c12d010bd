"""Who races whom: the longest-waiting racer first, against the nearest rating; nobody
against themself or while in a match; not the same opponent twice running if anyone else
is free; never more pairs than the budget allows."""

from datetime import datetime, timedelta

from ladder.pairing import Entry, pairings

T0 = datetime(2026, 1, 1, 12, 0)


def test_close_ratings_meet_first():
    entries = [Entry(1, 30.0), Entry(2, 10.0), Entry(3, 29.0), Entry(4, 11.0)]
    assert pairings(entries, set(), 10) == [(1, 3), (2, 4)]


def test_the_racer_who_waited_longest_picks_first():
    entries = [Entry(1, 30.0, T0), Entry(2, 10.0, T0 - timedelta(hours=1)), Entry(3, 29.0, T0), Entry(4, 20.0, T0)]
    # 2 waited longest: it gets the nearest score (4), then 1 and 3.
    assert pairings(entries, set(), 10) == [(2, 4), (1, 3)]
    # Never raced at all comes before any wait.
    assert pairings([*entries, Entry(5, 0.0)], set(), 1) == [(5, 2)]


def test_busy_racers_sit_out_and_the_limit_holds():
    entries = [Entry(k, float(k)) for k in range(1, 7)]
    assert pairings(entries, {1, 2}, 10) == [(3, 4), (5, 6)]
    assert pairings(entries, set(), 1) == [(1, 2)]
    assert pairings(entries, set(), 0) == []


def test_not_the_last_opponent_again_if_anyone_else_is_free():
    entries = [Entry(1, 20.0, last_opponent_id=2), Entry(2, 20.0, last_opponent_id=1), Entry(3, 5.0)]
    assert pairings(entries, set(), 1) == [(1, 3)]
    two = [Entry(1, 20.0, T0, last_opponent_id=2), Entry(2, 20.0, T0, last_opponent_id=1)]
    assert pairings(two, set(), 1) == [(1, 2)]  # nobody else: they meet again


def test_never_a_racer_against_themself():
    assert pairings([Entry(1, 20.0)], set(), 5) == []
    assert pairings([Entry(1, 20.0), Entry(1, 20.0)], set(), 5) == []
