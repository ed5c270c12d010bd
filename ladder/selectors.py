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


# --- the board and the match list as the API and pages show them ------------------------------


def ladder_positions(race) -> dict[int, tuple[int, Rating]]:
    """racer id -> (rank on the ladder, rating)."""
    return {r.racer_id: (k, r) for k, r in enumerate(ladder_ratings(race), 1)}


def ladder_fields(position: tuple[int, Rating] | None) -> dict:
    """The ladder's columns of a board row (None each for a racer not rated yet)."""
    if position is None:
        return {"rating": None, "mu": None, "sigma": None, "matches": 0, "wins": 0}
    r = position[1]
    return {"rating": round(r.score, 3), "mu": round(r.mu, 3), "sigma": round(r.sigma, 3), "matches": r.matches,
            "wins": r.wins}


def ladder_order(positions: dict[int, tuple[int, Rating]], standings: list) -> list:
    """Board rows (RaceStanding) in the ladder's order: rated racers by their rank, then
    the others in the board's order."""
    unrated = len(positions) + 1
    return sorted(standings, key=lambda row: (positions.get(row.racer_id, (unrated,))[0], row.rank))


def match_row(match: Match) -> dict:
    """A match as the API and the pages list it."""
    duels = []
    for d in (match.result or {}).get("duels", []):
        duels.append({"winner": d.get("winner"), "positions": d.get("positions"),
                      "a_time_s": d.get("a", {}).get("total_time_s"), "a_status": d.get("a", {}).get("status"),
                      "b_time_s": d.get("b", {}).get("total_time_s"), "b_status": d.get("b", {}).get("status"),
                      "car_collisions": d.get("car_collisions", 0)})
    stage = None
    if match.bracket_match_id is not None:
        slot = match.bracket_match
        stage = f"{slot.stage}{slot.round}.{slot.index + 1}"
    return {
        "id": match.pk,
        "status": match.status,
        "racer_a": match.racer_a.alias,
        "racer_b": match.racer_b.alias,
        "winner": match.winner or None,
        "winner_racer": {"a": match.racer_a.alias, "b": match.racer_b.alias}.get(match.winner),
        "seed": match.seed,
        "finals": stage,
        "rated": match.rated,
        "rating_change": match.rating_change,
        "duels": duels,
        "replays": [k for k in (1, 2) if getattr(match, f"replay_{k}")],
        "videos": [k for k in (1, 2) if getattr(match, f"video_{k}")],
        "video_status": [getattr(match, f"video_status_{k}") or None for k in (1, 2)],
        "error": match.error if match.status == Match.Status.ERROR else "",
        "created_at": match.created_at,
        "finished_at": match.finished_at,
    }


def race_matches_for_list(race, racer_id: int | None = None) -> QuerySet[Match]:
    return race_matches(race, racer_id).select_related("bracket_match")


def bracket_view(bracket: Bracket) -> dict:
    """The bracket as the API and the bracket page draw it: its places by stage and round."""
    slots = bracket_slots(bracket)
    aliases = {}
    for s in slots:
        for racer in (s.racer_a, s.racer_b, s.winner):
            if racer is not None:
                aliases[racer.pk] = racer.alias
    seeds = {rid: k for k, rid in enumerate(bracket.seeds, 1)}

    def side(racer_id):
        return None if racer_id is None else {"racer": aliases.get(racer_id), "seed": seeds.get(racer_id)}

    places = []
    for s in slots:
        latest = slot_latest_match(s)
        places.append({
            "stage": s.stage, "round": s.round, "index": s.index,
            "a": side(s.racer_a_id), "b": side(s.racer_b_id),
            "winner": aliases.get(s.winner_id) if s.winner_id else None,
            "match_id": latest.pk if latest else None,
            "match_status": latest.status if latest else None,
        })
    return {
        "size": bracket.size,
        "status": bracket.status,
        "champion": bracket.champion.alias if bracket.champion_id else None,
        "seeds": [aliases.get(rid) or str(rid) for rid in bracket.seeds],
        "places": places,
        "created_at": bracket.created_at,
        "finished_at": bracket.finished_at,
    }
