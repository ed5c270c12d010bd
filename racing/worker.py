"""The race worker: claim a queued submission under a lease, race it in the sandbox,
record the outcome (result, failure or platform fault with retries) and give abandoned
races a new run. The queue's task is defined here, with what it does."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from league.rules import race_format
from tracks.services import track_file_bytes

from . import signals
from .models import Result, Submission
from .runner import WORKER_LOST_PATH, PlatformFault, RaceRun, race_model
from .runner import WorkerLost  # noqa: F401 (queue rows written before it moved name it here)
from .standings import race_standing_apply, season_standings_rebuild, supersede_older_versions
from .uploads import model_metadata_bytes
from .videos import video_enqueue_on_commit
from .workdirs import work_dir

logger = logging.getLogger(__name__)


# Submissions a layer above races itself (a race night's paced runs: nights/apps.py adds
# its filter): the reclaim leaves them to it, since the race task would race them unpaced.
# That layer reclaims its own when `signals.reclaim_due` is sent.
RECLAIMED_ELSEWHERE: list[Q] = []


def _reclaimable(submissions):
    for owned in RECLAIMED_ELSEWHERE:
        submissions = submissions.exclude(owned)
    return submissions


class LeaseLost(RuntimeError):
    """Another worker took the submission over (this one was presumed dead)."""




def _cfg(key: str):
    return settings.RACING[key]


@task()
def race_submission(submission_id: int) -> str:
    """Queue task: race a queued submission and store its outcome (submission_race)."""
    return str(submission_race(submission_id))


def submission_enqueue(submission: Submission, delay_s: float = 0.0) -> None:
    """Queue the race task in the same transaction as the submission's state, so that a
    queued submission always has its task and vice versa."""
    task = race_submission
    if delay_s > 0:
        task = task.using(run_after=timezone.now() + timedelta(seconds=delay_s))
    result = task.enqueue(submission.pk)
    submission.task_id = str(result.id)
    Submission.objects.filter(pk=submission.pk).update(task_id=submission.task_id)


@dataclass
class Claim:
    submission: Submission
    token: str


def submission_claim(submission_id: int) -> Claim | None:
    """Mark a queued submission running under a fresh lease; None if it is not queued
    (already raced, or taken by another worker)."""
    with transaction.atomic():
        submission = (
            Submission.objects.select_for_update(of=("self",))
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
    signals.submission_changed.send(sender=Submission, submission=submission)
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
    try:
        with work_dir("race", submission_id) as workdir:
            return _race_and_record(claim, workdir)
    except OSError as exc:  # the work folder could not be made: ours, not the model's
        logger.exception("submission %s: no work folder", submission_id, extra=_log_ids(claim))
        return submission_platform_fault(claim, f"work folder: {exc}")


def _log_ids(claim: Claim) -> dict:
    """The ids a log line of this run carries (LOG_FORMAT=json writes them as fields)."""
    return {"submission_id": claim.submission.pk, "race_id": claim.submission.race_id}


def _race_and_record(claim: Claim, workdir: Path) -> str:
    submission = claim.submission
    ids = _log_ids(claim)
    try:
        try:
            run = _race(claim, workdir)
        except LeaseLost:
            logger.warning("submission %s: lease lost, result discarded", submission.pk, extra=ids)
            return "lost"
        except PlatformFault as exc:
            return submission_platform_fault(claim, str(exc))
        except Exception as exc:  # storage, database, anything of ours
            logger.exception("submission %s: platform error", submission.pk, extra=ids)
            return submission_platform_fault(claim, f"{type(exc).__name__}: {exc}")
        _charge_cpu(claim, run)
        try:
            if run.kind == "result":
                result = result_record(claim=claim, data=run.result, replay_path=run.replay_path)
                logger.info("submission %s: result %s (%s)", submission.pk, result.pk, result.status,
                            extra={**ids, "result_id": result.pk})  # fmt: skip
                return Submission.Status.FINISHED
            if run.kind == "failed":
                logger.info("submission %s: failed: %s", submission.pk, run.message, extra=ids)
                return submission_fail(
                    claim, run.message, failure=run.failure, partial_replay_path=run.replay_path
                )
            return submission_platform_fault(claim, run.message)
        except LeaseLost:
            logger.warning("submission %s: lease lost, result discarded", submission.pk, extra=ids)
            return "lost"
        except Exception as exc:
            logger.exception("submission %s: could not record the outcome", submission.pk, extra=ids)
            return submission_platform_fault(claim, f"{type(exc).__name__}: {exc}")
    except (KeyboardInterrupt, SystemExit):
        # The worker is being stopped mid-race: hand the submission back to the queue.
        submission_release(claim)
        raise


def _charge_cpu(claim: Claim, run: RaceRun) -> None:
    """The racer's compute budget (racing/quotas.py) counts the CPU time of runs the model
    ended, results and failures alike; never that of the platform's faults."""
    if run.kind in ("result", "failed") and run.outcome is not None:
        Submission.objects.filter(pk=claim.submission.pk, run_token=claim.token).update(
            cpu_s=F("cpu_s") + float(run.outcome.cpu_s)
        )


def submission_progress_record(claim: Claim, event: dict) -> None:
    """A lap of a running race: stored (for pages that connect mid-race) and sent live.

    Only this run's claim may write, so a late line from a worker presumed dead does not
    touch a submission that was claimed again.
    """
    Submission.objects.filter(pk=claim.submission.pk, run_token=claim.token).update(
        progress_lap=int(event.get("lap") or 0)
    )
    signals.submission_progressed.send(sender=Submission, submission=claim.submission, event=event)


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
        off_track_limit=race.off_track_limit,
        time_cap_s=race.time_cap_s,
        reverse=race.reversed,
        allowed_sensors=race.allowed_sensors,
        race_format=race_format(race),
        on_progress=on_progress,
        on_tick=lambda: _renew_lease(claim),
        tick_s=max(0.5, min(5.0, _cfg("LEASE_S") / 4)),
    )


def _locked_claim(claim: Claim) -> Submission:
    """Re-read the submission under a lock; raise LeaseLost if it is no longer ours."""
    submission = (
        Submission.objects.select_for_update(of=("self",))
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
            collision_count=int(data.get("collision_count") or 0),
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
        if submission.rerace_of_id:
            supersede_older_versions(result)  # rebuilds the board without them
        else:
            race_standing_apply(result)
            if submission.race.season_id:
                season_standings_rebuild(submission.race.season)
        # Inside the transaction, so that the live layer publishes only what commits.
        signals.result_landed.send(sender=Result, result=result)
        video_enqueue_on_commit(result)
    return result


def submission_fail(claim: Claim, message: str, *, failure: dict | None = None,
                    partial_replay_path: Path | None = None) -> str:
    """The model's fault: the submission ends `failed` with the message, where and when it
    failed (`failure`, at least its kind) and the replay up to the failure, if any."""
    replay_name = ""
    if partial_replay_path is not None:
        with open(partial_replay_path, "rb") as fh:
            replay_name = default_storage.save(
                f"replays/{claim.submission.race_id}/failed/submission-{claim.submission.pk}.json", File(fh)
            )
    with transaction.atomic():
        submission = _locked_claim(claim)
        submission.status = Submission.Status.FAILED
        submission.error = message
        submission.failure = failure or {"kind": "crash", "message": message}
        submission.partial_replay.name = replay_name
        submission.finished_at = timezone.now()
        submission.lease_expires_at = None
        submission.save(update_fields=["status", "error", "failure", "partial_replay", "finished_at",
                                       "lease_expires_at"])
    signals.submission_changed.send(sender=Submission, submission=submission)
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
        submission_enqueue(submission, delay_s=backoff)
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
    logger.warning("submission %s: platform fault: %s", claim.submission.pk, message, extra=_log_ids(claim))
    with transaction.atomic():
        submission = _locked_claim(claim)
        _retry_or_error(submission, message)
    signals.submission_changed.send(sender=Submission, submission=submission)
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
            submission_enqueue(submission)
            signals.submission_changed.send(sender=Submission, submission=submission)
    except Exception:  # the lease will expire and the reclaim will do it
        logger.exception("submission %s: could not release", claim.submission.pk, extra=_log_ids(claim))


def submissions_reclaim(now: datetime | None = None) -> int:
    """Give a new race to submissions whose worker died (running with an expired lease)
    and to queued submissions whose task is gone. Returns how many were queued again."""
    now = now or timezone.now()
    count = 0
    stale = list(
        _reclaimable(Submission.objects.filter(
            status=Submission.Status.RUNNING, lease_expires_at__lt=now
        )).values_list("pk", flat=True)[:500]
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
                    status="FAILED", finished_at=now, exception_class_path=WORKER_LOST_PATH,
                    traceback="The worker stopped while racing; the submission was queued again.",
                )  # fmt: skip
            _retry_or_error(submission, "the worker running the race stopped")
            count += 1
        signals.submission_changed.send(sender=Submission, submission=submission)
    # Queued submissions whose task finished or failed without racing them, or whose
    # task has been running for a lease without claiming them (its worker died between
    # taking the task and marking the submission running).
    cutoff = now - timedelta(seconds=_cfg("LEASE_S"))
    orphans = _reclaimable(Submission.objects.filter(status=Submission.Status.QUEUED, created_at__lt=cutoff))
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
                    status="FAILED", finished_at=now, exception_class_path=WORKER_LOST_PATH,
                    traceback="The worker stopped before racing; the submission was queued again.",
                )  # fmt: skip
            submission_enqueue(fresh)
            count += 1
    for _, reclaimed in signals.reclaim_due.send(sender=Submission, now=now):
        count += int(reclaimed or 0)
    return count
