"""The league's rules: signing up racers, opening seasons, rebuilding standings."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from simulator.params import SENSORS, TIMING_METHODS

from .models import Race, Racer, RaceStanding, Season, SeasonStanding

# Season points by rank in a race, as in Formula 1 (2010 onwards). Only runs that
# finished score; a DNF ranks below every finisher and scores nothing.
POINTS_BY_RANK = (25, 18, 15, 12, 10, 8, 6, 4, 2, 1)

ALIAS_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:\-]{1,38}[A-Za-z0-9_.]$")


def lock_rows(queryset) -> list:
    """Take row locks (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the IMMEDIATE
    transaction already holds the database's write lock). Call inside atomic()."""
    return list(queryset.select_for_update().values_list("pk", flat=True))


def points_for(rank: int, finished: bool) -> int:
    if not finished or rank < 1 or rank > len(POINTS_BY_RANK):
        return 0
    return POINTS_BY_RANK[rank - 1]


# --- Racers -------------------------------------------------------------------------------


def alias_errors(alias: str) -> list[str]:
    if not alias:
        return ["Choose a racer alias: the public name shown on leaderboards."]
    if not ALIAS_RE.match(alias):
        return [
            "An alias has 3 to 40 characters: letters, digits, spaces, '_', '.', ':' or '-', "
            "starting with a letter or digit."
        ]
    if Racer.objects.filter(alias__iexact=alias).exists():
        return [f"The alias {alias!r} is taken; choose another."]
    return []


@transaction.atomic
def racer_signup(*, username: str, password: str, alias: str, is_house: bool = False) -> Racer:
    """Create a user and their racer. Raises ValidationError({field: [messages]})."""
    User = get_user_model()
    username = (username or "").strip()
    alias = (alias or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["Choose a user name."]
    else:
        try:
            User.username_validator(username)
        except ValidationError as exc:
            errors["username"] = list(exc.messages)
        if len(username) > 150:
            errors["username"] = ["A user name has at most 150 characters."]
        elif User.objects.filter(username__iexact=username).exists():
            errors["username"] = [f"The user name {username!r} is taken; choose another."]
    if problems := alias_errors(alias):
        errors["alias"] = problems
    if not password:
        errors["password"] = ["Choose a password."]
    else:
        try:
            validate_password(password, User(username=username))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(username=username, password=password)
    return Racer.objects.create(user=user, alias=alias, is_house=is_house)


def racer_for_user(user) -> Racer | None:
    """The racer of a user; staff created with createsuperuser get one on first use."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.racer
    except Racer.DoesNotExist:
        pass
    alias = user.get_username()
    suffix = 1
    while Racer.objects.filter(alias__iexact=alias).exists():
        suffix += 1
        alias = f"{user.get_username()}-{suffix}"
    racer, _ = Racer.objects.get_or_create(user=user, defaults={"alias": alias})
    return racer


# --- Seasons ------------------------------------------------------------------------------


def race_rules_errors(
    *, laps: int, timing_method: str, off_track_penalty_s: float, time_cap_s: float, allowed_sensors
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not 1 <= int(laps) <= 100:
        errors["laps"] = ["Laps must be between 1 and 100."]
    if timing_method not in TIMING_METHODS:
        errors["timing_method"] = [f"Timing method must be one of {', '.join(TIMING_METHODS)}."]
    if not 0 <= float(off_track_penalty_s) <= 600:
        errors["off_track_penalty_s"] = ["The off-track penalty must be between 0 and 600 s."]
    if not 1 <= float(time_cap_s) <= 3600:
        errors["time_cap_s"] = ["The time cap must be between 1 and 3600 s."]
    unknown = [s for s in allowed_sensors if s not in SENSORS]
    if unknown or not allowed_sensors:
        errors["allowed_sensors"] = [f"Allowed sensors must be among {', '.join(SENSORS)}."]
    return errors


@transaction.atomic
def season_create(
    *,
    slug: str,
    name: str = "",
    tracks=(),
    laps: int = 3,
    timing_method: str = "TOTAL_TIME",
    off_track_penalty_s: float = 3.0,
    time_cap_s: float = 180.0,
    allowed_sensors=SENSORS,
    daily_quota: int | None = None,
    total_quota: int | None = None,
) -> Season:
    """A draft season with one race per track, all with the same rules."""
    errors = race_rules_errors(
        laps=laps,
        timing_method=timing_method,
        off_track_penalty_s=off_track_penalty_s,
        time_cap_s=time_cap_s,
        allowed_sensors=allowed_sensors,
    )
    if Season.objects.filter(slug=slug).exists():
        errors["slug"] = [f"A season {slug!r} exists already."]
    if errors:
        raise ValidationError(errors)
    season = Season.objects.create(slug=slug, name=name or slug.replace("-", " ").title())
    extra = {}
    if daily_quota is not None:
        extra["daily_quota"] = daily_quota
    if total_quota is not None:
        extra["total_quota"] = total_quota
    for order, track in enumerate(tracks):
        Race.objects.create(
            season=season,
            track=track,
            order=order,
            laps=laps,
            timing_method=timing_method,
            off_track_penalty_s=off_track_penalty_s,
            time_cap_s=time_cap_s,
            allowed_sensors=list(allowed_sensors),
            **extra,
        )
    return season


def season_open(season: Season) -> Season:
    """Open a season; the season that was open closes (its races take no more
    submissions and its boards freeze). Opening the open season changes nothing."""
    with transaction.atomic():
        # Lock every season row that changes, in id order (no deadlock on PostgreSQL).
        locked = list(
            Season.objects.select_for_update()
            .filter(Q(pk=season.pk) | Q(status=Season.Status.OPEN))
            .order_by("pk")
        )
        target = next(s for s in locked if s.pk == season.pk)
        if target.status == Season.Status.OPEN:
            return target
        now = timezone.now()
        for other in locked:
            if other.pk != target.pk and other.status == Season.Status.OPEN:
                other.status = Season.Status.CLOSED
                other.closed_at = now
                other.save(update_fields=["status", "closed_at"])
        target.status = Season.Status.OPEN
        target.opened_at = now
        target.closed_at = None
        target.save(update_fields=["status", "opened_at", "closed_at"])
    season.refresh_from_db()
    return season


def season_close(season: Season) -> Season:
    with transaction.atomic():
        season = Season.objects.select_for_update().get(pk=season.pk)
        if season.status != Season.Status.CLOSED:
            season.status = Season.Status.CLOSED
            season.closed_at = timezone.now()
            season.save(update_fields=["status", "closed_at"])
    return season


# --- Standings ----------------------------------------------------------------------------


def standing_sort_key(*, finished: bool, time_s, laps: int, progress: float, submitted_at, result_id: int):
    """The ranking of the design: finishers by official time, then DNF by laps and
    progress, ties to the earlier submission."""
    if finished:
        return (0, float(time_s), 0, 0.0, submitted_at, result_id)
    return (1, 0.0, -int(laps), -float(progress), submitted_at, result_id)


def _result_key(result) -> tuple:
    return standing_sort_key(
        finished=result.status == "finished" and result.official_time_s is not None,
        time_s=result.official_time_s,
        laps=result.laps_completed,
        progress=result.progress,
        submitted_at=result.submission.created_at,
        result_id=result.pk,
    )


def _standing_key(row: RaceStanding) -> tuple:
    return standing_sort_key(
        finished=row.finished,
        time_s=row.time_s,
        laps=row.laps,
        progress=row.progress,
        submitted_at=row.submitted_at,
        result_id=row.result_id,
    )


def _fill_standing(row: RaceStanding, result) -> None:
    row.result = result
    row.finished = result.status == "finished" and result.official_time_s is not None
    row.time_s = result.official_time_s if row.finished else None
    row.best_lap_s = result.best_lap_s
    row.laps = result.laps_completed
    row.progress = result.progress
    row.off_track_count = result.off_track_count
    row.submitted_at = result.submission.created_at


STANDING_ORDER = ("-finished", "time_s", "-laps", "-progress", "submitted_at", "result_id")


def _race_rerank(race: Race) -> None:
    """Give every row of the race its rank and points by the standing order; write only
    the rows that changed."""
    rows = RaceStanding.objects.filter(race=race).order_by(*STANDING_ORDER)
    changed = []
    for rank, (pk, old_rank, old_points, finished) in enumerate(
        rows.values_list("pk", "rank", "points", "finished"), start=1
    ):
        points = points_for(rank, finished)
        if old_rank != rank or old_points != points:
            changed.append(RaceStanding(pk=pk, rank=rank, points=points))
    if changed:
        RaceStanding.objects.bulk_update(changed, ["rank", "points"], batch_size=500)


def race_standing_apply(result) -> None:
    """A new result of a racer: update their row if it is their best, then re-rank.
    Call inside the transaction that stores the result."""
    from racing.models import Result

    race = result.race
    # One board update at a time per race (workers record results concurrently).
    lock_rows(Race.objects.filter(pk=race.pk))
    submissions = Result.objects.filter(race=race, racer_id=result.racer_id).count()
    row = RaceStanding.objects.select_for_update().filter(race=race, racer_id=result.racer_id).first()
    if row is None:
        row = RaceStanding(race=race, racer_id=result.racer_id, rank=0, points=0)
        _fill_standing(row, result)
        row.submissions = submissions
        row.save()
    else:
        row.submissions = submissions
        if _result_key(result) < _standing_key(row):
            _fill_standing(row, result)
        row.save()
    _race_rerank(race)


def standings_rebuild(race: Race) -> None:
    """Rebuild the race's board from all its results, then the season's standings."""
    from racing.models import Result

    with transaction.atomic():
        lock_rows(Race.objects.filter(pk=race.pk))
        best: dict[int, Result] = {}
        counts: dict[int, int] = {}
        for result in Result.objects.filter(race=race).select_related("submission"):
            counts[result.racer_id] = counts.get(result.racer_id, 0) + 1
            current = best.get(result.racer_id)
            if current is None or _result_key(result) < _result_key(current):
                best[result.racer_id] = result
        existing = {row.racer_id: row for row in RaceStanding.objects.filter(race=race)}
        new_rows, updated = [], []
        for racer_id, result in best.items():
            row = existing.pop(racer_id, None)
            if row is None:
                row = RaceStanding(race=race, racer_id=racer_id, rank=0, points=0)
                new_rows.append(row)
            else:
                updated.append(row)
            _fill_standing(row, result)
            row.submissions = counts[racer_id]
        if existing:
            RaceStanding.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
        RaceStanding.objects.bulk_create(new_rows, batch_size=500)
        fields = [
            "result", "finished", "time_s", "best_lap_s", "laps", "progress",
            "off_track_count", "submitted_at", "submissions",
        ]  # fmt: skip
        RaceStanding.objects.bulk_update(updated, fields, batch_size=500)
        _race_rerank(race)
        season_standings_rebuild(race.season)


def season_standings_rebuild(season: Season) -> None:
    """Sum the points of every race of the season per racer and rank them: points, then
    wins, then best rank, then races entered, then alias."""
    with transaction.atomic():
        lock_rows(Season.objects.filter(pk=season.pk))
        totals = (
            RaceStanding.objects.filter(race__season=season)
            .values("racer_id", "racer__alias")
            .annotate(
                total=Sum("points"),
                races=Count("id"),
                wins=Count("id", filter=Q(rank=1, finished=True)),
                best=Min("rank"),
            )
        )
        ordered = sorted(
            totals,
            key=lambda t: (-t["total"], -t["wins"], t["best"], -t["races"], t["racer__alias"].lower()),
        )
        existing = {row.racer_id: row for row in SeasonStanding.objects.filter(season=season)}
        new_rows, changed = [], []
        for rank, t in enumerate(ordered, start=1):
            values = {
                "rank": rank,
                "points": t["total"],
                "races": t["races"],
                "wins": t["wins"],
                "best_rank": t["best"],
            }
            row = existing.pop(t["racer_id"], None)
            if row is None:
                new_rows.append(SeasonStanding(season=season, racer_id=t["racer_id"], **values))
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                changed.append(row)
        if existing:
            SeasonStanding.objects.filter(pk__in=[r.pk for r in existing.values()]).delete()
        SeasonStanding.objects.bulk_create(new_rows, batch_size=500)
        SeasonStanding.objects.bulk_update(
            changed, ["rank", "points", "races", "wins", "best_rank"], batch_size=500
        )


def api_token_rotate(user) -> "Token":
    """A new API token for `user`; the old one stops working at once."""
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)
