"""Every read of the ladder's data: the rules of a race, the ladder's rows, the matches
of a race or of a racer, the bracket."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from racing.models import RaceStanding, Result

from .models import Bracket, BracketMatch, LadderRules, Match, Rating


def is_head_to_head(race) -> bool:
    return race.format == "head_to_head"


def ladder_rules(race) -> LadderRules:
    """The race's ladder rules (the defaults, unsaved, if it has none)."""
    return LadderRules.objects.filter(race=race).first() or LadderRules(race=race)


def ladder_ratings(race) -> QuerySet[Rating]:
    """The ladder in its order: conservative score, then the earlier rating."""
    return Rating.objects.filter(race=race).select_related("racer").order_by("-score", "id")


def ratings_by_racer(race) -> dict[int, Rating]:
    return {r.racer_id: r for r in Rating.objects.filter(race=race)}


def valid_submissions(race) -> dict[int, int]:
    """racer id -> their latest submission with a result (its qualifying run raced), among
    the racers on the race's board (a removed racer is off it)."""
    on_board = RaceStanding.objects.filter(race=race).values_list("racer_id", flat=True)
    latest: dict[int, int] = {}
    rows = (Result.objects.filter(race=race, racer_id__in=on_board)
            .order_by("racer_id", "-submission__created_at", "-submission_id")
            .values_list("racer_id", "submission_id"))
    for racer_id, submission_id in rows:
        latest.setdefault(racer_id, submission_id)
    return latest


def race_matches(race, racer_id: int | None = None) -> QuerySet[Match]:
    qs = Match.objects.filter(race=race).select_related("racer_a", "racer_b")
    if racer_id is not None:
        qs = qs.filter(Q(racer_a_id=racer_id) | Q(racer_b_id=racer_id))
    return qs.order_by("-created_at", "-id")


def busy_racers(race) -> set[int]:
    """Racers in a queued or running match of the race."""
    busy = set()
    for a, b in Match.objects.filter(race=race, status__in=(Match.Status.QUEUED, Match.Status.RUNNING)).values_list(
            "racer_a_id", "racer_b_id"):
        busy.update((a, b))
    return busy


def race_bracket(race) -> Bracket | None:
    return Bracket.objects.filter(race=race).select_related("champion").first()


def bracket_slots(bracket: Bracket) -> list[BracketMatch]:
    return list(bracket.slots.select_related("racer_a", "racer_b", "winner").prefetch_related("matches"))


def slot_latest_match(slot: BracketMatch) -> Match | None:
    matches = sorted(slot.matches.all(), key=lambda m: (m.created_at, m.id))
    return matches[-1] if matches else None
