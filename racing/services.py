"""The racing rules: uploading a model, entering it in a race, racing it, recording the
result. Views, commands and the worker call these; they hold no rules of their own.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from league.models import Race, Racer
from league.services import lock_rows, race_standing_apply, season_standings_rebuild
from simulator.policy import ModelError, parse_metadata
from tracks.services import track_file_bytes

from . import events
from .models import PolicyModel, Result, Submission
from .runner import ModelRejected, PlatformFault, RaceRun, check_upload, race_model

logger = logging.getLogger(__name__)

__all__ = [
    "ModelRejected",
    "PlatformFault",
    "SubmissionRejected",
    "QuotaExceeded",
    "model_upload",
    "submission_create",
    "submission_race",
    "result_record",
    "submissions_reclaim",
]


class SubmissionRejected(ValueError):
    """A submission refused before it was queued; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


class QuotaExceeded(SubmissionRejected):
    pass


class LeaseLost(RuntimeError):
    """Another worker took the submission over (this one was presumed dead)."""


def _cfg(key: str):
    return settings.RACING[key]


# --- Upload -------------------------------------------------------------------------------


def _read_upload(upload, limit: int) -> bytes | None:
    """The bytes of an uploaded file (Django UploadedFile, file object or bytes), reading
    at most limit + 1 bytes so that a huge file is not pulled into memory."""
    if upload is None:
        return None
    if isinstance(upload, (bytes, bytearray)):
        return bytes(upload[: limit + 1])
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        return b"\0" * (limit + 1)  # only the length matters from here on
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    return data.encode() if isinstance(data, str) else data


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.0f} MB"


def model_upload(*, owner: Racer, name: str, onnx_file, metadata_file) -> PolicyModel:
    """Check an uploaded model package and store it.

    Raises ModelRejected({field: [messages]}) for anything wrong (nothing is stored) and
    PlatformFault if the check itself could not run.
    """
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    max_bytes = int(_cfg("MAX_MODEL_BYTES"))
    max_meta = int(_cfg("MAX_METADATA_BYTES"))

    if not name:
        errors["name"] = ["Give the model a name (up to 80 characters)."]
    elif len(name) > 80:
        errors["name"] = [f"The name has {len(name)} characters; use at most 80."]
    elif PolicyModel.objects.filter(owner=owner, name__iexact=name).exists():
        errors["name"] = [f"You already have a model called {name!r}; choose another name."]

    onnx_bytes = _read_upload(onnx_file, max_bytes)
    if onnx_bytes is None:
        errors["onnx"] = ["Attach the exported policy as the `onnx` file (model.onnx)."]
    elif not onnx_bytes:
        errors["onnx"] = ["The ONNX file is empty; export the model again."]
    elif len(onnx_bytes) > max_bytes:
        errors["onnx"] = [
            f"The ONNX file is larger than the {_mb(max_bytes)} limit; use a smaller network."
        ]

    metadata_bytes = _read_upload(metadata_file, max_meta)
    meta = None
    if metadata_bytes is None:
        errors["metadata"] = ["Attach model_metadata.json as the `metadata` file."]
    elif not metadata_bytes.strip():
        errors["metadata"] = ["model_metadata.json is empty; it needs action_space and sensor."]
    elif len(metadata_bytes) > max_meta:
        errors["metadata"] = [f"model_metadata.json is larger than {_mb(max_meta)}."]
    else:
        try:
            meta = parse_metadata(metadata_bytes)
        except ModelError as exc:
            errors.setdefault(exc.field, []).append(_sentence(exc.message))
        except RecursionError:  # json.loads of "[[[[..." : not a ValueError
            errors["metadata"] = [METADATA_TOO_DEEP]
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            reason = str(exc).split(":")[0].strip().rstrip(".")
            errors["metadata"] = [f"model_metadata.json is not valid JSON: {reason}."]
        else:
            if problem := _metadata_problem(meta.raw):
                errors["metadata"] = [problem]
    if errors:
        raise ModelRejected(errors)

    try:
        info = check_upload(onnx_bytes, metadata_bytes)
    except ModelRejected as exc:
        raise ModelRejected({k: [_sentence(m) for m in v] for k, v in exc.errors.items()}) from None
    sha256 = hashlib.sha256(onnx_bytes).hexdigest()
    try:
        with transaction.atomic():
            model = PolicyModel(
                owner=owner,
                name=name,
                metadata=meta.raw if meta.raw else json.loads(metadata_bytes),
                sha256=sha256,
                sensors=list(info.get("sensors") or meta.sensors),
                action_space_type=info.get("action_space_type") or meta.action_space_type,
                action_count=info.get("n_actions") if meta.action_space_type == "discrete" else None,
                size_bytes=len(onnx_bytes),
                info=info,
            )
            model.onnx.save("model.onnx", ContentFile(onnx_bytes), save=False)
            model.save()
    except IntegrityError:
        raise ModelRejected(
            {"name": [f"You already have a model called {name!r}; choose another name."]}
        ) from None
    return model


MAX_METADATA_DEPTH = 32
METADATA_TOO_DEEP = (
    f"model_metadata.json is nested too deeply (more than {MAX_METADATA_DEPTH} levels); "
    "DeepRacer metadata needs three."
)


def _metadata_problem(value, depth: int = 0) -> str | None:
    """What Python's json module accepts but the database and the JSON encoders
    downstream do not: NaN and Infinity, lone surrogates and NUL in text, very deep
    nesting."""
    if depth > MAX_METADATA_DEPTH:
        return METADATA_TOO_DEEP
    if isinstance(value, float) and not math.isfinite(value):
        return (
            "model_metadata.json contains NaN or Infinity, which JSON does not allow; "
            "write a number or remove the key."
        )
    texts = [value] if isinstance(value, str) else list(value) if isinstance(value, dict) else []
    for text in texts:
        try:
            text.encode("utf-8")  # fails on a lone surrogate ("\ud800" in the JSON)
            bad = "\x00" in text
        except UnicodeEncodeError:
            bad = True
        if bad:
            return (
                "model_metadata.json contains text that is not valid Unicode (a lone surrogate "
                "or a NUL character); remove it."
            )
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        if problem := _metadata_problem(child, depth + 1):
            return problem
    return None


def _sentence(message: str) -> str:
    message = message.strip()
    if not message:
        return message
    if not message.split(" ", 1)[0].startswith("model_metadata"):  # a file name keeps its case
        message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def model_metadata_bytes(model: PolicyModel) -> bytes:
    return json.dumps(model.metadata, indent=2).encode()


# --- Submissions --------------------------------------------------------------------------


def utc_day_start(now: datetime) -> datetime:
    day = now.astimezone(dt_timezone.utc).date()
    return datetime.combine(day, time.min, tzinfo=dt_timezone.utc)


def submission_create(*, racer: Racer, model: PolicyModel, race: Race) -> Submission:
    """Enter a model in a race: checks, quotas under a lock, then queue the race.

    Raises SubmissionRejected (400) or QuotaExceeded (429) with {field: [messages]}.
    """
    if model.owner_id != racer.pk:
        # Another racer's model looks exactly like one that does not exist.
        raise SubmissionRejected({"model": [f"You have no model with id {model.pk}."]})
    with transaction.atomic():
        # The lock: on PostgreSQL the racer's row; SQLite's IMMEDIATE transactions hold
        # the database's write lock from here to the commit. Concurrent submissions of
        # one racer therefore count and insert one after the other.
        lock_rows(Racer.objects.filter(pk=racer.pk))
        race = Race.objects.select_related("season", "track").get(pk=race.pk)
        now = timezone.now()
        if not race.accepting_submissions(now):
            raise SubmissionRejected({"race": [_closed_message(race, now)]})
        not_allowed = [s for s in model.sensors if s not in race.allowed_sensors]
        if not_allowed:
            raise SubmissionRejected(
                {
                    "model": [
                        f"This race allows the sensors {', '.join(race.allowed_sensors)}; the "
                        f"model uses {', '.join(not_allowed)}. Enter a model with allowed sensors."
                    ]
                }
            )
        counted = Submission.objects.filter(
            racer=racer, race=race, status__in=Submission.QUOTA_STATUSES
        )
        if counted.count() >= race.total_quota:
            raise QuotaExceeded(
                {
                    "race": [
                        f"You have used all {race.total_quota} submissions of this race "
                        "(failed runs do not count)."
                    ]
                }
            )
        day_start = utc_day_start(now)
        if counted.filter(created_at__gte=day_start).count() >= race.daily_quota:
            raise QuotaExceeded(
                {
                    "race": [
                        f"You have used your {race.daily_quota} submissions of today in this "
                        f"race; the quota resets at 00:00 UTC "
                        f"(in {_until(day_start + timedelta(days=1), now)})."
                    ]
                }
            )
        submission = Submission.objects.create(racer=racer, model=model, race=race, created_at=now)
        _enqueue(submission)
    return submission


def _until(when: datetime, now: datetime) -> str:
    minutes = max(1, int((when - now).total_seconds() // 60))
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _closed_message(race: Race, now: datetime) -> str:
    season = race.season
    if season.status == season.Status.CLOSED:
        return f"The season {season.name!r} is closed; its races take no more submissions."
    if season.status == season.Status.DRAFT:
        return f"The season {season.name!r} has not opened yet."
    if race.opens_at and now < race.opens_at:
        return f"This race opens at {race.opens_at:%Y-%m-%d %H:%M} UTC."
    return f"This race closed at {race.closes_at:%Y-%m-%d %H:%M} UTC."


def _enqueue(submission: Submission, delay_s: float = 0.0) -> None:
    """Queue the race task in the same transaction as the submission's state, so that a
    queued submission always has its task and vice versa."""
    from .tasks import race_submission

    task = race_submission
    if delay_s > 0:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_s))
    result = task.enqueue(submission.pk)
    submission.task_id = str(result.id)
    Submission.objects.filter(pk=submission.pk).update(task_id=submission.task_id)


# --- Racing (runs in the worker) ----------------------------------------------------------


@dataclass
class Claim:
    submission: Submission
    token: str


def submission_claim(submission_id: int) -> Claim | None:
    """Mark a queued submission running under a fresh lease; None if it is not queued
    (already raced, or taken by another worker)."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update()
            .select_related("model", "race__track", "race__season", "racer")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None or submission.status != Submission.Status.QUEUED:
            return None
        now = timezone.now()
        token = uuid.uuid4().hex
        submission.status = Submission.Status.RUNNING
        submission.attempts += 1
        submission.started_at = now
        submission.lease_expires_at = now + timedelta(seconds=_cfg("LEASE_S"))
        submission.run_token = token
        submission.progress_lap = None
        submission.save(
            update_fields=[
                "status", "attempts", "started_at", "lease_expires_at", "run_token", "progress_lap"
            ]
        )
    events.broadcast_submission(submission)
    return Claim(submission, token)


def _renew_lease(claim: Claim) -> None:
    renewed = Submission.objects.filter(
        pk=claim.submission.pk, status=Submission.Status.RUNNING, run_token=claim.token
    ).update(lease_expires_at=timezone.now() + timedelta(seconds=_cfg("LEASE_S")))
    if not renewed:
        raise LeaseLost(f"submission {claim.submission.pk} was taken over")


def submission_race(submission_id: int) -> str:
    """Race one submission (the body of the queue's task); returns its final status."""
    claim = submission_claim(submission_id)
    if claim is None:
        return "skipped"
    submission = claim.submission
    workdir = Path(tempfile.mkdtemp(prefix=f"league-race-{submission.pk}-"))
    try:
        try:
            run = _race(claim, workdir)
        except LeaseLost:
            logger.warning("submission %s: lease lost, result discarded", submission.pk)
            return "lost"
        except PlatformFault as exc:
            return submission_platform_fault(claim, str(exc))
        except Exception as exc:  # storage, database, anything of ours
            logger.exception("submission %s: platform error", submission.pk)
            return submission_platform_fault(claim, f"{type(exc).__name__}: {exc}")
        try:
            if run.kind == "result":
                result_record(claim=claim, data=run.result, replay_path=run.replay_path)
                return Submission.Status.FINISHED
            if run.kind == "failed":
                return submission_fail(claim, run.message)
            return submission_platform_fault(claim, run.message)
        except LeaseLost:
            logger.warning("submission %s: lease lost, result discarded", submission.pk)
            return "lost"
        except Exception as exc:
            logger.exception("submission %s: could not record the outcome", submission.pk)
            return submission_platform_fault(claim, f"{type(exc).__name__}: {exc}")
    except (KeyboardInterrupt, SystemExit):
        # The worker is being stopped mid-race: hand the submission back to the queue.
        submission_release(claim)
        raise
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def submission_progress_record(claim: Claim, event: dict) -> None:
    """A lap of a running race: stored (for pages that connect mid-race) and sent live.

    Only this run's claim may write, so a late line from a worker presumed dead does not
    touch a submission that was claimed again.
    """
    Submission.objects.filter(pk=claim.submission.pk, run_token=claim.token).update(
        progress_lap=int(event.get("lap") or 0)
    )
    events.broadcast_progress(claim.submission, event)


def _race(claim: Claim, workdir: Path) -> RaceRun:
    submission = claim.submission
    race = submission.race
    with submission.model.onnx.open("rb") as fh:
        onnx_bytes = fh.read()
    last_progress = {"lap": None}

    def on_progress(event: dict) -> None:
        if event.get("lap") != last_progress["lap"]:
            last_progress["lap"] = event.get("lap")
            submission_progress_record(claim, event)

    return race_model(
        workdir=workdir,
        onnx_bytes=onnx_bytes,
        metadata_bytes=model_metadata_bytes(submission.model),
        track_bytes=track_file_bytes(race.track),
        laps=race.laps,
        timing_method=race.timing_method,
        off_track_penalty_s=race.off_track_penalty_s,
        time_cap_s=race.time_cap_s,
        allowed_sensors=race.allowed_sensors,
        on_progress=on_progress,
        on_tick=lambda: _renew_lease(claim),
        tick_s=max(0.5, min(5.0, _cfg("LEASE_S") / 4)),
    )


def _locked_claim(claim: Claim) -> Submission:
    """Re-read the submission under a lock; raise LeaseLost if it is no longer ours."""
    submission = (
        Submission.objects.select_for_update()
        .select_related("race__season", "racer")
        .get(pk=claim.submission.pk)
    )
    if submission.status != Submission.Status.RUNNING or submission.run_token != claim.token:
        raise LeaseLost(f"submission {submission.pk} was taken over")
    return submission


def _number_or_none(value):
    return None if value is None else float(value)


def result_record(*, claim: Claim, data: dict, replay_path: Path | None) -> Result:
    """Store a raced result and its replay, mark the submission finished and rebuild the
    race's and the season's standings, all in one transaction."""
    replay_name = ""
    if replay_path is not None:
        from django.core.files.storage import default_storage

        with open(replay_path, "rb") as fh:
            replay_name = default_storage.save(
                f"replays/{claim.submission.race_id}/submission-{claim.submission.pk}.json",
                File(fh),
            )
    known = set(Result.SIMULATOR_KEYS)
    with transaction.atomic():
        submission = _locked_claim(claim)
        result = Result(
            submission=submission,
            race=submission.race,
            racer=submission.racer,
            status=data["status"],
            timing_method=data.get("timing_method") or submission.race.timing_method,
            official_time_s=_number_or_none(data.get("official_time_s")),
            laps_completed=int(data.get("laps_completed") or 0),
            lap_times_s=list(data.get("lap_times_s") or []),
            total_time_s=_number_or_none(data.get("total_time_s")),
            best_lap_s=_number_or_none(data.get("best_lap_s")),
            avg_lap_s=_number_or_none(data.get("avg_lap_s")),
            progress=float(data.get("progress") or 0.0),
            off_track_count=int(data.get("off_track_count") or 0),
            penalty_s=float(data.get("penalty_s") or 0.0),
            steps=int(data.get("steps") or 0),
            trajectory_sha256=str(data.get("trajectory_sha256") or ""),
            simulator_version=str(data.get("simulator_version") or ""),
            onnxruntime_version=str(data.get("onnxruntime_version") or ""),
            numpy_version=str(data.get("numpy_version") or ""),
            model_sha256=str(data.get("model_sha256") or submission.model.sha256),
            error=data.get("error"),
            extra={k: v for k, v in data.items() if k not in known},
        )
        result.replay.name = replay_name
        result.save()
        now = timezone.now()
        submission.status = Submission.Status.FINISHED
        submission.finished_at = now
        submission.lease_expires_at = None
        submission.error = ""
        submission.save(update_fields=["status", "finished_at", "lease_expires_at", "error"])
        result.submission = submission
        race_standing_apply(result)
        season_standings_rebuild(submission.race.season)
        # Inside the transaction: published only if it commits (racing/events.py).
        events.result_landed(result)
        from .replays import video_enqueue_on_commit  # the run's video, queued after commit

        video_enqueue_on_commit(result)
    return result


def submission_fail(claim: Claim, message: str) -> str:
    """The model's fault: the submission ends `failed` with the message."""
    with transaction.atomic():
        submission = _locked_claim(claim)
        submission.status = Submission.Status.FAILED
        submission.error = message
        submission.finished_at = timezone.now()
        submission.lease_expires_at = None
        submission.save(update_fields=["status", "error", "finished_at", "lease_expires_at"])
    events.broadcast_submission(submission)
    return Submission.Status.FAILED


def _retry_or_error(submission: Submission, message: str) -> None:
    """After a platform fault: queue again with backoff, or give up with `error`."""
    max_attempts = int(_cfg("MAX_ATTEMPTS"))
    submission.lease_expires_at = None
    submission.run_token = ""
    if submission.attempts < max_attempts:
        submission.status = Submission.Status.QUEUED
        submission.error = (
            f"Platform error, trying again (attempt {submission.attempts + 1} of "
            f"{max_attempts}): {message}"
        )
        submission.save(update_fields=["status", "error", "lease_expires_at", "run_token"])
        backoff = float(_cfg("RETRY_BACKOFF_S")) * (2 ** (submission.attempts - 1))
        _enqueue(submission, delay_s=backoff)
    else:
        submission.status = Submission.Status.ERROR
        submission.error = (
            f"Platform error after {submission.attempts} attempts (not counted against your "
            f"quota): {message}"
        )
        submission.finished_at = timezone.now()
        submission.save(
            update_fields=["status", "error", "finished_at", "lease_expires_at", "run_token"]
        )


def submission_platform_fault(claim: Claim, message: str) -> str:
    logger.warning("submission %s: platform fault: %s", claim.submission.pk, message)
    with transaction.atomic():
        submission = _locked_claim(claim)
        _retry_or_error(submission, message)
    events.broadcast_submission(submission)
    return submission.status


def submission_release(claim: Claim) -> None:
    """The worker stops mid-race: queue the submission again at once, attempt not spent."""
    try:
        with transaction.atomic():
            submission = _locked_claim(claim)
            submission.status = Submission.Status.QUEUED
            submission.attempts = max(0, submission.attempts - 1)
            submission.lease_expires_at = None
            submission.run_token = ""
            submission.save(update_fields=["status", "attempts", "lease_expires_at", "run_token"])
            _enqueue(submission)
            events.submission_status_changed(submission)
    except Exception:  # the lease will expire and the reclaim will do it
        logger.exception("submission %s: could not release", claim.submission.pk)


def submissions_reclaim(now: datetime | None = None) -> int:
    """Give a new race to submissions whose worker died (running with an expired lease)
    and to queued submissions whose task is gone. Returns how many were queued again."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    count = 0
    stale = list(
        Submission.objects.filter(
            status=Submission.Status.RUNNING, lease_expires_at__lt=now
        ).values_list("pk", flat=True)[:500]
    )
    for pk in stale:
        with transaction.atomic():
            submission = Submission.objects.select_for_update().filter(pk=pk).first()
            if (
                submission is None
                or submission.status != Submission.Status.RUNNING
                or submission.lease_expires_at is None
                or submission.lease_expires_at >= now
            ):
                continue
            if submission.task_id:
                DBTaskResult.objects.filter(pk=submission.task_id, status="RUNNING").update(
                    status="FAILED", finished_at=now, exception_class_path="racing.WorkerLost",
                    traceback="The worker stopped while racing; the submission was queued again.",
                )  # fmt: skip
            _retry_or_error(submission, "the worker running the race stopped")
            count += 1
        events.broadcast_submission(submission)
    # Queued submissions whose task finished or failed without racing them, or whose
    # task has been running for a lease without claiming them (its worker died between
    # taking the task and marking the submission running).
    cutoff = now - timedelta(seconds=_cfg("LEASE_S"))
    orphans = Submission.objects.filter(status=Submission.Status.QUEUED, created_at__lt=cutoff)
    live_tasks = DBTaskResult.objects.filter(
        Q(status="READY") | Q(status="RUNNING", started_at__gte=cutoff)
    ).values("id")
    for submission in orphans.exclude(task_id__in=[str(t["id"]) for t in live_tasks])[:500]:
        with transaction.atomic():
            fresh = Submission.objects.select_for_update().get(pk=submission.pk)
            if fresh.status != Submission.Status.QUEUED or fresh.task_id != submission.task_id:
                continue
            if fresh.task_id:
                DBTaskResult.objects.filter(pk=fresh.task_id, status="RUNNING").update(
                    status="FAILED", finished_at=now, exception_class_path="racing.WorkerLost",
                    traceback="The worker stopped before racing; the submission was queued again.",
                )  # fmt: skip
            _enqueue(fresh)
            count += 1
    return count
