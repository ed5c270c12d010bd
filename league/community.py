"""Community races: a facilitator creates a race with its settings, shares the invite
link, racers join; the facilitator closes early or extends. Removing a racer changes the
board, so it is racing's (racing/entrants.py)."""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import datetime, timedelta

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from simulator.formats import FormatError, Obstacles, fixed_objects_from
from simulator.params import SENSORS
from tracks.pictures import sim_track

from . import access, rules
from .models import Race, RaceEntrant, Racer

ROLES = ("facilitator",)


# --- Roles --------------------------------------------------------------------------------


def role_grant(user, role: str) -> None:
    _check_role(role)
    user.groups.add(access.facilitators_group())


def role_revoke(user, role: str) -> None:
    _check_role(role)
    group = Group.objects.filter(name=access.FACILITATORS_GROUP).first()
    if group is not None:
        user.groups.remove(group)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValidationError(f"Unknown role {role!r}; the roles are: {', '.join(ROLES)}.")


# --- Settings -----------------------------------------------------------------------------


def _between(errors: dict, field: str, value, bounds, unit: str = "") -> None:
    low, high = bounds
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors[field] = [f"Give {field} as a number between {low:g} and {high:g}{unit}."]
        return
    if not low <= number <= high:
        errors[field] = [f"{field} must be between {low:g} and {high:g}{unit}; got {number:g}."]


def _whole(errors: dict, field: str, value, bounds) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        low, high = bounds
        errors[field] = [f"Give {field} as a whole number between {low} and {high}."]
    else:
        _between(errors, field, value, bounds)


def format_errors(values: dict) -> dict[str, list[str]]:
    """Every problem with a race's format settings (field names as the model has them),
    by the API's names, each naming the fix. League races (admin, open_season) and
    community races alike."""
    errors: dict[str, list[str]] = {}
    race_format = values.get("format", rules.FORMAT_DEFAULTS.race_type)
    if race_format not in rules.FORMATS:
        errors["format"] = [f"format is one of {', '.join(rules.FORMATS)}."]
    if "object_count" in values:
        _whole(errors, "objects", values["object_count"], rules.OBJECTS_RANGE)
    if "placement" in values and values["placement"] not in rules.PLACEMENTS:
        errors["placement"] = [f"placement is one of {', '.join(rules.PLACEMENTS)}."]
    if "bots" in values:
        _whole(errors, "bots", values["bots"], rules.BOTS_RANGE)
    if "bot_speed_m_s" in values:
        _between(errors, "bot_speed", values["bot_speed_m_s"], rules.BOT_SPEED_RANGE_M_S, " m/s")
    if "bot_lane_change" in values and not isinstance(values["bot_lane_change"], bool):
        errors["bot_lane_change"] = ["bot_lane_change is true or false."]
    if "collision_penalty_s" in values:
        _between(errors, "collision_penalty_s", values["collision_penalty_s"], rules.COLLISION_PENALTY_RANGE_S, " s")
    seed = values.get("seed")
    low, high = rules.SEED_RANGE
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not low <= seed <= high):
        errors["seed"] = [f"Give seed as a whole number from {low} to {high}, or leave it out for a random one."]
    fixed_boxes = race_format == "object_avoidance" and values.get("placement") == "fixed"
    if "fixed_positions" in values or fixed_boxes:
        try:
            fixed = fixed_objects_from(values.get("fixed_positions") or [])
        except FormatError as exc:
            errors["fixed_positions"] = [f"{exc}."]
        else:
            wanted = values.get("object_count", rules.FORMAT_DEFAULTS.objects)
            if fixed_boxes and "objects" not in errors and len(fixed) != wanted:
                errors["fixed_positions"] = [
                    f"Give one position per box: {len(fixed)} given for {wanted} boxes "
                    f"(or set objects to {len(fixed)})." if fixed else
                    "Fixed placement needs each box's lane and % of the lap, e.g. inside:20, outside:45."
                ]
    return errors


def format_values(values: dict) -> dict:
    """`values` with the fixed positions stored one way: a list of {lane, progress_pct}."""
    if "fixed_positions" in values:
        fixed = fixed_objects_from(values["fixed_positions"])
        values = {**values, "fixed_positions": [f.to_dict() for f in fixed]}
    return values


def format_fit_errors(race: Race) -> dict[str, list[str]]:
    """Whether the race's boxes or bots fit its track (room for N boxes, fixed positions
    clear of the start line): the simulator places them, as the worker will, and its
    message names the fix. Nothing to check in a time trial."""
    if race.format == "time_trial" or race.track_id is None:
        return {}
    try:
        track = sim_track(race.track)
        Obstacles(track.reversed() if race.reversed else track, rules.race_format(race))
    except FormatError as exc:
        field = "fixed_positions" if race.placement == "fixed" and race.format == "object_avoidance" else "format"
        return {field: [f"{exc}."]}
    return {}


def settings_errors(values: dict, *, now: datetime, creating: bool) -> dict[str, list[str]]:
    """Every problem with a community race's settings, by field, each naming the fix."""
    errors: dict[str, list[str]] = {}
    if "name" in values and not str(values["name"] or "").strip():
        errors["name"] = ["Give the race a name."]
    elif len(str(values.get("name") or "")) > 120:
        errors["name"] = ["Use at most 120 characters for the name."]
    if len(str(values.get("description") or "")) > 5000:
        errors["description"] = ["Use at most 5000 characters for the description."]
    if "direction" in values and values["direction"] not in Race.Direction.values:
        errors["direction"] = [f"direction is one of {', '.join(Race.Direction.values)}."]
    if "timing_method" in values and values["timing_method"] not in rules.RANKINGS.values():
        errors["ranking"] = [f"ranking is one of {', '.join(rules.RANKINGS)}."]
    for field, bounds in (("laps", rules.LAPS_RANGE), ("off_track_limit", rules.OFF_TRACK_LIMIT_RANGE),
                          ("total_quota", rules.QUOTA_RANGE), ("daily_quota", rules.QUOTA_RANGE)):
        if field in values:
            _whole(errors, field, values[field], bounds)
    if "off_track_penalty_s" in values:
        _between(errors, "off_track_penalty_s", values["off_track_penalty_s"], rules.OFF_TRACK_PENALTY_RANGE_S, " s")
    if "time_cap_s" in values:
        _between(errors, "time_cap_s", values["time_cap_s"], rules.TIME_CAP_RANGE_S, " s")
    if "allowed_sensors" in values:
        sensors = values["allowed_sensors"]
        if not isinstance(sensors, (list, tuple)) or not sensors or any(s not in SENSORS for s in sensors):
            errors["allowed_sensors"] = [f"Allow one or more of {', '.join(SENSORS)}."]
    if "time_zone" in values:
        try:
            zoneinfo.ZoneInfo(str(values["time_zone"]))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = [f"{values['time_zone']!r} is not a time zone; use an IANA name like Europe/Paris."]
    if "visibility" in values and values["visibility"] not in Race.Visibility.values:
        errors["visibility"] = [f"visibility is one of {', '.join(Race.Visibility.values)}."]
    if "replay_visibility" in values and values["replay_visibility"] not in Race.ReplayVisibility.values:
        errors["replay_visibility"] = [f"replay_visibility is one of {', '.join(Race.ReplayVisibility.values)}."]
    errors.update(format_errors(values))
    opens, closes = values.get("opens_at"), values.get("closes_at")
    for field, when in (("opens_at", opens), ("closes_at", closes)):
        if when is not None and timezone.is_naive(when):
            errors[field] = [f"Give {field} with its time zone (ISO 8601 with an offset)."]
    if "opens_at" not in errors and "closes_at" not in errors and opens and closes:
        if closes <= opens:
            errors["closes_at"] = ["The race must close after it opens."]
        elif closes - opens > rules.MAX_WINDOW:
            errors["closes_at"] = [f"A race runs for at most {rules.MAX_WINDOW.days} days."]
        elif creating and closes <= now:
            errors["closes_at"] = ["The close time has passed; choose one in the future."]
    return errors


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def community_race_create(*, owner: Racer, track, name: str, **settings) -> Race:
    """A community race run by `owner` (a facilitator), the defaults filled in. Raises
    ValidationError({field: [messages]})."""
    now = timezone.now()
    penalty = rules.off_track_penalty_default_s(settings.get("format", rules.FORMAT_DEFAULTS.race_type))
    values = {**rules.community_defaults(), "off_track_penalty_s": penalty, "opens_at": now, **settings, "name": name}
    if values.get("seed") is None:
        values.pop("seed", None)  # the model draws one
    values["closes_at"] = values.get("closes_at") or values["opens_at"] + rules.DEFAULT_WINDOW
    if not values.get("replay_visibility"):
        values["replay_visibility"] = rules.default_replay_visibility(values["visibility"])
    errors = settings_errors(values, now=now, creating=True)
    if track is None:
        errors["track"] = ["Choose a track (its slug)."]
    _raise(errors)
    values["name"] = values["name"].strip()
    values = format_values(values)
    _raise(format_fit_errors(Race(track=track, **values)))
    with transaction.atomic():
        race = Race.objects.create(owner=owner, track=track, season=None, **values)
        if race.visibility != Race.Visibility.PUBLIC:
            race.invite_token = secrets.token_urlsafe(24)
            race.save(update_fields=["invite_token"])
    return race


def community_race_update(race: Race, **changes) -> Race:
    """Change a community race's settings: any of them until it opens; afterwards the
    name, description and close time (close early, extend)."""
    now = timezone.now()
    if "seed" in changes and changes["seed"] is None:
        del changes["seed"]  # "no seed given" keeps the one drawn at creation
    errors: dict[str, list[str]] = {}
    if not race.is_community:
        errors["race"] = ["League races are set in the season (Django admin)."]
    opened = rules.race_opened(race, now)
    if opened:
        for field, value in changes.items():
            if field not in rules.CHANGEABLE_ONCE_OPEN and value != getattr(race, field):
                errors[rules.API_NAMES.get(field, field)] = [
                    "The race has opened: only the name, the description and the close time can change."
                ]
        closes = changes.get("closes_at")
        if closes is not None and closes < now - timedelta(seconds=1):
            errors["closes_at"] = ["A race cannot close in the past; to close early, close it now."]
    # The format's settings are checked together (fixed positions against the boxes).
    merged = {**{f: getattr(race, f) for f in ("opens_at", "closes_at", *rules.FORMAT_FIELDS)}, **changes}
    errors.update({k: v for k, v in settings_errors(merged, now=now, creating=False).items() if k not in errors})
    _raise(errors)
    changes = format_values(changes)
    if not opened and set(changes) & {*rules.FORMAT_FIELDS, "track", "direction"}:
        fitted = Race(**{**{f: getattr(race, f) for f in (*rules.FORMAT_FIELDS, "direction")}, **changes,
                         "track": changes.get("track", race.track)})
        _raise(format_fit_errors(fitted))
    with transaction.atomic():
        for field, value in changes.items():
            setattr(race, field, value.strip() if field == "name" else value)
        if race.visibility != Race.Visibility.PUBLIC and not race.invite_token:
            race.invite_token = secrets.token_urlsafe(24)
        race.save()
    return race


def race_close_now(race: Race) -> Race:
    """Close early: no more submissions from now; the board freezes."""
    now = timezone.now()
    if race.closes_at is None or race.closes_at > now:
        race.closes_at = now
        race.save(update_fields=["closes_at"])
    return race


def invite_reset(race: Race) -> str:
    """A new invite link; the old one stops working at once."""
    race.invite_token = secrets.token_urlsafe(24)
    race.save(update_fields=["invite_token"])
    return race.invite_token


class InviteInvalid(LookupError):
    """No race has this invite (it was reset, or never existed)."""


def race_join(*, racer: Racer, invite: str) -> Race:
    """Join the race of an invite link. A racer the facilitator removed cannot rejoin."""
    invite = (invite or "").strip()
    race = Race.objects.filter(invite_token=invite).first() if invite else None
    if race is None:
        raise InviteInvalid("This invite link does not work (it may have been reset); ask the facilitator for the current one.")
    entrant_join(race, racer)
    return race


def entrant_join(race: Race, racer: Racer) -> RaceEntrant:
    """Make `racer` an entrant of `race` (idempotent). Raises ValidationError if the
    facilitator removed them."""
    entrant = RaceEntrant.objects.filter(race=race, racer=racer).first()
    if entrant is not None:
        if entrant.removed_at is not None:
            raise ValidationError({"race": ["The facilitator removed you from this race."]})
        return entrant
    try:
        with transaction.atomic():
            return RaceEntrant.objects.create(race=race, racer=racer)
    except IntegrityError:  # joined at the same moment in another request
        return RaceEntrant.objects.get(race=race, racer=racer)
