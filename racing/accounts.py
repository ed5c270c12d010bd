"""Deleting a racer's account: their models go (the files deleted) and so do their runs
that never made a result. What they raced stays on the boards that are final (a closed
race or season) under "Deleted racer <id>"; boards still open drop them, as they would
drop a racer the facilitator removed. Asked to, everything goes, results too, and every
board they were on is rebuilt without them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from league.accounts import password_confirms, racer_retire
from league.models import Race, RaceEntrant, Racer, Season
from league.services import lock_rows

from . import signals
from .garage import file_delete_on_commit, model_archive
from .models import PolicyModel, RaceStanding, Result, Submission
from .standings import standings_rebuild


def _board_final(race: Race, now) -> bool:
    """A board that no longer changes: its race closed, or its season."""
    return (race.closes_at is not None and race.closes_at <= now) or (
        race.season is not None and race.season.status == Season.Status.CLOSED
    )


def account_delete(racer: Racer, *, password: str, remove_results: bool = False) -> None:
    """Delete the racer's account once `password` confirms it (ValidationError otherwise)."""
    password_confirms(racer.user, password)
    user = racer.user
    boards: list[Race] = []
    with transaction.atomic():
        lock_rows(Racer.objects.filter(pk=racer.pk))
        now = timezone.now()
        raced = Race.objects.filter(pk__in=RaceStanding.objects.filter(racer=racer).values("race_id"))
        raced = list(raced.select_related("season"))
        for model in PolicyModel.objects.filter(owner=racer):
            file_delete_on_commit(model.onnx)
        no_result = Submission.objects.filter(racer=racer, result__isnull=True)
        for submission in no_result.exclude(partial_replay=""):
            file_delete_on_commit(submission.partial_replay)
        if remove_results:
            for result in Result.objects.filter(racer=racer):
                file_delete_on_commit(result.replay)
                file_delete_on_commit(result.video)
            racer.delete()  # its models, runs, results, board rows and entries with it
            user.delete()
            boards = raced
        else:
            no_result.delete()
            for model in PolicyModel.objects.filter(owner=racer):
                if model.submissions.exists():
                    model_archive(model)
                    PolicyModel.objects.filter(pk=model.pk).update(onnx="")
                else:
                    model.delete()
            # Off the boards still open (kept on record there, as a removed entrant is).
            boards = [race for race in raced if not _board_final(race, now)]
            for race in boards:
                RaceEntrant.objects.update_or_create(race=race, racer=racer, defaults={"removed_at": now})
            racer_retire(racer)
        for race in boards:
            standings_rebuild(race)
            signals.standings_rebuilt.send(sender=RaceStanding, race=race)
