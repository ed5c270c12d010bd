"""One paced run of a race night: the official race of a queued racer's model, in the
sandbox like every race (racing/runner.py's command line with `--live`), its frames
streamed as they come, the racer's speed multiplier passed to it, and its outcome
recorded as an ordinary submission and result of the race (racing/worker.py).
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from league.rules import race_format
from racing.models import RaceStanding, Submission
from racing.runner import PlatformFault, RaceRun, interpret_race, race_args, race_limits
from racing.sandbox import SandboxStartError, run_sandboxed
from racing.uploads import model_metadata_bytes
from racing.workdirs import work_dir
from racing.worker import Claim, result_record, submission_claim, submission_fail
from simulator import layout as L
from tracks.services import track_file_bytes

from . import signals
from .models import LiveRace, LiveRun, QueueEntry

logger = logging.getLogger(__name__)

TICK_S = 0.2  # how often the run looks at the racer's slider, a skip, and renews its lease
FRAME_KEEP_EVERY_S = 0.5  # how often the newest frame is stored for late viewers
WALL_MARGIN_S = 120.0  # a paced run's wall clock: the race's time cap at the slowest pace, plus this
STREAMED = ("frame", "lap", "off_track", "wrong_way", "reset", "collision", "off_track_limit")


class Stopped(Exception):
    """The run was skipped or the night ended while it ran: it stops, unrecorded."""


@dataclass
class Leader:
    """The board's leader as a live run is measured against: the leader's clock at each
    distance (laps + progress) of their replay, and the board's official times."""

    distance: np.ndarray | None = None
    clock_s: np.ndarray | None = None
    times: list[float] = field(default_factory=list)

    def gap_s(self, distance: float, clock_s: float) -> float | None:
        """Seconds behind (+) or ahead (-) of the leader at the same distance."""
        if self.distance is None or distance <= 0 or distance > self.distance[-1]:
            return None
        return round(clock_s - float(np.interp(distance, self.distance, self.clock_s)), 3)

    def virtual_rank(self, distance: float, clock_s: float) -> int | None:
        """Where the run would place if it kept its pace relative to the leader's."""
        if self.distance is None or distance <= 0.05 or distance > self.distance[-1]:
            return None
        at = float(np.interp(distance, self.distance, self.clock_s))
        if at <= 0:
            return None
        projected = clock_s / at * float(self.clock_s[-1])
        return bisect.bisect_left(self.times, projected) + 1


def leader_of(race) -> Leader:
    standings = RaceStanding.objects.filter(race=race, finished=True).select_related("result").order_by("rank")
    leader = Leader(times=sorted(s.time_s for s in standings if s.time_s is not None))
    top = standings.first()
    if top is None or not top.result.replay:
        return leader
    try:
        with top.result.replay.open("rb") as fh:
            rows = np.asarray(json.load(fh)["trajectory"], dtype=float)
        distance = np.maximum.accumulate(rows[:, L.TRAJ_LAP] + rows[:, L.TRAJ_PROGRESS])
        leader.distance, leader.clock_s = distance, rows[:, L.TRAJ_TIME_S]
    except (OSError, ValueError, KeyError, IndexError):
        logger.warning("race %s: the leader's replay could not be read; no gaps tonight", race.pk)
    return leader


def run_start(entry: QueueEntry) -> tuple[LiveRun, Claim]:
    """The run's submission (an ordinary one of the race, never queued for the classic
    worker: it is claimed at once) and its LiveRun."""
    with transaction.atomic():
        submission = Submission.objects.create(racer=entry.racer, model=entry.model, race=entry.live_race.race,
                                               status=Submission.Status.QUEUED)
        run = LiveRun.objects.create(entry=entry, submission=submission)
        QueueEntry.objects.filter(pk=entry.pk).update(status=QueueEntry.Status.RUNNING)
        signals.night_changed.send(sender=LiveRace, live_race=entry.live_race)  # "running" in the queue
    claim = submission_claim(submission.pk)
    if claim is None:  # pragma: no cover - nobody else knows this submission
        raise PlatformFault("the run's submission could not be claimed")
    return run, claim


def _renew(claim: Claim) -> None:
    # The classic reclaim gives a running submission whose lease expired to the classic
    # worker: a live run keeps its lease like any race.
    Submission.objects.filter(pk=claim.submission.pk, run_token=claim.token).update(
        lease_expires_at=timezone.now() + timedelta(seconds=float(settings.RACING["LEASE_S"])))


def race_paced(run: LiveRun, claim: Claim, workdir: Path, *, on_tick=None) -> tuple[RaceRun, list]:
    """Race the run's model paced to real time in the sandbox; frames and events go out
    through `night_streamed` as they come. Returns the outcome and the multipliers as
    raced. Raises Stopped (skipped, night ended) or PlatformFault."""
    entry = run.entry
    race = entry.live_race.race
    with entry.model.onnx.open("rb") as fh:
        onnx_bytes = fh.read()
    limits = race_limits(wall_s=race.time_cap_s * 2 + WALL_MARGIN_S)
    args = race_args(workdir=workdir, onnx_bytes=onnx_bytes, metadata_bytes=model_metadata_bytes(entry.model),
                     track_bytes=track_file_bytes(race.track), laps=race.laps, timing_method=race.timing_method,
                     off_track_penalty_s=race.off_track_penalty_s, time_cap_s=race.time_cap_s,
                     off_track_limit=race.off_track_limit, reverse=race.reversed,
                     allowed_sensors=race.allowed_sensors, race_format=race_format(race), limits=limits) + ["--live"]
    leader = leader_of(race)
    state = {"sent": 1.0, "kept_at": 0.0, "frame": None}

    def on_line(line: str) -> None:
        if not line.startswith("{"):
            return
        try:
            message = json.loads(line)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("type") not in STREAMED:
            return
        message["run"] = run.pk
        if message["type"] == "frame":
            distance = message.get("laps_done", 0) + message.get("progress", 0.0)
            message["gap_s"] = leader.gap_s(distance, message.get("clock", 0.0))
            message["virtual_rank"] = leader.virtual_rank(distance, message.get("clock", 0.0))
            message["sent_at"] = round(time.time(), 4)  # for the viewers' latency (make bench)
            state["frame"] = message
        signals.night_streamed.send(sender=LiveRun, race_id=race.pk, message=message)

    read_fd, write_fd = os.pipe()

    def tick() -> None:
        _renew(claim)
        fresh = LiveRun.objects.filter(pk=run.pk).values_list("speed_request", "entry__status",
                                                              "entry__live_race__state").first()
        speed, status, night = fresh
        if status != QueueEntry.Status.RUNNING or night == LiveRace.State.ENDED:
            raise Stopped()
        if speed != state["sent"]:
            state["sent"] = speed
            try:
                os.write(write_fd, f"{speed!r}\n".encode())
            except OSError:  # the child has ended; its result says the rest
                pass
        now = time.monotonic()
        if state["frame"] is not None and now - state["kept_at"] >= FRAME_KEEP_EVERY_S:
            state["kept_at"] = now
            LiveRun.objects.filter(pk=run.pk).update(last_frame=state["frame"])
        if on_tick is not None:
            on_tick()

    try:
        outcome = run_sandboxed(args, limits, cwd=workdir, on_stderr_line=on_line, on_tick=tick,
                                tick_s=TICK_S, stdin=read_fd)
    except SandboxStartError as exc:
        raise PlatformFault(str(exc)) from exc
    finally:
        os.close(read_fd)
        os.close(write_fd)
    raced = interpret_race(outcome, limits, workdir / "replay.json")
    changes = (raced.result or {}).get("speed_multipliers") or []
    return raced, changes


def run_record(run: LiveRun, claim: Claim, raced: RaceRun, changes: list) -> LiveRun:
    """The outcome as the race's: a result (board, standings, video) or the model's failure
    (the queue goes on), or a platform error the facilitator may re-run."""
    now = timezone.now()
    if raced.kind == "result":
        result = result_record(claim=claim, data=raced.result, replay_path=raced.replay_path)
        LiveRun.objects.filter(pk=run.pk).update(status=LiveRun.Status.FINISHED, result=result, finished_at=now,
                                                 speed_multipliers=changes)
        QueueEntry.objects.filter(pk=run.entry_id).update(status=QueueEntry.Status.DONE, message="")
    elif raced.kind == "failed":
        submission_fail(claim, raced.message, failure=raced.failure, partial_replay_path=raced.replay_path)
        LiveRun.objects.filter(pk=run.pk).update(status=LiveRun.Status.FAILED, error=raced.message, finished_at=now)
        QueueEntry.objects.filter(pk=run.entry_id).update(status=QueueEntry.Status.FAILED, message=raced.message)
    else:
        run_platform_error(run, claim, raced.message)
    run.refresh_from_db()
    return run


def run_platform_error(run: LiveRun, claim: Claim, message: str) -> None:
    """Ours, not the racer's: the submission ends `error` (never retried by the classic
    worker) and the facilitator may re-run the racer."""
    logger.warning("live run %s: platform error: %s", run.pk, message)
    Submission.objects.filter(pk=claim.submission.pk, run_token=claim.token).update(
        status=Submission.Status.ERROR, finished_at=timezone.now(), lease_expires_at=None, run_token="",
        error=f"Platform error (not counted against you; the facilitator may re-run you): {message}")
    LiveRun.objects.filter(pk=run.pk).update(status=LiveRun.Status.ERROR, error=message, finished_at=timezone.now())
    QueueEntry.objects.filter(pk=run.entry_id).update(
        status=QueueEntry.Status.ERROR, message=f"Platform error: {message}. The facilitator may re-run you.")


def stopped_message(entry: QueueEntry) -> str:
    """What the racer reads on a run the facilitator stopped. Its submission ends `error`
    (the statuses are a fixed contract, DESIGN.md): the words say it was neither the
    model's fault nor the platform's."""
    entry = QueueEntry.objects.select_related("live_race").get(pk=entry.pk)
    if entry.status == QueueEntry.Status.REMOVED:
        why = "The facilitator removed you from the race during your run"
    elif entry.live_race.state == LiveRace.State.ENDED:
        why = "The facilitator ended the race night during your run"
    else:
        why = "The facilitator skipped your run during the race night"
    return (f"{why}. Not a fault of your model, nor of the platform: the run was stopped, "
            "left no result and does not count against your quota.")


def run_stopped(run: LiveRun, claim: Claim) -> None:
    """Skipped, removed or the night ended: the run leaves no result and counts for nothing."""
    Submission.objects.filter(pk=claim.submission.pk, run_token=claim.token).update(
        status=Submission.Status.ERROR, finished_at=timezone.now(), lease_expires_at=None, run_token="",
        error=stopped_message(run.entry))
    LiveRun.objects.filter(pk=run.pk).update(status=LiveRun.Status.SKIPPED, finished_at=timezone.now())


def run_entry(entry: QueueEntry, *, on_tick=None) -> LiveRun:
    """The whole run of one entry: started, raced paced, recorded (or stopped)."""
    run, claim = run_start(entry)
    signals.night_streamed.send(sender=LiveRun, race_id=entry.live_race.race_id,
                                message=run_message("run_started", run))
    try:
        with work_dir("live", run.pk) as workdir:
            raced, changes = race_paced(run, claim, workdir, on_tick=on_tick)
            run = run_record(run, claim, raced, changes)
    except Stopped:
        run_stopped(run, claim)
        run.refresh_from_db()
    except PlatformFault as exc:
        run_platform_error(run, claim, str(exc))
        run.refresh_from_db()
    except Exception as exc:  # storage, database: ours
        logger.exception("live run %s: platform error", run.pk)
        run_platform_error(run, claim, f"{type(exc).__name__}: {exc}")
        run.refresh_from_db()
    signals.night_streamed.send(sender=LiveRun, race_id=entry.live_race.race_id,
                                message=run_message("run_finished", run))
    return run


def run_message(kind: str, run: LiveRun) -> dict:
    """run_started / run_finished: who, and (finished) the official outcome."""
    entry = run.entry
    message = {"type": kind, "run": run.pk, "entry": entry.pk, "racer": entry.racer.alias, "status": run.status}
    if kind == "run_finished":
        result = run.result
        message.update({
            "error": run.error or None,
            "result": None if result is None else {
                "id": result.pk, "status": result.status, "official_time_s": result.official_time_s,
                "lap_times_s": result.lap_times_s, "best_lap_s": result.best_lap_s,
                "off_track_count": result.off_track_count, "penalty_s": result.penalty_s, "steps": result.steps,
                "trajectory_sha256": result.trajectory_sha256,
                "speed_multipliers": run.speed_multipliers,
            },
        })  # fmt: skip
    return message


def new_token() -> str:
    return uuid.uuid4().hex
