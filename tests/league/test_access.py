"""league/access.py, the one place for who sees and does what: managing races, seeing
races (public, unlisted, private), listing them, seeing replays and tracks."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from league import access
from league.community import entrant_join, role_revoke
from racing.entrants import entrant_remove
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class People:
    def __init__(self):
        self.fran = f.facilitator("Fran")  # runs the races
        self.olga = f.facilitator("Olga")  # another facilitator
        self.ann = f.racer("Ann")  # joined
        self.cyd = f.racer("Cyd")  # joined, then removed
        self.oscar = f.racer("Oscar")  # outsider
        self.admin = f.racer("Admin", staff=True)
        self.anonymous = AnonymousUser()

    def user(self, who: str):
        person = getattr(self, who)
        return getattr(person, "user", person)


@pytest.fixture
def people():
    return People()


def _race(people, visibility: str, replay_visibility: str = "everyone"):
    race = f.community_race(people.fran, visibility=visibility, replay_visibility=replay_visibility)
    entrant_join(race, people.ann)
    entrant_join(race, people.cyd)
    entrant_remove(race, people.cyd)
    return race


def test_who_manages_a_race(people):
    race = _race(people, "public")
    assert [access.can_manage(race, people.user(w)) for w in ("fran", "olga", "ann", "admin", "anonymous")] == [
        True, False, False, True, False,
    ]  # fmt: skip
    league = f.race()
    assert not access.can_manage(league, people.user("fran")) and access.can_manage(league, people.user("admin"))
    role_revoke(people.fran.user, "facilitator")
    fran = type(people.fran.user).objects.get(pk=people.fran.user.pk)
    assert not access.can_manage(race, fran)


@pytest.mark.parametrize(
    "visibility, sees",
    [
        ("public", {"fran", "olga", "ann", "cyd", "oscar", "admin", "anonymous"}),
        ("unlisted", {"fran", "olga", "ann", "cyd", "oscar", "admin", "anonymous"}),
        ("private", {"fran", "ann", "admin"}),
    ],
)
def test_who_sees_a_race(people, visibility, sees):
    race = _race(people, visibility)
    everyone = ("fran", "olga", "ann", "cyd", "oscar", "admin", "anonymous")
    assert {w for w in everyone if access.race_visible_to(race, people.user(w))} == sees
    # the query agrees with the rule
    assert {w for w in everyone if access.visible_races(people.user(w)).filter(pk=race.pk).exists()} == sees


@pytest.mark.parametrize(
    "visibility, lists",
    [
        ("public", {"fran", "olga", "ann", "cyd", "oscar", "admin", "anonymous"}),
        ("unlisted", {"fran", "ann"}),
        ("private", {"fran", "ann"}),
    ],
)
def test_who_gets_a_race_listed(people, visibility, lists):
    race = _race(people, visibility)
    everyone = ("fran", "olga", "ann", "cyd", "oscar", "admin", "anonymous")
    assert {w for w in everyone if access.listed_races(people.user(w)).filter(pk=race.pk).exists()} == lists
    assert not access.listed_races(people.user("anonymous")).filter(season__isnull=False).exists()


@pytest.mark.parametrize(
    "setting, sees",
    [
        ("everyone", {"fran", "ann", "bob", "cyd", "oscar", "admin", "anonymous"}),
        ("participants", {"fran", "ann", "bob", "admin"}),
        ("owner", {"fran", "ann", "admin"}),
    ],
)
def test_who_sees_anns_replay_in_a_public_race(people, setting, sees):
    race = _race(people, "public", replay_visibility=setting)
    people.bob = f.racer("Bob")
    entrant_join(race, people.bob)
    everyone = ("fran", "ann", "bob", "cyd", "oscar", "admin", "anonymous")
    assert {w for w in everyone if access.replay_visible_to(race, people.ann.pk, people.user(w))} == sees


def test_a_private_race_hides_its_replays_from_outsiders_whatever_the_setting(people):
    race = _race(people, "private", replay_visibility="everyone")
    assert access.replay_visible_to(race, people.ann.pk, people.user("ann"))
    assert not access.replay_visible_to(race, people.ann.pk, people.user("oscar"))
    # a removed racer no longer sees even their own replays: the race is gone for them
    assert not access.replay_visible_to(race, people.cyd.pk, people.user("cyd"))


def test_who_sees_a_facilitators_own_track(people):
    track = f.track("fran-loop")
    track.is_public, track.uploaded_by = False, people.fran.user
    track.save()
    public = f.track("oval-loop")
    seen = lambda who: set(access.visible_tracks(people.user(who)).values_list("slug", flat=True))  # noqa: E731
    assert seen("fran") == seen("admin") == {"fran-loop", "oval-loop"}
    assert seen("oscar") == seen("anonymous") == seen("olga") == {"oval-loop"}
    race = f.community_race(people.fran, on=track, visibility="private")
    entrant_join(race, people.ann)
    assert seen("ann") == {"fran-loop", "oval-loop"} and seen("oscar") == {"oval-loop"}
    race.visibility = "public"
    race.save()
    assert "fran-loop" in seen("anonymous")  # whoever sees a race sees its track
    assert public.is_public
