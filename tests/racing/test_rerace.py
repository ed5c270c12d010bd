"""Re-racing a board's entries on the current simulator version."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from racing.models import RaceStanding, Result, Submission
from racing.quotas import quota_usage
from racing.rerace import race_rerace
from racing.worker import submission_race
from simulator import SIMULATOR_VERSION
from tests import factories as f
from tests.live_support import record_result

pytestmark = pytest.mark.django_db


def test_old_version_entries_are_raced_again_and_replace_the_old_results():
    race = f.race(laps=1)
    ann, bob = f.racer("Ann"), f.racer("Bob")
    old = record_result(ann, race, 30.0)  # raced on "test", not the current version
    record_result(ann, race, 35.0)
    assert old.simulator_version != SIMULATOR_VERSION
    record_result(bob, race, 40.0)
    Result.objects.filter(racer=bob).update(simulator_version=SIMULATOR_VERSION)

    assert race_rerace(race) == 1  # only Ann's entry is on another version
    assert race_rerace(race) == 0  # already queued
    rerace = Submission.objects.get(rerace_of=old)
    assert rerace.model_id == old.submission.model_id and rerace.racer_id == ann.pk
    assert quota_usage(ann, race, rerace.created_at).total == 2  # a re-race is not the racer's

    assert submission_race(rerace.pk) == "finished"
    new = Result.objects.get(submission=rerace)
    assert new.simulator_version == SIMULATOR_VERSION
    assert set(Result.objects.filter(racer=ann, superseded_at__isnull=False).values_list("pk", flat=True)) == {
        old.pk, old.pk + 1,
    }
    board = {row.racer.alias: row for row in RaceStanding.objects.filter(race=race).select_related("racer", "result")}
    assert board["Ann"].result_id == new.pk and board["Ann"].submissions == 1
    assert board["Bob"].result.simulator_version == SIMULATOR_VERSION
    assert race_rerace(race) == 0  # the board is on the current version now


def test_rerace_command_names_what_it_queued(capsys):
    race = f.race()
    record_result(f.racer("Cyd"), race, 31.0)
    call_command("rerace", str(race.pk))
    assert "1 entry queued" in capsys.readouterr().out
    with pytest.raises(Exception, match="no race with id 999999"):
        call_command("rerace", "999999")
