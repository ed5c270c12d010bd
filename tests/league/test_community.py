"""Community races in the league's services: the facilitator role (granted and revoked by
an admin), creating with the defaults, what may change once a race opens, closing,
invites and joining."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from league import access, community, rules
from league.models import RaceEntrant
from racing.entrants import entrant_remove
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fresh(user):
    """The user as the next request loads it (permissions are cached per object)."""
    return type(user).objects.get(pk=user.pk)


# --- Roles --------------------------------------------------------------------------------


def test_grant_role_command_grants_and_revokes(capsys):
    ada = f.racer("Ada", username="ada")
    assert not access.is_facilitator(fresh(ada.user))
    call_command("grant_role", "ada", "facilitator")
    assert "facilitator role granted" in capsys.readouterr().out
    assert access.is_facilitator(fresh(ada.user))
    call_command("grant_role", "ada", "facilitator")  # twice: still one group membership
    assert fresh(ada.user).groups.filter(name=access.FACILITATORS_GROUP).count() == 1
    call_command("grant_role", "ada", "facilitator", "--revoke")
    assert "revoked" in capsys.readouterr().out
    assert not access.is_facilitator(fresh(ada.user))


def test_grant_role_names_a_missing_user_and_an_unknown_role():
    with pytest.raises(CommandError, match="no user 'ghost'"):
        call_command("grant_role", "ghost", "facilitator")
    f.racer(username="bo")
    with pytest.raises(CommandError):
        call_command("grant_role", "bo", "emperor")
    with pytest.raises(ValidationError, match="Unknown role"):
        community.role_grant(f.racer().user, "emperor")


def test_revoking_a_role_never_granted_changes_nothing():
    user = f.racer().user
    community.role_revoke(user, "facilitator")
    assert not Group.objects.filter(name=access.FACILITATORS_GROUP).exists()
    assert not access.is_facilitator(fresh(user))


def test_admins_are_facilitators_without_the_role_and_inactive_users_are_not():
    assert access.is_facilitator(f.racer(staff=True).user)
    fac = f.facilitator()
    fac.user.is_active = False
    fac.user.save()
    assert not access.is_facilitator(fresh(fac.user))
    assert not access.is_facilitator(None)


# --- Creating -----------------------------------------------------------------------------


def test_a_new_race_has_the_community_defaults():
    fran = f.facilitator()
    race = community.community_race_create(owner=fran, track=f.track(), name="  Friday  ")
    defaults = rules.community_defaults()
    assert race.name == "Friday" and race.season is None and race.owner == fran
    assert {k: getattr(race, k) for k in defaults} == defaults
    assert race.closes_at - race.opens_at == rules.DEFAULT_WINDOW
    assert race.replay_visibility == "everyone" and race.invite_token == ""
    assert race.accepting_submissions()


@pytest.mark.parametrize("visibility", ["unlisted", "private"])
def test_unlisted_and_private_races_get_an_invite_and_participant_replays(visibility):
    race = f.community_race(visibility=visibility)
    assert len(race.invite_token) >= 30 and race.replay_visibility == "participants"


def test_settings_errors_name_every_field_in_the_apis_words():
    with pytest.raises(ValidationError) as exc:
        community.community_race_create(owner=f.facilitator(), track=None, name="", laps=0,
                                        timing_method="FASTEST", time_zone="Mars/Base")  # fmt: skip
    assert set(exc.value.message_dict) == {"track", "name", "laps", "ranking", "time_zone"}


def test_naive_times_are_refused_by_the_service():
    naive = timezone.now().replace(tzinfo=None) + timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        f.community_race(opens_at=naive)
    assert "offset" in exc.value.message_dict["opens_at"][0]


# --- Editing and closing ------------------------------------------------------------------


def test_editing_freezes_when_the_race_opens():
    race = f.community_race(opens_at=timezone.now() + timedelta(hours=1))
    community.community_race_update(race, laps=5, timing_method="BEST_LAP_TIME", visibility="private")
    assert (race.laps, race.timing_method) == (5, "BEST_LAP_TIME") and race.invite_token
    race.opens_at = timezone.now() - timedelta(minutes=1)
    race.save()
    with pytest.raises(ValidationError) as exc:
        community.community_race_update(race, laps=6, timing_method="TOTAL_TIME", name="New name")
    assert set(exc.value.message_dict) == {"laps", "ranking"}
    race.refresh_from_db()
    assert race.name != "New name"  # nothing changed
    community.community_race_update(race, name="New name", description="Now open", laps=5)
    assert race.name == "New name"


def test_close_now_and_extend():
    race = f.community_race()
    community.race_close_now(race)
    assert not race.accepting_submissions()
    closed_at = race.closes_at
    community.race_close_now(race)  # closed already: unchanged
    assert race.closes_at == closed_at
    community.community_race_update(race, closes_at=timezone.now() + timedelta(days=1))
    assert race.accepting_submissions()


def test_a_window_over_366_days_is_refused_on_update_too():
    race = f.community_race()
    with pytest.raises(ValidationError) as exc:
        community.community_race_update(race, closes_at=race.opens_at + rules.MAX_WINDOW + timedelta(seconds=1))
    assert list(exc.value.message_dict) == ["closes_at"]


# --- Invites ------------------------------------------------------------------------------


def test_join_reset_and_removal():
    race = f.community_race(visibility="private")
    ann = f.racer("Ann")
    assert community.race_join(racer=ann, invite=race.invite_token) == race
    assert community.race_join(racer=ann, invite=f"  {race.invite_token}  ") == race  # idempotent
    assert RaceEntrant.objects.filter(race=race).count() == 1
    old = race.invite_token
    new = community.invite_reset(race)
    assert new != old
    with pytest.raises(community.InviteInvalid):
        community.race_join(racer=f.racer(), invite=old)
    with pytest.raises(community.InviteInvalid):
        community.race_join(racer=f.racer(), invite="")
    entrant_remove(race, ann)
    with pytest.raises(ValidationError, match="removed you"):
        community.race_join(racer=ann, invite=new)
