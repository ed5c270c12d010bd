"""A racer's models after the upload: rename, delete (archived once it raced), where each
raced, the same files uploaded twice, and the races the garage offers to enter."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from league.community import entrant_join, race_close_now
from racing import selectors
from racing.entrants import entrant_remove
from racing.garage import ModelBusy, model_delete, model_races, model_rename
from racing.models import PolicyModel, Submission
from racing.runner import ModelRejected
from racing.submissions import submission_create
from racing.uploads import SWAPPED, SWAPPED_METADATA, model_upload
from racing.worker import submission_claim, submission_fail
from tests import factories as F
from tests.web.pages.conftest import failed_submission, run_result

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def me():
    return F.racer("Apex Hunter")


def test_rename(me):
    model = F.policy_model(me, name="ppo-v1")
    F.policy_model(me, name="ppo-v2")

    assert model_rename(model, "  ppo-final ").name == "ppo-final"
    with pytest.raises(ValidationError) as caught:
        model_rename(model, "PPO-V2")
    assert "already have a model called 'PPO-V2'" in caught.value.message_dict["name"][0]
    with pytest.raises(ValidationError):
        model_rename(model, "x" * 81)
    with pytest.raises(ValidationError):
        model_rename(model, " ")
    model.refresh_from_db()
    assert model.name == "ppo-final"


def test_a_model_never_entered_is_deleted_with_its_file(me, django_capture_on_commit_callbacks):
    model = F.policy_model(me)
    path = model.onnx.path
    assert os.path.exists(path)

    with django_capture_on_commit_callbacks(execute=True):
        assert model_delete(model) == "deleted"

    assert not PolicyModel.objects.filter(pk=model.pk).exists()
    assert not os.path.exists(path)


def test_a_model_that_raced_is_archived_and_its_results_stay(me, django_capture_on_commit_callbacks):
    race = F.race()
    model = F.policy_model(me, name="ppo-v1")
    result = run_result(me, race, model=model)

    with django_capture_on_commit_callbacks(execute=True):
        assert model_delete(model) == "archived"

    model.refresh_from_db()
    assert model.archived_at is not None and os.path.exists(model.onnx.path)  # re-races need it
    assert model not in selectors.models_of(me)
    assert selectors.race_leaderboard(race).get().result_id == result.pk
    # Its name is free again; the archived one keeps a marked name for its old runs.
    assert model.name.startswith("ppo-v1 · archived")
    assert F.policy_model(me, name="ppo-v1").name == "ppo-v1"


def test_a_model_with_only_failed_runs_is_archived_too(me):
    """Its failed runs counted against the daily compute budget: they stay."""
    race = F.race()
    failed = failed_submission(me, race, "The policy output NaN.")
    assert model_delete(failed.model) == "archived"
    assert Submission.objects.filter(pk=failed.pk).exists()


def test_a_model_racing_now_cannot_go(me):
    race = F.race()
    model = F.policy_model(me, name="busy")
    submission_create(racer=me, model=model, race=race)
    with pytest.raises(ModelBusy, match="“busy” has 1 run queued or racing"):
        model_delete(model)
    assert PolicyModel.objects.get(pk=model.pk).archived_at is None


def test_an_archived_model_cannot_be_entered_from_the_garage(me):
    race = F.race()
    model = F.policy_model(me)
    run_result(me, race, model=model)
    model_delete(model)
    data = selectors.garage(me)
    assert data["models"] == []


def test_where_each_model_raced_with_its_best_result(me, django_assert_max_num_queries):
    oval, gp = F.season(tracks=[F.track("oval-loop"), F.track("grand-prix")]).races.order_by("order")
    fast, slow, idle = F.policy_model(me, name="fast"), F.policy_model(me, name="slow"), F.policy_model(me)
    run_result(me, oval, model=fast, lap_times=[20.0, 20.0, 20.0])
    best = run_result(me, oval, model=fast, lap_times=[19.0, 19.0, 19.0])
    run_result(me, oval, model=slow, finished=False, laps_done=1, progress=0.5)
    submission_fail(submission_claim(submission_create(racer=me, model=fast, race=gp).pk), "NaN")

    with django_assert_max_num_queries(3):
        where = model_races(me, [fast, slow, idle])

    by_race = {w["race"].pk: w for w in where[fast.pk]}
    assert by_race[oval.pk]["runs"] == 2 and by_race[oval.pk]["best"]["result_id"] == best.pk
    assert by_race[oval.pk]["best"]["time_s"] == pytest.approx(57.0)
    assert by_race[gp.pk]["runs"] == 1 and by_race[gp.pk]["best"] is None
    assert where[slow.pk][0]["best"]["finished"] is False and where[slow.pk][0]["best"]["laps"] == 1
    assert idle.pk not in where


def test_the_same_files_again_say_which_model_they_are(me):
    onnx, meta = F.good_state_onnx(), F.state_metadata()
    F.policy_model(me, name="ppo-original", onnx_bytes=onnx, metadata=meta)

    with pytest.raises(ModelRejected) as caught:
        model_upload(owner=me, name="ppo-again", onnx_file=onnx, metadata_file=json.dumps(meta).encode())

    assert "they are your model “ppo-original”" in caught.value.errors["onnx"][0]
    assert PolicyModel.objects.filter(owner=me).count() == 1


def test_another_racers_copy_is_not_a_duplicate(me):
    onnx, meta = F.good_state_onnx(), F.state_metadata()
    F.policy_model(F.racer(), name="theirs", onnx_bytes=onnx, metadata=meta)
    model = model_upload(owner=me, name="mine", onnx_file=onnx, metadata_file=json.dumps(meta).encode())
    assert model.sha256 == PolicyModel.objects.get(name="theirs").sha256


def test_swapped_files_are_named_as_such(me):
    meta = json.dumps(F.state_metadata()).encode()
    with pytest.raises(ModelRejected) as caught:
        model_upload(owner=me, name="swapped", onnx_file=meta, metadata_file=F.good_state_onnx())
    assert caught.value.errors == {"onnx": [SWAPPED], "metadata": [SWAPPED_METADATA]}
    assert "look swapped" in SWAPPED


def test_the_garage_lists_every_race_the_racer_may_enter_now(me):
    season_race = F.race()
    F.race(status="closed")
    public = F.community_race(name="Meet-up Sprint")
    joined_private = F.community_race(name="Club night", visibility="private")
    entrant_join(joined_private, me)
    joined_unlisted = F.community_race(name="Friends", visibility="unlisted")
    entrant_join(joined_unlisted, me)
    F.community_race(name="Someone else's club", visibility="private")
    F.community_race(name="Unlisted, not joined", visibility="unlisted")
    removed_from = F.community_race(name="Removed from")
    entrant_remove(removed_from, me)
    race_close_now(F.community_race(name="Closed early"))
    F.community_race(name="Next week", opens_at=timezone.now() + timedelta(days=7))

    listed = selectors.garage_races(me)

    assert listed == [season_race, public, joined_private, joined_unlisted]
    assert [m.enterable for m in selectors.garage(me)["models"]] == []  # no model yet
    model = F.policy_model(me)
    (row,) = selectors.garage(me)["models"]
    assert row.pk == model.pk and row.enterable == listed
    # Each of them takes the model: the list and the rule agree.
    for race in listed:
        assert submission_create(racer=me, model=model, race=race).race == race


def test_a_race_night_is_listed_for_its_queue_not_entered_from_the_garage(me):
    from nights.control import live_settings_set  # a layer above: the night's rule is added there

    night = F.community_race(name="Thursday Night")
    live_settings_set(night, mode="live")
    model = F.policy_model(me)

    garage = selectors.garage(me)
    (item,) = [i for i in garage["races"] if i["race"] == night]
    assert "race night" in item["elsewhere"] and "/live/" in item["elsewhere"]
    (row,) = garage["models"]
    assert night not in row.enterable  # the Enter menu offers what submission_create takes
