"""A match in the sandbox: `python -m simulator duel A B --match --json --replay`, run as
every race is (racing/runner.py's limits, the warm host of racing/warm.py when the worker
keeps one), and what its exit means."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from racing import warm
from racing.runner import (
    PlatformFault,
    exact_number,
    json_object,
    last_line,
    run_limits,
    size_caps,
)
from racing.sandbox import Limits, SandboxStartError, run_sandboxed
from simulator.duel import DuelSettings

# A match is two duels of two cars: four runs' worth of the race limits.
RUNS_PER_MATCH = 4


@dataclass
class MatchRun:
    ok: bool
    result: dict | None
    message: str
    replays: tuple[Path | None, Path | None] = (None, None)


def match_limits() -> Limits:
    one = run_limits("race")
    return Limits(memory_bytes=one.memory_bytes, cpu_s=one.cpu_s * RUNS_PER_MATCH,
                  wall_s=one.wall_s * RUNS_PER_MATCH, processes=one.processes)


def match_arguments(*, laps: int, off_track_penalty_s: float, time_cap_s: float, reverse: bool,
                    settings: DuelSettings) -> list[str]:
    """The duel command's flags of a race (also the reproduce command on the match page)."""
    args = ["--laps", str(laps), "--penalty", exact_number(off_track_penalty_s), "--time-cap", exact_number(time_cap_s),
            "--start", settings.start, "--collision-penalty", exact_number(settings.collision_penalty_s),
            "--seed", str(settings.seed)]
    return args + (["--reverse"] if reverse else [])


def race_match(*, workdir: Path, models: tuple[tuple[bytes, bytes], tuple[bytes, bytes]], track_bytes: bytes,
               flags: list[str], on_tick: Callable[[], None] | None = None, tick_s: float = 1.0) -> MatchRun:
    """Race the match in `workdir`. Raises PlatformFault if the child cannot start."""
    for side, (onnx_bytes, metadata_bytes) in zip("ab", models):
        (workdir / side).mkdir()
        (workdir / side / "model.onnx").write_bytes(onnx_bytes)
        (workdir / side / "model_metadata.json").write_bytes(metadata_bytes)
    (workdir / "track.npy").write_bytes(track_bytes)
    args = ["-m", "simulator", "duel", "a/model.onnx", "b/model.onnx",
            "--metadata-a", "a/model_metadata.json", "--metadata-b", "b/model_metadata.json",
            "--track", "track.npy", *flags, "--match", "--json", "--replay", "replay.json", *size_caps()]
    limits = match_limits()
    try:
        outcome = warm.run_race(args, limits, workdir, on_stderr_line=None, on_tick=on_tick, tick_s=tick_s)
        if outcome is None:
            outcome = run_sandboxed(args, limits, cwd=workdir, on_tick=on_tick, tick_s=tick_s)
    except SandboxStartError as exc:
        raise PlatformFault(str(exc)) from exc
    data = json_object(outcome.stdout)
    if outcome.limit is None and outcome.returncode == 0 and data is not None and "winner" in data:
        replays = tuple(p if p.is_file() else None for p in (workdir / "replay-1.json", workdir / "replay-2.json"))
        return MatchRun(True, data, "", replays)
    warm.retire()
    if outcome.limit is not None:
        message = f"the match exceeded the {limits.describe(outcome.limit)}"
    elif outcome.signal is not None:
        message = f"the simulator crashed ({outcome.signal_name})"
    else:
        message = f"the simulator exited with code {outcome.returncode}: {last_line(outcome.stderr)}"
    return MatchRun(False, None, message)
