"""Aliases are unique as they read (NFKC, case folding, separators), and the league's own
prefixes ("House…", "Deleted racer…") are reserved: one rule for sign-up, renaming, the
API and the admin."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from league import aliases
from league.accounts import account_update
from league.models import Racer
from league.services import alias_errors, racer_signup
from tests import factories as F

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.mark.parametrize(
    "a, b",
    [
        ("Max Q", "max q"),
        ("Max Q", "MAX-Q"),
        ("Max Q", "MaxQ"),
        ("Max Q", "Ｍａｘ Ｑ"),  # full-width letters
        ("Strasse", "STRAßE"),  # case folding, not lower(): ß is ss
        ("House: Pure Pursuit", "house：pure pursuit"),  # full-width colon
        ("Ligature fi", "Ligature ﬁ"),
    ],
)
def test_aliases_that_read_the_same_share_a_key(a, b):
    assert aliases.alias_key(a) == aliases.alias_key(b)


def test_different_aliases_keep_different_keys():
    assert aliases.alias_key("Max Q") != aliases.alias_key("Max Q2")
    assert aliases.alias_key("Lidar Lisa") != aliases.alias_key("Lidar Liza")


@pytest.mark.parametrize(
    "alias",
    ["House: Pure Pursuit 2", "house：pure pursuit 2", "HOUSE - Tiny MLP", "House∶ Steady Eddie",
     "Ｈｏｕｓｅ: Line Spotter", "Deleted racer 12", "deleted  racer x"],
)
def test_the_leagues_prefixes_are_reserved(alias):
    problems = alias_errors(alias)
    assert any("House" in p and "Deleted racer" in p for p in problems), problems


def test_a_word_that_only_starts_like_house_is_fine():
    assert alias_errors("Housecat") == []
    assert alias_errors("Lighthouse: Beam") == []


def test_a_house_driver_may_carry_its_prefix():
    racer = racer_signup(username="house-pp", password=F.PASSWORD, alias="House: Pure Pursuit", is_house=True)
    assert racer.alias == "House: Pure Pursuit" and racer.is_house


@pytest.mark.parametrize("pose", ["house：pure pursuit", "HOUSE: PURE-PURSUIT", "House Pure Pursuit"])
def test_nobody_poses_as_a_house_driver(pose):
    racer_signup(username="house-pp", password=F.PASSWORD, alias="House: Pure Pursuit", is_house=True)
    with pytest.raises(ValidationError) as caught:
        racer_signup(username="poser", password=F.PASSWORD, alias=pose)
    assert "alias" in caught.value.message_dict
    assert not Racer.objects.filter(user__username="poser").exists()


@pytest.mark.parametrize("pose", ["drift king", "DRIFT-KING", "Ｄｒｉｆｔ Ｋｉｎｇ", "Drift_King", "driftking."])
def test_nobody_poses_as_another_racer(pose):
    F.racer("Drift King")
    problems = alias_errors(pose)
    assert problems and ("is taken" in problems[0] or "reads the same as 'Drift King'" in problems[0]), problems


def test_mixed_lookalike_scripts_are_refused():
    problems = alias_errors("Drіft King")  # a Cyrillic і
    assert any("one alphabet" in p for p in problems), problems
    assert alias_errors("Дрифт Кинг") == []  # one script is fine
    assert alias_errors("速い車") == []


def test_the_stored_alias_is_normalised():
    racer = F.racer("Ｍａｘ  Ｑ")
    assert racer.alias == "Max Q" and racer.alias_key == "maxq"


def test_the_database_refuses_a_second_racer_with_the_same_key():
    F.racer("Max Q")
    other = F.racer("Someone")
    other.alias = "max-q"
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()


def test_renaming_follows_the_same_rule():
    F.racer("Drift King")
    me = F.racer("Apex Hunter")
    with pytest.raises(ValidationError) as caught:
        account_update(me, alias="DRIFT-KING")
    assert "reads the same" in caught.value.message_dict["alias"][0]
    with pytest.raises(ValidationError):
        account_update(me, alias="House: Apex")
    account_update(me, alias="apex hunter")  # their own alias, another case: fine
    me.refresh_from_db()
    assert me.alias == "apex hunter" and me.alias_key == "apexhunter"


def test_the_admin_applies_the_rule(rf):
    F.racer("Drift King")
    racer = F.racer("Apex Hunter")
    request = rf.get("/admin/")
    request.user = F.racer("Organiser", staff=True).user
    RacerAdminForm = admin.site._registry[Racer].get_form(request, racer)
    fields = {"user": racer.user_id, "is_house": False, "created_at_0": "2026-11-01", "created_at_1": "10:00"}

    form = RacerAdminForm(data={**fields, "alias": "House: Apex"}, instance=racer)
    assert not form.is_valid() and "alias" in form.errors
    form = RacerAdminForm(data={**fields, "alias": "ｄｒｉｆｔ-ｋｉｎｇ"}, instance=racer)
    assert not form.is_valid() and "reads the same" in form.errors["alias"][0]
    form = RacerAdminForm(data={**fields, "alias": "House: Apex", "is_house": True}, instance=racer)
    assert form.is_valid(), form.errors
    form = RacerAdminForm(data={**fields, "alias": "Apex  Hunter 2"}, instance=racer)
    assert form.is_valid(), form.errors
    assert form.save().alias == "Apex Hunter 2"


def test_the_api_signup_applies_the_rule(client):
    F.racer("Drift King")
    response = F.api_client().post(
        "/api/auth/signup/",
        {"username": "poser", "password": F.PASSWORD, "alias": "house：pure pursuit 2"},
        format="json",
    )
    assert response.status_code == 400
    assert "House" in response.json()["alias"][0]
    response = F.api_client().post(
        "/api/auth/signup/", {"username": "poser", "password": F.PASSWORD, "alias": "DRIFT-KING"}, format="json"
    )
    assert response.status_code == 400 and "reads the same" in response.json()["alias"][0]
