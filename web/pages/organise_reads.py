"""What the community race pages read, arranged for them: a facilitator's races by
phase, a race's racers in board order, and the public listing by phase. The reads
themselves are the selectors' of league and racing."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from league import access
from league import selectors as league_selectors
from league.models import Race
from racing import selectors as racing_selectors
from tracks.models import Track

PHASES = ("open", "upcoming", "closed")
# Open: closing soonest first; upcoming: opening soonest first; closed: latest first.
ORDER = {"open": ("closes_at", "id"), "upcoming": ("opens_at", "id"), "closed": ("-closes_at", "-id")}
RECENTLY_CLOSED = timedelta(days=30)
LISTING_SIZE = 24


def race_phase(race: Race, now: datetime | None = None) -> str:
    """"upcoming" (not open yet), "open" or "closed" by the race's own window."""
    now = now or timezone.now()
    if race.opens_at is not None and now < race.opens_at:
        return "upcoming"
    if race.window_closed(now):
        return "closed"
    return "open"


def _phases(now: datetime) -> dict[str, Q]:
    """The three phases as filters (one definition with `race_phase`)."""
    return {
        "open": (Q(opens_at__isnull=True) | Q(opens_at__lte=now)) & (Q(closes_at__isnull=True) | Q(closes_at__gt=now)),
        "upcoming": Q(opens_at__gt=now),
        "closed": Q(closes_at__lte=now),
    }


def _with_counts(races: QuerySet[Race]) -> QuerySet[Race]:
    return races.select_related("track", "owner").annotate(
        entrant_count=Count("entrants", filter=Q(entrants__removed_at__isnull=True), distinct=True)
    )


def console_races(user, now: datetime | None = None) -> dict[str, list[Race]]:
    """The community races `user` runs (admins: every one), by phase: open closing
    soonest first, upcoming opening soonest first, closed latest first."""
    now = now or timezone.now()
    # With the race-night settings, for the list's "Race night" mark.
    races = _with_counts(league_selectors.community_races_run_by(user)).select_related("live")
    return {phase: list(races.filter(q).order_by(*ORDER[phase])) for phase, q in _phases(now).items()}


def tracks_uploaded_by(user) -> list[Track]:
    return list(Track.objects.filter(uploaded_by=user).order_by("-created_at", "-id"))


def race_entrants(race: Race) -> list[dict]:
    """Everyone who joined `race` (racing's rows): racers on the board by rank, then the
    ones without a result, then the removed ones."""
    rows = racing_selectors.race_entrant_rows(race)
    rows.sort(key=lambda r: (r["removed_at"] is not None, r["rank"] is None, r["rank"] or 0))
    return rows


def race_listing(user, now: datetime | None = None) -> dict[str, list[dict]]:
    """The community races to list for `user` (public ones, and the ones they run or
    joined): open closing soonest first, then upcoming, then closed in the last 30 days."""
    now = now or timezone.now()
    # By id: counting entrants over listed_races' own join would count only the rows it kept.
    races = _with_counts(Race.objects.filter(pk__in=access.listed_races(user).values("pk")))
    phases = _phases(now)
    phases["closed"] &= Q(closes_at__gt=now - RECENTLY_CLOSED)
    return {
        phase: [
            {"race": race, "phase": phase, "top": racing_selectors.race_top(race, 3) if phase != "upcoming" else [],
             "accepting": phase == "open"}
            for race in races.filter(phases[phase]).order_by(*ORDER[phase])[:LISTING_SIZE]
        ]  # fmt: skip
        for phase in PHASES
    }
