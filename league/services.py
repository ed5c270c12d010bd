"""The league's rules: signing up racers (and the one alias rule), creating, opening and
closing seasons."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from rest_framework.authtoken.models import Token

from simulator.params import (
    LAPS_RANGE,
    OFF_TRACK_PENALTY_RANGE_S,
    SENSORS,
    TIME_CAP_RANGE_S,
    TIMING_METHODS,
)

from . import aliases
from .models import RACE_DEFAULTS, Race, Racer, Season


def lock_rows(queryset) -> list:
    """Take row locks (SELECT ... FOR UPDATE on PostgreSQL; on SQLite the IMMEDIATE
    transaction already holds the database's write lock). Call inside atomic()."""
    return list(queryset.order_by("pk").select_for_update(no_key=True, of=("self",)).values_list("pk", flat=True))


# --- Racers -------------------------------------------------------------------------------


def alias_errors(alias: str, *, racer: Racer | None = None, house: bool = False) -> list[str]:
    """The one alias rule (sign-up, renaming, the API, the admin): league/aliases.py on the
    alias itself, then nobody else's alias may read the same. `racer`: the racer being
    renamed (their own alias is not in the way); `house`: a house driver."""
    alias = aliases.alias_clean(alias)
    if problems := aliases.alias_problems(alias, house=house):
        return problems
    others = Racer.objects.filter(Q(alias_key=aliases.alias_key(alias)) | Q(alias__iexact=alias))
    if racer is not None and racer.pk is not None:
        others = others.exclude(pk=racer.pk)
    other = others.first()
    if other is None:
        return []
    if other.alias.casefold() == alias.casefold():
        return [f"The alias {alias!r} is taken; choose another."]
    return [f"The alias {alias!r} reads the same as {other.alias!r}, another racer's; choose another."]


def email_errors(email: str) -> list[str]:
    try:
        validate_email(email)
    except ValidationError:
        return [f"{email!r} is not an email address; write it as name@example.org (or leave it empty)."]
    return []


def signup_errors(
    *, username: str, password: str, alias: str, email: str = "", house: bool = False
) -> dict[str, list[str]]:
    """Everything wrong with a sign-up at once, {field: [messages]}; empty when it is fine."""
    User = get_user_model()
    username = (username or "").strip()
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
    if problems := alias_errors(alias, house=house):
        errors["alias"] = problems
    email = (email or "").strip()
    if email and (problems := email_errors(email)):
        errors["email"] = problems
    if not password:
        errors["password"] = ["Choose a password."]
    else:
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            errors["password"] = list(exc.messages)
    return errors


@transaction.atomic
def racer_signup(
    *, username: str, password: str, alias: str, email: str = "", is_house: bool = False
) -> Racer:
    """Create a user and their racer. `email` is optional (it is what lets them recover
    the account). Raises ValidationError({field: [messages]}) with every problem at once."""
    if errors := signup_errors(username=username, password=password, alias=alias, email=email, house=is_house):
        raise ValidationError(errors)
    User = get_user_model()
    user = User.objects.create_user(
        username=username.strip(), password=password, email=User.objects.normalize_email((email or "").strip())
    )
    return Racer.objects.create(user=user, alias=aliases.alias_clean(alias), is_house=is_house)


def racer_for_user(user) -> Racer | None:
    """The racer of a user; staff created with createsuperuser get one on first use."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.racer
    except Racer.DoesNotExist:
        pass
    base = aliases.alias_clean(user.get_username())[: aliases.MAX_LENGTH - 4]
    alias, suffix = base, 1
    while Racer.objects.filter(Q(alias_key=aliases.alias_key(alias)) | Q(alias__iexact=alias)).exists():
        suffix += 1
        alias = f"{base}-{suffix}"
    racer, _ = Racer.objects.get_or_create(user=user, defaults={"alias": alias})
    return racer


# --- Seasons ------------------------------------------------------------------------------


def race_rules_errors(
    *, laps: int, timing_method: str, off_track_penalty_s: float, time_cap_s: float, allowed_sensors
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    low, high = LAPS_RANGE
    if not low <= int(laps) <= high:
        errors["laps"] = [f"Laps must be between {low} and {high}."]
    if timing_method not in TIMING_METHODS:
        errors["timing_method"] = [f"Timing method must be one of {', '.join(TIMING_METHODS)}."]
    low, high = OFF_TRACK_PENALTY_RANGE_S
    if not low <= float(off_track_penalty_s) <= high:
        errors["off_track_penalty_s"] = [f"The off-track penalty must be between {low:g} and {high:g} s."]
    low, high = TIME_CAP_RANGE_S
    if not low <= float(time_cap_s) <= high:
        errors["time_cap_s"] = [f"The time cap must be between {low:g} and {high:g} s."]
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
    laps: int = RACE_DEFAULTS.laps,
    timing_method: str = RACE_DEFAULTS.timing_method,
    off_track_penalty_s: float = RACE_DEFAULTS.off_track_penalty_s,
    time_cap_s: float = RACE_DEFAULTS.time_cap_s,
    allowed_sensors=RACE_DEFAULTS.allowed_sensors,
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


class SeasonClosed(ValidationError):
    """A closed season stays closed: its boards are frozen."""

    def __init__(self, season: Season):
        super().__init__(
            f"The season {season.slug!r} is closed; only a draft season can be opened. "
            "Create a new season instead."
        )


def season_open(season: Season) -> Season:
    """Open a draft season; the season that was open closes (its races take no more
    submissions and its boards freeze). Opening the open season changes nothing; a
    closed season raises SeasonClosed."""
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
        if target.status == Season.Status.CLOSED:
            raise SeasonClosed(target)
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


def api_token_get(user) -> Token:
    """The user's API token, made on first use."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


def api_token_rotate(user) -> Token:
    """A new API token for `user`; the old one stops working at once."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)
