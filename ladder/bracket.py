"""The finals: a double-elimination bracket of the ladder's top racers, raced match by
match as soon as both sides of a place are known.

Structure (size n = 2^k): the winners' side has k rounds (n/2, n/4, ... 1 matches),
seeded so that 1 and 2 can only meet in its final; the losers' side has 2(k-1) rounds:
odd rounds pair the losers' side's survivors, even rounds meet them with the losers of
the next winners' round (in reverse order, to put off rematches). The winners' side
champion meets the losers' side champion in the grand final (GF); if the losers' side
champion wins it, both have lost once and a reset (GF2) decides. A drawn match goes to
the better seed."""

from __future__ import annotations

import math

from django.db import transaction
from django.utils import timezone

from league.models import Race

from .models import Bracket, BracketMatch, LadderRules, Match, Rating
from .selectors import ladder_rules

W, L, GF, GF2 = "W", "L", "GF", "GF2"


class FinalsError(ValueError):
    """Finals cannot start; the message says why and what to do."""


# --- the structure (pure) -------------------------------------------------------------------


def seed_order(size: int) -> list[int]:
    """Seeds (1-based) in bracket order: [1, 8, 4, 5, 2, 7, 3, 6] for 8; first-round match
    i is order[2i] v order[2i + 1]."""
    order = [1]
    while len(order) < size:
        n = 2 * len(order)
        order = [x for s in order for x in (s, n + 1 - s)]
    return order


def slots_of(size: int) -> list[tuple[str, int, int]]:
    """Every place of a bracket of `size`: (stage, round, index); GF2 included."""
    k = int(math.log2(size))
    out = [(W, r, i) for r in range(1, k + 1) for i in range(size >> r)]
    out += [(L, j, i) for j in range(1, 2 * (k - 1) + 1) for i in range(size >> ((j + 1) // 2 + 1))]
    return out + [(GF, 1, 0), (GF2, 1, 0)]


def destinations(size: int, stage: str, rnd: int, index: int) -> tuple[tuple | None, tuple | None]:
    """Where the winner and the loser of a place go: ((stage, round, index, side) or None
    for the winner's title or the loser's elimination)."""
    k = int(math.log2(size))
    last_l = 2 * (k - 1)
    if stage == W:
        win = (W, rnd + 1, index // 2, "ab"[index % 2]) if rnd < k else (GF, 1, 0, "a")
        if k == 1:
            lose = (GF, 1, 0, "b")
        elif rnd == 1:
            lose = (L, 1, index // 2, "ab"[index % 2])
        else:
            count = size >> rnd
            lose = (L, 2 * (rnd - 1), (count - 1 - index) if rnd % 2 == 0 else index, "b")
        return win, lose
    if stage == L:
        if rnd == last_l:
            return (GF, 1, 0, "b"), None
        if rnd % 2 == 1:
            return (L, rnd + 1, index, "a"), None
        return (L, rnd + 1, index // 2, "ab"[index % 2]), None
    return None, None  # GF and GF2 are settled by bracket_advance


def finals_size(wanted: int, racers: int) -> int:
    """The bracket's size: the setting, or the largest power of two the ladder fills."""
    if racers < 2:
        raise FinalsError("finals need at least two rated racers on the ladder")
    return min(wanted, 1 << int(math.log2(racers)))


# --- the bracket in the database ------------------------------------------------------------


def finals_start(race) -> Bracket:
    """Seed the ladder's top racers into a new bracket (`ready_slots`: its first round)."""
    rules: LadderRules = ladder_rules(race)
    with transaction.atomic():
        # The worker's round and an organiser's click may start the finals at the same
        # moment: the race's row lock makes the second wait, then find the bracket.
        list(Race.objects.select_for_update(of=("self",)).filter(pk=race.pk).values_list("pk", flat=True))
        if Bracket.objects.filter(race=race).exists():
            raise FinalsError("the finals of this race have already started")
        top = list(Rating.objects.filter(race=race).order_by("-score", "id")[: rules.finals_size])
        size = finals_size(rules.finals_size, len(top))
        top = top[:size]
        bracket = Bracket.objects.create(race=race, size=size, seeds=[r.racer_id for r in top])
        slots = {key: BracketMatch(bracket=bracket, stage=key[0], round=key[1], index=key[2])
                 for key in slots_of(size)}
        order = seed_order(size)
        for i in range(size // 2):
            slot = slots[(W, 1, i)]
            slot.racer_a_id, slot.racer_b_id = top[order[2 * i] - 1].racer_id, top[order[2 * i + 1] - 1].racer_id
        BracketMatch.objects.bulk_create(slots.values())
    return bracket


def _seed_of(bracket: Bracket, racer_id: int) -> int:
    return bracket.seeds.index(racer_id)


def ready_slots(bracket: Bracket) -> list[BracketMatch]:
    """Places with both sides known, no winner and no match yet: the next to race."""
    return list(bracket.slots.filter(racer_a__isnull=False, racer_b__isnull=False, winner__isnull=True,
                                     matches__isnull=True).select_related("bracket"))


def bracket_advance(match: Match) -> None:
    """A finals match finished: its place's winner and loser move on (inside the caller's
    transaction); `ready_slots` then says which places can race."""
    slot = BracketMatch.objects.select_for_update().select_related("bracket").get(pk=match.bracket_match_id)
    bracket = slot.bracket
    if slot.winner_id is not None:
        return
    a, b = match.racer_a_id, match.racer_b_id
    if match.winner == "draw":
        winner = a if _seed_of(bracket, a) < _seed_of(bracket, b) else b
    else:
        winner = a if match.winner == "a" else b
    slot.winner_id, slot.loser_id = winner, b if winner == a else a
    slot.save(update_fields=["winner", "loser"])
    if slot.stage == GF:
        if winner == slot.racer_a_id:  # the winners' side champion: the title
            return _crown(bracket, winner)
        reset = bracket.slots.get(stage=GF2)
        reset.racer_a_id, reset.racer_b_id = slot.racer_a_id, slot.racer_b_id
        reset.save(update_fields=["racer_a", "racer_b"])
        return
    if slot.stage == GF2:
        return _crown(bracket, winner)
    for racer, target in zip((slot.winner_id, slot.loser_id), destinations(bracket.size, slot.stage, slot.round,
                                                                         slot.index)):
        if target is None:
            continue
        stage, rnd, index, side = target
        nxt = bracket.slots.select_for_update().get(stage=stage, round=rnd, index=index)
        setattr(nxt, f"racer_{side}_id", racer)
        nxt.save(update_fields=[f"racer_{side}"])


def _crown(bracket: Bracket, racer_id: int) -> None:
    bracket.champion_id = racer_id
    bracket.status = Bracket.Status.FINISHED
    bracket.finished_at = timezone.now()
    bracket.save(update_fields=["champion", "status", "finished_at"])
