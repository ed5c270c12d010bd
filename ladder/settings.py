"""A head-to-head race's ladder settings as its organiser sets them (the API's `ladder`
object, the organise page's ladder fields): the duels' grid, the match budget per hour
and the size of the finals.

The grid and the finals' size are part of the race's rules: like the format, they are
fixed once the race opens (the finals' size until the finals start, for a race whose
opening the organiser moved). The match budget is the organiser's to change at any time:
it paces the CPU the ladder uses, not the racing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from league import rules
from simulator.duel import STARTS

from .models import DEFAULT_MATCHES_PER_HOUR, FINALS_SIZES, MATCHES_PER_HOUR_RANGE, Bracket, LadderRules

# API name: the LadderRules field.
FIELDS = {"duel_start": "start", "matches_per_hour": "matches_per_hour", "finals_size": "finals_size"}
CHANGEABLE_ONCE_OPEN = ("matches_per_hour",)
DEFAULTS = {"duel_start": STARTS[0], "matches_per_hour": DEFAULT_MATCHES_PER_HOUR,
            "finals_size": LadderRules._meta.get_field("finals_size").default}


def ladder_settings(race) -> dict:
    """The race's ladder settings by their API names (the defaults for a race without
    a LadderRules row)."""
    stored = LadderRules.objects.filter(race=race).first()
    if stored is None:
        return dict(DEFAULTS)
    return {api: getattr(stored, field) for api, field in FIELDS.items()}


def ladder_settings_errors(race, values: dict, *, creating: bool = False, now=None) -> dict[str, list[str]]:
    """{API name: [message]} for these settings of `race` (`creating`: the race is being made
    with them, even if it opens at once); {} when they are fine."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(values) - set(FIELDS))
    for name in unknown:
        errors[name] = [f"Unknown ladder setting; the settings are: {', '.join(FIELDS)}."]
    if race.format != "head_to_head":
        errors["format"] = ["Ladder settings are for head-to-head races: give format head_to_head with them."]
        return errors
    if "duel_start" in values and values["duel_start"] not in STARTS:
        errors["duel_start"] = [f"duel_start is one of {', '.join(STARTS)}."]
    if "matches_per_hour" in values:
        low, high = MATCHES_PER_HOUR_RANGE
        value = values["matches_per_hour"]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            errors["matches_per_hour"] = [f"matches_per_hour must be a whole number between {low} and {high}."]
    if "finals_size" in values and values["finals_size"] not in FINALS_SIZES:
        errors["finals_size"] = [f"finals_size is one of {', '.join(map(str, FINALS_SIZES))}."]
    if race.pk is not None and not creating:
        current = ladder_settings(race)
        changed = [name for name in FIELDS if name in values and values[name] != current[name]]
        if rules.race_opened(race, now):
            for name in changed:
                if name not in CHANGEABLE_ONCE_OPEN:
                    errors.setdefault(name, []).append(
                        "The race has opened: the grid and the finals' size stay as they are; the match budget "
                        "(matches_per_hour) can still change.")
        if "finals_size" in changed and Bracket.objects.filter(race=race).exists():
            errors.setdefault("finals_size", []).append("The finals have started: their size cannot change.")
    return errors


def ladder_settings_set(race, *, creating: bool = False, **values) -> dict:
    """Store the given ladder settings of a head-to-head race (the others keep their
    values); the settings after. ValidationError({API name: [message]}) otherwise."""
    errors = ladder_settings_errors(race, values, creating=creating)
    if errors:
        raise ValidationError(errors)
    if values:
        with transaction.atomic():
            stored, _ = LadderRules.objects.select_for_update().get_or_create(race=race)
            for api, value in values.items():
                setattr(stored, FIELDS[api], value)
            stored.save(update_fields=[FIELDS[api] for api in values])
    return ladder_settings(race)
