"""Running the simulator's command line in the sandbox, and reading what it says.

Two entry points, both through `racing.sandbox.run_sandboxed`:
- `check_upload`: `python -m simulator check` (static checks and a trial inference);
- `race_model`: `python -m simulator race` (an official run in the race's format: time
  trial, object avoidance or head-to-bot, with its replay).

Every outcome is sorted into the model's fault (`ModelRejected` at upload,
`RaceRun.kind == "failed"` at race time, with a message for the competitor) or the
platform's fault (`PlatformFault`, retried and never counted against a quota).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from simulator.formats import RaceFormat
from simulator.params import TIME_CAP_RANGE_S

from .models import Result
from . import warm
from .sandbox import Limits, Outcome, SandboxStartError, run_sandboxed
from .workdirs import work_dir

RESULT_STATUSES = tuple(Result.Status.values)  # the simulator's result statuses


class PlatformFault(RuntimeError):
    """Something went wrong on our side; the submission is retried, the upload refused
    with a "try again" message."""


class WorkerLost(RuntimeError):
    """Recorded on the queue's task of a race or video whose worker stopped (never raised)."""


WORKER_LOST_PATH = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


class ModelRejected(ValueError):
    """The model failed a check. `errors` maps a field ("onnx", "metadata", "name") to
    messages that name the fix."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


VIDEO_TIMEOUT_FLOOR_S = 120.0
# Sweeps leave a work folder this long after the longest run allowed could have ended.
SWEEP_MARGIN_S = 600.0
# A race's child ends itself this long (at most a quarter of the wall clock) before the
# sandbox would kill it, to write its result and the replay so far (simulator/stops.py).
STOP_MARGIN_S = 5.0


def run_limits(kind: str) -> Limits:
    cfg = settings.RACING
    memory = int(cfg["SANDBOX_MEMORY_MB"]) * 1024 * 1024
    processes = int(cfg["SANDBOX_PROCESSES"])
    if kind == "check":
        return Limits(memory_bytes=memory, cpu_s=cfg["CHECK_CPU_S"], wall_s=cfg["CHECK_WALL_S"],
                      processes=processes)
    return Limits(memory_bytes=memory, cpu_s=cfg["RACE_CPU_S"], wall_s=cfg["RACE_WALL_S"],
                  processes=processes)


def video_limits(race_s: float) -> Limits:
    """The render of a video of a race of `race_s` seconds: a 2-minute floor plus
    RACING["VIDEO_TIMEOUT_PER_RACE_S"] per second of race, of wall clock and of CPU."""
    cfg = settings.RACING
    wall_s = VIDEO_TIMEOUT_FLOOR_S + float(cfg["VIDEO_TIMEOUT_PER_RACE_S"]) * race_s
    return Limits(memory_bytes=int(cfg["VIDEO_MEMORY_MB"]) * 1024 * 1024, cpu_s=wall_s,
                  wall_s=wall_s, processes=int(cfg["SANDBOX_PROCESSES"]))


def longest_run_s() -> float:
    """How long a work folder may be in use at most, with a margin (for the sweeps)."""
    cfg = settings.RACING
    longest_video = video_limits(TIME_CAP_RANGE_S[1]).wall_s
    return max(float(cfg["RACE_WALL_S"]), float(cfg["CHECK_WALL_S"]), longest_video) + SWEEP_MARGIN_S


def json_object(data: bytes) -> dict | None:
    text = data.decode("utf-8", "replace").strip()
    if not text:
        return None
    # The JSON document is the last line if anything else was printed before it.
    for candidate in (text, text.splitlines()[-1]):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _limit_message(outcome: Outcome, limits: Limits, doing: str) -> str:
    what = limits.describe(outcome.limit)
    if outcome.limit == "memory":
        return f"The model ran out of memory {doing}: it exceeded the {what}."
    if outcome.limit == "cpu":
        return f"The model used too much CPU time {doing}: it exceeded the {what}."
    return f"The model took too long {doing}: it exceeded the {what}."


def size_caps() -> list[str]:
    # The league's caps, not the simulator's defaults: the child enforces what the upload did.
    return [
        "--max-model-bytes", str(int(settings.RACING["MAX_MODEL_BYTES"])),
        "--max-metadata-bytes", str(int(settings.RACING["MAX_METADATA_BYTES"])),
    ]  # fmt: skip


def check_upload(onnx_bytes: bytes, metadata_bytes: bytes) -> dict:
    """Run `python -m simulator check` on the files; return the model info.

    Raises ModelRejected (the model's fault) or PlatformFault.
    """
    with work_dir("check") as work:
        (work / "model.onnx").write_bytes(onnx_bytes)
        (work / "model_metadata.json").write_bytes(metadata_bytes)
        args = [
            "-m", "simulator", "check", "model.onnx",
            "--metadata", "model_metadata.json", "--json", *size_caps(),
        ]  # fmt: skip
        return _checked(args, work, fields=("onnx", "metadata"), what="model check")


def import_archive(archive_bytes: bytes) -> tuple[bytes, bytes, dict]:
    """Convert a DeepRacer console export with `python -m simulator import` (which also
    checks the result) in the sandbox: the archive's bytes are hostile until then.
    Returns (onnx bytes, metadata bytes, the import's report with its `check` info).

    Raises ModelRejected (the archive's fault, field `archive`) or PlatformFault.
    """
    with work_dir("import") as work:
        (work / "export.tar.gz").write_bytes(archive_bytes)
        args = [
            "-m", "simulator", "import", "export.tar.gz", "--out", "out", "--json",
            "--max-archive-bytes", str(int(settings.RACING["MAX_ARCHIVE_BYTES"])), *size_caps(),
        ]  # fmt: skip
        report = _checked(args, work, fields=("archive", "onnx", "metadata"), what="model import")
        try:
            onnx_bytes = (work / "out" / "model.onnx").read_bytes()
            metadata_bytes = (work / "out" / "model_metadata.json").read_bytes()
        except OSError as exc:
            raise PlatformFault(f"the model import wrote no model: {exc}") from exc
    return onnx_bytes, metadata_bytes, report


def _checked(args: list[str], work: Path, *, fields: tuple[str, ...], what: str) -> dict:
    """Run a checking command in the sandbox and read its JSON answer; the model's faults
    become ModelRejected on the first of `fields` unless the answer names another."""
    limits = run_limits("check")
    try:
        outcome = run_sandboxed(args, limits, cwd=work)
    except SandboxStartError as exc:
        raise PlatformFault(str(exc)) from exc
    if outcome.limit is not None:
        raise ModelRejected({fields[0]: [_limit_message(outcome, limits, "at trial inference")]})
    data = json_object(outcome.stdout)
    if outcome.returncode == 0 and data is not None:
        return data
    if outcome.returncode == 2 and data is not None and data.get("error"):
        field = data.get("field") if data.get("field") in fields else fields[0]
        raise ModelRejected({field: [str(data["error"])]})
    if outcome.signal is not None:
        raise ModelRejected(
            {
                fields[0]: [
                    f"The model crashed the runtime at trial inference ({outcome.signal_name}). "
                    "Export it again with standard operators."
                ]
            }
        )
    raise PlatformFault(f"{what} exited with code {outcome.returncode}: {last_line(outcome.stderr)}")


@dataclass
class RaceRun:
    kind: str  # "result" | "failed" | "platform"
    result: dict | None
    message: str
    replay_path: Path | None = None  # the replay; of a failed run, up to the failure
    outcome: Outcome | None = None
    # A failed run: its kind (simulator/failures.py) and, when the simulator caught it,
    # where and when (step, clock, lap, progress, position).
    failure: dict | None = None


# The sandbox's limits as failure kinds (simulator/failures.py).
_LIMIT_KINDS = {"memory": "memory", "cpu": "cpu_time", "wall": "wall_clock"}


def _failed(message: str, kind: str, outcome: Outcome, failure: dict | None = None,
            replay_path: Path | None = None) -> RaceRun:
    failure = {**(failure or {}), "kind": (failure or {}).get("kind") or kind, "message": message}
    return RaceRun("failed", None, message, replay_path, outcome, failure)


def format_arguments(race_format: RaceFormat) -> list[str]:
    """The command line's flags of a race format (none for a time trial): what the worker
    passes, and what the reproduce command shows."""
    if race_format.race_type == "time_trial":
        return []
    args = ["--race-type", race_format.race_type]
    if race_format.has_boxes:
        args += ["--objects", str(race_format.objects), "--placement", race_format.placement]
        if race_format.placement == "fixed":
            args += ["--fixed-positions", ",".join(f"{f.lane}:{exact_number(f.progress_pct)}" for f in race_format.fixed_objects)]
    if race_format.has_bots:
        args += ["--bots", str(race_format.bots), "--bot-speed", exact_number(race_format.bot_speed_m_s)]
        if race_format.bot_lane_change:
            args.append("--bot-lane-change")
    return args + ["--collision-penalty", exact_number(race_format.collision_penalty_s), "--seed", str(race_format.seed)]


def exact_number(value: float) -> str:
    """Short where that reads back the same number (0.75), every digit otherwise."""
    short = f"{value:g}"
    return short if float(short) == value else repr(float(value))


def race_model(
    *,
    workdir: Path,
    onnx_bytes: bytes,
    metadata_bytes: bytes,
    track_bytes: bytes,
    laps: int,
    timing_method: str,
    off_track_penalty_s: float,
    time_cap_s: float,
    off_track_limit: int = 0,
    reverse: bool = False,
    allowed_sensors: list[str] | tuple[str, ...] = (),
    race_format: RaceFormat | None = None,
    on_progress: Callable[[dict], None] | None = None,
    on_tick: Callable[[], None] | None = None,
    tick_s: float = 1.0,
) -> RaceRun:
    """Race the model in `workdir` (a `racing.workdirs.work_dir`, the caller's). Raises
    PlatformFault if the child cannot be started; every other outcome is a RaceRun."""
    limits = run_limits("race")
    args = race_args(workdir=workdir, onnx_bytes=onnx_bytes, metadata_bytes=metadata_bytes,
                     track_bytes=track_bytes, laps=laps, timing_method=timing_method,
                     off_track_penalty_s=off_track_penalty_s, time_cap_s=time_cap_s,
                     off_track_limit=off_track_limit, reverse=reverse, allowed_sensors=allowed_sensors,
                     race_format=race_format, limits=limits)
    replay = workdir / "replay.json"

    def stderr_line(line: str) -> None:
        if on_progress is None or not line.startswith("{"):
            return
        try:
            event = json.loads(line)
        except ValueError:
            return
        if isinstance(event, dict) and event.get("type") == "progress":
            on_progress(event)

    try:
        # A warm host (racing/warm.py) when the worker has one; cold when it cannot.
        outcome = warm.run_race(
            args, limits, workdir, on_stderr_line=stderr_line, on_tick=on_tick, tick_s=tick_s
        )
        if outcome is None:
            outcome = run_sandboxed(
                args, limits, cwd=workdir, on_stderr_line=stderr_line, on_tick=on_tick, tick_s=tick_s
            )
    except SandboxStartError as exc:
        raise PlatformFault(str(exc)) from exc
    run = interpret_race(outcome, limits, replay)
    if run.kind != "result":
        warm.retire()  # a fresh host after anything but a result
    return run


def stop_after_s(limits: Limits) -> float:
    """When the child ends a race itself (`race --stop-after`, simulator/stops.py): a little
    before the sandbox's wall clock would kill it, leaving time to write its result and
    the replay so far."""
    return limits.wall_s - min(STOP_MARGIN_S, limits.wall_s / 4)


def race_limits(wall_s: float | None = None) -> Limits:
    """The limits of a race; a live race (paced to real time) gives its own wall clock."""
    limits = run_limits("race")
    return limits if wall_s is None else Limits(memory_bytes=limits.memory_bytes, cpu_s=limits.cpu_s,
                                                 wall_s=wall_s, processes=limits.processes)


def race_args(*, workdir: Path, onnx_bytes: bytes, metadata_bytes: bytes, track_bytes: bytes, laps: int,
              timing_method: str, off_track_penalty_s: float, time_cap_s: float, off_track_limit: int = 0,
              reverse: bool = False, allowed_sensors: list[str] | tuple[str, ...] = (),
              race_format: RaceFormat | None = None, limits: Limits | None = None) -> list[str]:
    """The files of a race written into `workdir`, and the child's command line racing
    them (`python -m simulator race`, result JSON on stdout, replay in replay.json);
    with the `limits` it runs under, it stops itself before their wall clock."""
    (workdir / "model.onnx").write_bytes(onnx_bytes)
    (workdir / "model_metadata.json").write_bytes(metadata_bytes)
    (workdir / "track.npy").write_bytes(track_bytes)
    args = [
        "-m", "simulator", "race", "model.onnx",
        "--metadata", "model_metadata.json",
        # Relative, like every path given to the child: its folder is /scratch inside the
        # sandbox, and the replay names the track file it raced (no server path in it).
        "--track", "track.npy",
        "--laps", str(laps),
        "--timing", timing_method,
        "--penalty", repr(float(off_track_penalty_s)),
        "--time-cap", repr(float(time_cap_s)),
        "--json", "--replay", "replay.json", "--progress", *size_caps(),
    ]  # fmt: skip
    if allowed_sensors:
        args += ["--sensors", ",".join(allowed_sensors)]
    if off_track_limit:
        args += ["--off-track-limit", str(int(off_track_limit))]
    if reverse:
        args.append("--reverse")
    if race_format is not None:
        args += format_arguments(race_format)
    if limits is not None:
        args += ["--stop-after", f"{stop_after_s(limits):.3f}"]
    return args


def interpret_race(outcome: Outcome, limits: Limits, replay: Path) -> RaceRun:
    if outcome.limit is not None:
        return _failed(_limit_message(outcome, limits, "during the race"),
                       _LIMIT_KINDS.get(outcome.limit, "wall_clock"), outcome)
    data = json_object(outcome.stdout)
    if outcome.returncode == 0:
        if data is None or "status" not in data:
            return RaceRun(
                "platform", None, "the simulator printed no result", None, outcome
            )
        if data["status"] in RESULT_STATUSES:
            return RaceRun("result", data, "", replay if replay.is_file() else None, outcome)
        message = str(data.get("error") or "the policy failed during the race")
        failure = data.get("failure") if isinstance(data.get("failure"), dict) else None
        return _failed(message, "crash", outcome, failure, replay if replay.is_file() else None)
    if outcome.signal is not None:
        return _failed(f"The model crashed the simulator ({outcome.signal_name}).", "signal", outcome)
    if outcome.returncode == 2:
        # Bad arguments or a bad track are ours; a model that cannot be loaded is its own.
        if data is not None and data.get("field") in ("onnx", "metadata"):
            return _failed(str(data.get("error")), "model", outcome)
        line = last_line(outcome.stderr)
        if line.startswith(("onnx:", "metadata:")) or "sensor" in line.lower():
            return _failed(line.split(":", 1)[-1].strip() if line.startswith(("onnx:", "metadata:")) else line,
                           "model", outcome)
        return RaceRun("platform", None, f"simulator refused the race: {line}", None, outcome)
    return RaceRun(
        "platform",
        None,
        f"simulator exited with code {outcome.returncode}: {last_line(outcome.stderr)}",
        None,
        outcome,
    )
