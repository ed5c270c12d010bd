"""A racer's models after the upload: renaming one, deleting one, and where each raced.

A model that was ever entered in a race is archived, not deleted: its runs stay on the
boards, with their replays, and the quotas and the daily compute budget go on counting
them (deleting them would hand back a spent budget). It leaves the garage, the API's list
and every "enter a model" choice. A model never entered is deleted with its file.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from league.models import Race, Racer
from league.services import lock_rows

from .models import PolicyModel, Result, Submission
from .standings import standing_sort_key
from .uploads import MAX_NAME_LENGTH, model_name_errors


class ModelBusy(ValueError):
    """A model with a run queued or racing cannot go yet."""


def model_rename(model: PolicyModel, name: str) -> PolicyModel:
    """Give a model another name. Raises ValidationError({"name": [message]})."""
    name = (name or "").strip()
    with transaction.atomic():
        lock_rows(Racer.objects.filter(pk=model.owner_id))
        if problems := model_name_errors(model.owner, name, model=model):
            raise ValidationError({"name": problems})
        model.name = name
        model.save(update_fields=["name"])
    return model


def model_delete(model: PolicyModel) -> str:
    """Delete a model from the garage: "archived" (it raced: kept for its results) or
    "deleted" (never entered: the row and its file go). Raises ModelBusy while one of its
    runs is queued or racing."""
    with transaction.atomic():
        lock_rows(Racer.objects.filter(pk=model.owner_id))
        runs = Submission.objects.filter(model=model)
        pending = runs.filter(status__in=[Submission.Status.QUEUED, Submission.Status.RUNNING]).count()
        if pending:
            raise ModelBusy(
                f"“{model.name}” has {pending} run{'s' if pending != 1 else ''} queued or racing; "
                "delete it once they are over."
            )
        if runs.exists():
            model_archive(model)
            return "archived"
        file_delete_on_commit(model.onnx)
        model.delete()
    return "deleted"


def model_archive(model: PolicyModel) -> None:
    """Out of the garage, kept for the boards; its name is freed for a new model (the old
    runs show it with the archive's mark). Call inside a transaction."""
    mark = f" · archived {model.pk}"
    model.name = model.name[: MAX_NAME_LENGTH - len(mark)] + mark
    model.archived_at = timezone.now()
    model.save(update_fields=["name", "archived_at"])


def file_delete_on_commit(field) -> None:
    """Remove a stored file once the transaction that dropped its row has committed (a
    rollback keeps both)."""
    if field and field.name:
        storage, name = field.storage, field.name
        transaction.on_commit(lambda: storage.delete(name))


def model_races(racer: Racer, models) -> dict[int, list[dict]]:
    """Where each of `models` raced: {model id: [{race, runs, best}]}, the latest race
    first; `best` is the model's best result there by the ranking order (result_id,
    finished, time_s, laps, progress), None while no run has a result. Three queries."""
    ids = [m.pk for m in models]
    runs = (
        Submission.objects.filter(racer=racer, model_id__in=ids)
        .values("model_id", "race_id").annotate(n=Count("id")).order_by()
    )  # fmt: skip
    best: dict[tuple[int, int], dict] = {}
    results = Result.objects.filter(submission__model_id__in=ids, racer=racer, superseded_at__isnull=True)
    for row in results.values(
        "pk", "race_id", "submission__model_id", "submission__created_at", "status", "official_time_s",
        "laps_completed", "progress",
    ):  # fmt: skip
        finished = row["status"] == Result.Status.FINISHED and row["official_time_s"] is not None
        candidate = {
            "result_id": row["pk"], "finished": finished, "time_s": row["official_time_s"],
            "laps": row["laps_completed"], "progress": row["progress"],
            "key": standing_sort_key(
                finished=finished, time_s=row["official_time_s"], laps=row["laps_completed"],
                progress=row["progress"], submitted_at=row["submission__created_at"], result_id=row["pk"],
            ),
        }  # fmt: skip
        slot = (row["submission__model_id"], row["race_id"])
        if slot not in best or candidate["key"] < best[slot]["key"]:
            best[slot] = candidate
    runs = list(runs)
    races = Race.objects.select_related("track", "season").in_bulk({r["race_id"] for r in runs})
    where: dict[int, list[dict]] = {}
    for r in sorted(runs, key=lambda r: -r["race_id"]):
        where.setdefault(r["model_id"], []).append(
            {"race": races[r["race_id"]], "runs": r["n"], "best": best.get((r["model_id"], r["race_id"]))}
        )
    return where
