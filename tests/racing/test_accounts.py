"""Deleting an account: the models go, results stay on final boards under "Deleted
racer" (or go too, on request, with the boards rebuilt)."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from rest_framework.authtoken.models import Token

from league import selectors as league_selectors
from league.models import Racer
from league.services import api_token_get
from racing import selectors
from racing.accounts import account_delete
from racing.models import PolicyModel, Result, SeasonStanding, Submission
from tests import factories as F
from tests.web.pages.conftest import failed_submission, run_result

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def league():
    """A closed season's race (a final board) and an open one's, both with the leaver
    ahead of the stayer; the leaver also has a failed run and a model never entered."""
    leaver, stayer = F.racer("Leaver", username="leaver"), F.racer("Stayer")
    old = F.race(slug="old")
    for racer, lap in ((leaver, 19.0), (stayer, 21.0)):
        run_result(racer, old, lap_times=[lap] * 3)
    new = F.race(slug="new")  # opening it closes the old season
    for racer, lap in ((leaver, 19.0), (stayer, 21.0)):
        run_result(racer, new, lap_times=[lap] * 3)
    failed = failed_submission(leaver, new, "NaN at step 3.")
    idle = F.policy_model(leaver, name="never-raced")
    api_token_get(leaver.user)
    old.refresh_from_db()
    return {"leaver": leaver, "stayer": stayer, "old": old, "new": new, "failed": failed, "idle": idle}


def _board(race) -> list[tuple[int, str]]:
    return [(row["rank"], row["racer"]) for row in selectors.race_leaderboard_rows(race)]


def test_a_wrong_password_changes_nothing(league):
    with pytest.raises(ValidationError) as caught:
        account_delete(league["leaver"], password="not it")
    assert "not your password" in caught.value.message_dict["password"][0]
    assert get_user_model().objects.filter(username="leaver").exists()
    assert PolicyModel.objects.filter(owner=league["leaver"]).count() == 2


def test_results_stay_on_final_boards_under_deleted_racer(league, django_capture_on_commit_callbacks):
    leaver = league["leaver"]
    files = [m.onnx.path for m in PolicyModel.objects.filter(owner=leaver)]
    assert all(os.path.exists(p) for p in files)

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(leaver, password=F.PASSWORD)

    leaver.refresh_from_db()
    gone = f"Deleted racer {leaver.pk}"
    assert leaver.alias == gone and leaver.user is None and leaver.deleted_at is not None
    assert not get_user_model().objects.filter(username="leaver").exists()
    assert not Token.objects.filter(user__username="leaver").exists()
    # The closed season's board is history; the open race's board goes on without them.
    assert _board(league["old"]) == [(1, gone), (2, "Stayer")]
    assert _board(league["new"]) == [(1, "Stayer")]
    assert [s.racer.alias for s in selectors.season_standings(league["new"].season)] == ["Stayer"]
    # Models: gone from sight, files deleted; the one never entered and the failed run go.
    assert not any(os.path.exists(p) for p in files)
    assert not PolicyModel.objects.filter(pk=league["idle"].pk).exists()
    assert not Submission.objects.filter(pk=league["failed"].pk).exists()
    assert all(m.archived_at for m in PolicyModel.objects.filter(owner=leaver))
    # Nobody looks the deleted racer up; their alias is free again.
    with pytest.raises(Racer.DoesNotExist):
        league_selectors.racer_get(gone)
    assert F.racer("Leaver").alias == "Leaver"


def test_remove_my_results_too(league, django_capture_on_commit_callbacks):
    leaver = league["leaver"]
    with django_capture_on_commit_callbacks(execute=True):
        account_delete(leaver, password=F.PASSWORD, remove_results=True)

    assert not Racer.objects.filter(pk=leaver.pk).exists()
    assert not Result.objects.filter(racer_id=leaver.pk).exists()
    assert not get_user_model().objects.filter(username="leaver").exists()
    assert _board(league["old"]) == [(1, "Stayer")]
    assert _board(league["new"]) == [(1, "Stayer")]
    old_points = SeasonStanding.objects.get(season=league["old"].season)
    assert (old_points.racer.alias, old_points.rank, old_points.points) == ("Stayer", 1, 25)
