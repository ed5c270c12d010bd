"""A head-to-head race's ladder settings as organisers set them: stored by their API
names, checked against the bounds, the format and the race's progress (opened, finals
started), every refusal naming the setting and the fix."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ladder.bracket import finals_start
from ladder.models import LadderRules
from ladder.settings import DEFAULTS, ladder_settings, ladder_settings_errors, ladder_settings_set
from league.models import Race
from tests import factories as f
from tests.ladder.test_bracket import _ladder

pytestmark = pytest.mark.django_db


def _upcoming_h2h() -> Race:
    race = f.race()
    race.format, race.season, race.owner = "head_to_head", None, f.facilitator("Fran Fac")
    race.opens_at = timezone.now() + timedelta(days=1)
    race.closes_at = race.opens_at + timedelta(days=7)
    race.save()
    return race


def test_a_race_without_a_row_has_the_defaults_and_setting_some_keeps_the_others():
    race = _upcoming_h2h()
    assert ladder_settings(race) == DEFAULTS
    assert ladder_settings_set(race, finals_size=4) == {**DEFAULTS, "finals_size": 4}
    assert ladder_settings_set(race, duel_start="staggered", matches_per_hour=5) == {
        "duel_start": "staggered", "matches_per_hour": 5, "finals_size": 4}
    stored = LadderRules.objects.get(race=race)
    assert (stored.start, stored.matches_per_hour, stored.finals_size) == ("staggered", 5, 4)


@pytest.mark.parametrize("values, field, phrase", [
    ({"duel_start": "rolling"}, "duel_start", "side_by_side, staggered"),
    ({"matches_per_hour": 0}, "matches_per_hour", "between 1 and 3600"),
    ({"matches_per_hour": 2.5}, "matches_per_hour", "whole number"),
    ({"matches_per_hour": True}, "matches_per_hour", "whole number"),
    ({"finals_size": 6}, "finals_size", "4, 8, 16, 32"),
    ({"grid": "side_by_side"}, "grid", "duel_start, matches_per_hour, finals_size"),
])  # fmt: skip
def test_bad_values_are_refused_by_name_and_nothing_is_stored(values, field, phrase):
    race = _upcoming_h2h()
    with pytest.raises(ValidationError) as caught:
        ladder_settings_set(race, **values)
    assert phrase in " ".join(caught.value.message_dict[field])
    assert not LadderRules.objects.filter(race=race).exists()


def test_another_format_has_no_ladder():
    race = _upcoming_h2h()
    race.format = "time_trial"
    race.save(update_fields=["format"])
    assert "head-to-head" in ladder_settings_errors(race, {"finals_size": 4})["format"][0]
    with pytest.raises(ValidationError):
        ladder_settings_set(race, finals_size=4)
    assert not LadderRules.objects.filter(race=race).exists()


def test_an_opened_race_keeps_its_grid_and_finals_size_but_not_its_budget():
    race = _upcoming_h2h()
    race.opens_at = timezone.now() - timedelta(minutes=1)
    race.save(update_fields=["opens_at"])
    assert ladder_settings_set(race, matches_per_hour=30)["matches_per_hour"] == 30
    errors = ladder_settings_errors(race, {"finals_size": 16, "duel_start": "staggered"})
    assert set(errors) == {"finals_size", "duel_start"} and "has opened" in errors["finals_size"][0]
    # Made with the race, they are the race's first settings, however soon it opens.
    assert ladder_settings_errors(race, {"finals_size": 16}, creating=True) == {}
    # Unchanged values are not changes.
    assert ladder_settings_errors(race, {"finals_size": DEFAULTS["finals_size"]}) == {}


def test_the_finals_size_is_fixed_once_the_finals_started():
    race, _ = _ladder(4)
    race.season, race.opens_at = None, timezone.now() + timedelta(days=1)  # an organiser moved the opening
    race.save(update_fields=["season", "opens_at"])
    finals_start(race)
    assert "finals have started" in ladder_settings_errors(race, {"finals_size": 16})["finals_size"][0]
