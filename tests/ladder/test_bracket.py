"""The finals' double-elimination bracket: its shape, the seeding, the losers' side, the
grand final and its reset; played through the real match records (the matches' results
are scripted here; tests/ladder/test_flow.py races them for real)."""

from __future__ import annotations

from collections import Counter

import pytest

from ladder.bracket import FinalsError, destinations, finals_size, seed_order, slots_of
from ladder.matches import finals_begin, match_claim, match_record
from ladder.models import Bracket, BracketMatch, Match, Rating
from racing.models import Submission
from tests import factories as f


def test_the_seeding_keeps_the_favourites_apart():
    assert seed_order(4) == [1, 4, 2, 3]
    assert seed_order(8) == [1, 8, 4, 5, 2, 7, 3, 6]
    assert sorted(seed_order(32)) == list(range(1, 33))


@pytest.mark.parametrize("size", [2, 4, 8, 16, 32])
def test_every_place_is_fed_by_two_and_every_racer_but_one_is_knocked_out_twice(size):
    inbound = Counter()
    losses_routes = 0
    for stage, rnd, index in slots_of(size):
        win, lose = destinations(size, stage, rnd, index)
        for target in (win, lose):
            if target is not None:
                inbound[target[:3]] += 1
                assert target[:3] in slots_of(size)
        losses_routes += lose is not None
    for stage, rnd, index in slots_of(size):
        expected = 0 if (stage == "W" and rnd == 1) or stage == "GF2" else 2
        assert inbound[(stage, rnd, index)] == expected, (stage, rnd, index)
    # The winners' side sends each of its losers to the losers' side (or the grand final).
    assert losses_routes == size - 1


def test_the_size_is_the_setting_or_what_the_ladder_fills():
    assert finals_size(8, 20) == 8 and finals_size(8, 5) == 4 and finals_size(32, 2) == 2
    with pytest.raises(FinalsError, match="at least two"):
        finals_size(8, 1)


def _ladder(n: int):
    race = f.race()
    race.format = "head_to_head"
    race.save(update_fields=["format"])
    racers = []
    for k in range(n):
        racer = f.racer(f"Seed {k + 1}")
        sub = Submission.objects.create(racer=racer, model=f.policy_model(racer), race=race, status="finished")
        Rating.objects.create(race=race, racer=racer, submission=sub, mu=40.0 - k, sigma=1.0, score=37.0 - k)
        racers.append(racer)
    return race, racers


def _play(race, beats) -> list[Match]:
    """Record every queued finals match until none is left; `beats(seed_a, seed_b)` says
    'a', 'b' or 'draw'."""
    played = []
    while True:
        queued = list(Match.objects.filter(race=race, status="queued").order_by("id"))
        if not queued:
            return played
        for match in queued:
            seeds = Bracket.objects.get(race=race).seeds
            claimed = match_claim(match.pk)
            winner = beats(seeds.index(match.racer_a_id) + 1, seeds.index(match.racer_b_id) + 1)
            played.append(match_record(claimed, {"winner": winner, "duels": []}, [None, None]))


@pytest.mark.django_db
def test_favourites_win_the_finals_without_a_reset():
    race, racers = _ladder(9)
    bracket = finals_begin(race)
    assert bracket.size == 8 and bracket.seeds == [r.pk for r in racers[:8]]
    first = {(m.racer_a_id, m.racer_b_id) for m in Match.objects.filter(race=race)}
    ids = [r.pk for r in racers]
    assert first == {(ids[0], ids[7]), (ids[3], ids[4]), (ids[1], ids[6]), (ids[2], ids[5])}
    played = _play(race, lambda a, b: "a" if a < b else "b")
    bracket.refresh_from_db()
    assert bracket.status == "finished" and bracket.champion_id == ids[0]
    assert len(played) == 2 * 8 - 2  # no reset
    gf = BracketMatch.objects.get(bracket=bracket, stage="GF")
    assert (gf.racer_a_id, gf.racer_b_id, gf.winner_id) == (ids[0], ids[1], ids[0])
    assert not BracketMatch.objects.get(bracket=bracket, stage="GF2").matches.exists()
    # Seed 9 never raced; the ladder matches' ratings did not move in the finals.
    assert not Match.objects.filter(racer_a_id=ids[8]).exists() and not Match.objects.filter(rated=True).exists()


@pytest.mark.django_db
def test_a_racer_from_the_losers_side_wins_the_grand_final_and_its_reset():
    race, racers = _ladder(4)
    finals_begin(race)
    ids = [r.pk for r in racers]

    def beats(a, b):
        if 2 in (a, b):
            return "a" if a == 2 else "b"  # seed 2 wins everything ...
        return "a" if a < b else "b"

    # ... but loses its first match, to seed 3.
    first = Match.objects.get(race=race, racer_a_id=ids[1])
    match_record(match_claim(first.pk), {"winner": "b"}, [None, None])
    played = _play(race, beats)
    bracket = Bracket.objects.get(race=race)
    slots = {(s.stage, s.round, s.index): s for s in bracket.slots.all()}
    # Seed 2 came through the losers' side: L1 against seed 4, L2 against W2's loser.
    assert slots[("L", 1, 0)].winner_id == ids[1] and slots[("L", 2, 0)].winner_id == ids[1]
    assert slots[("GF", 1, 0)].racer_b_id == ids[1] and slots[("GF", 1, 0)].winner_id == ids[1]
    assert slots[("GF2", 1, 0)].winner_id == ids[1]
    assert bracket.champion_id == ids[1] and len(played) + 1 == 2 * 4 - 1


@pytest.mark.django_db
def test_a_drawn_finals_match_goes_to_the_better_seed_and_finals_start_once():
    race, racers = _ladder(2)
    finals_begin(race)
    _play(race, lambda a, b: "draw")
    assert Bracket.objects.get(race=race).champion_id == racers[0].pk
    with pytest.raises(FinalsError, match="already started"):
        finals_begin(race)
