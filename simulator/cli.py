"""`python -m simulator`: race, duel, check, import, tracks, drivers, camera, bench.

Exit status: 0 for a race that ran (finished, DNF or failed); 2 with one line on stderr
for anything the user must fix (arguments, track, model).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from . import layout as L
from . import live
from .bench import run_bench
from .catalog import list_tracks, load_track
from .cli_parser import DEFAULT_RULES, build_parser
from .drivers import write_drivers
from .duel import DuelSettings, match_dict, run_duel, run_match
from .failures import failure_kind
from .formats import (
    FORMAT_OFF_TRACK_PENALTY_S,
    FormatError,
    RaceFormat,
    fixed_objects_from,
)
from .formatting import format_race_time, format_size
from .metadata import ModelError
from .params import RaceRules, SimParams
from .policy import check_model, load_policy
from .race import RaceSetupError, TimeTrial, run_time_trial
from .render import render_map
from .replay import write_duel_replay, write_replay
from .stops import RaceStopped, stopping
from .track import TrackError


class UsageError(Exception):
    """A problem the user fixes; printed as one line, exit status 2."""


def _read_model(model_path: str, metadata_path: str | None) -> tuple[bytes, bytes]:
    model = Path(model_path)
    if not model.is_file():
        raise UsageError(f"model file {model} does not exist")
    meta = Path(metadata_path) if metadata_path else model.with_name("model_metadata.json")
    if not meta.is_file():
        raise UsageError(
            f"metadata file {meta} does not exist; pass --metadata PATH/model_metadata.json"
        )
    return model.read_bytes(), meta.read_bytes()


def _load_policy(args):
    onnx_bytes, meta = _read_model(args.model, args.metadata)
    try:
        return load_policy(onnx_bytes, meta, max_model_bytes=args.max_model_bytes,
                           max_metadata_bytes=args.max_metadata_bytes)
    except ModelError as exc:
        raise UsageError(f"{exc.field}: {exc.message}") from None


def _load_track(ref: str, reverse: bool = False):
    try:
        return load_track(ref, reverse=reverse)
    except TrackError as exc:
        raise UsageError(f"track: {exc}") from None


def _race_format(args) -> RaceFormat:
    """The race format from the command line: settings of other formats are left out."""
    boxes, bots = args.race_type == "object_avoidance", args.race_type == "head_to_bot"
    positions = fixed_objects_from(args.fixed_positions) if args.fixed_positions else ()
    if positions and not (boxes and args.placement == "fixed"):
        raise FormatError("--fixed-positions needs --race-type object_avoidance --placement fixed")
    objects = args.objects if args.objects is not None else (len(positions) or RaceFormat.objects)
    return RaceFormat(
        race_type=args.race_type,
        objects=objects if boxes else RaceFormat.objects,
        placement=args.placement if boxes else RaceFormat.placement,
        fixed_objects=positions,
        bots=args.bots if bots else RaceFormat.bots,
        bot_speed_m_s=args.bot_speed if bots else RaceFormat.bot_speed_m_s,
        bot_lane_change=bool(args.bot_lane_change) if bots else False,
        collision_penalty_s=args.collision_penalty,
        seed=args.seed,
    )


def cmd_race(args) -> int:
    try:
        race_format = _race_format(args)
    except FormatError as exc:
        raise UsageError(str(exc)) from None
    penalty = args.penalty
    if penalty is None:  # the format's default: 5 s with boxes or bots, 3 s in a time trial
        penalty = DEFAULT_RULES.off_track_penalty_s if args.race_type == "time_trial" else FORMAT_OFF_TRACK_PENALTY_S
    try:
        rules = RaceRules(
            laps=args.laps,
            timing_method=args.timing,
            off_track_penalty_s=penalty,
            time_cap_s=args.time_cap,
            allowed_sensors=tuple(args.sensors.split(",")) if args.sensors else DEFAULT_RULES.allowed_sensors,
            off_track_limit=args.off_track_limit,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.replay and not Path(args.replay).resolve().parent.is_dir():
        raise UsageError(f"--replay: folder {Path(args.replay).resolve().parent} does not exist")
    if args.stop_after is not None and not args.stop_after > 0:
        raise UsageError("--stop-after is a number of seconds above 0")
    track = _load_track(args.track, args.reverse)
    policy = _load_policy(args)

    on_progress = None
    if args.progress:
        def on_progress(lap: int, laps: int, time_s: float) -> None:
            print(json.dumps({"type": "progress", "lap": lap, "laps": laps, "time_s": round(time_s, 3)}),
                  file=sys.stderr, flush=True)

    changes = None
    try:
        with stopping(args.stop_after, started=args.started):
            if args.live or args.speed_multipliers:
                result, changes = _race_live(args, policy, track, rules, race_format, on_progress)
            else:
                result = run_time_trial(policy, track, rules, on_progress=on_progress, race_format=race_format)
    except (RaceSetupError, FormatError) as exc:
        raise UsageError(str(exc)) from None
    except RaceStopped as exc:  # outside the race loops (they catch it): before the race began, say
        raise UsageError(f"stopped before the race could give a result: {exc}") from None
    if args.replay:
        try:
            write_replay(args.replay, result, track, args.track, speed_multipliers=changes)
        except OSError as exc:
            raise UsageError(f"--replay: cannot write {args.replay} ({exc.strerror})") from None
    if args.json:
        print(json.dumps(result.to_dict() if changes is None else {**result.to_dict(), "speed_multipliers": changes}))
        return 0
    print(f"Track        {track.name} ({track.length_m:.2f} m{', reversed' if track.is_reversed else ''})")
    if race_format.race_type != "time_trial":
        what = (f"{race_format.objects} boxes, {race_format.placement} placement" if race_format.has_boxes else
                f"{race_format.bots} bots at {race_format.bot_speed_m_s:g} m/s"
                f"{', changing lanes' if race_format.bot_lane_change else ''}")
        print(f"Format       {race_format.race_type} ({what}, seed {race_format.seed}, "
              f"collision penalty {race_format.collision_penalty_s:g} s)")
    print(f"Model        {Path(args.model).name} (sha256 {result.model_sha256[:12]})")
    if result.status == "finished":
        print(f"Status       FINISHED  {format_race_time(result.official_time_s)} ({rules.timing_method})")
    elif result.status == "dnf":
        why = (f"over the off-track limit ({rules.off_track_limit} resets)"
               if result.dnf_reason == "off_track_limit" else "at the time cap")
        print(f"Status       DNF {why}: {result.laps_completed} laps + {result.progress:.1%}")
    else:
        print(f"Status       FAILED: {result.error}")
        _print_failure(result.failure)
    for k, t in enumerate(result.lap_times_s, 1):
        print(f"Lap {k:<8} {format_race_time(t)}")
    print(f"Total time   {format_race_time(result.total_time_s)}  best lap {format_race_time(result.best_lap_s)}"
          f"  average {format_race_time(result.avg_lap_s)}")
    collisions = f"  collisions {result.collision_count}" if race_format.race_type != "time_trial" else ""
    print(f"Off track    {result.off_track_count}  wrong way {result.wrong_way_count}{collisions}"
          f"  penalties {result.penalty_s:.3f} s")
    print(f"Steps        {result.steps}  trajectory sha256 {result.trajectory_sha256}")
    print(f"Versions     simulator {result.simulator_version}, onnxruntime "
          f"{result.onnxruntime_version}, numpy {result.numpy_version}")
    if args.replay:
        print(f"Replay       {args.replay}")
    return 0


def _race_live(args, policy, track, rules, race_format, on_progress):
    """--live: paced to real time, multipliers from stdin, frames on stderr; or
    --speed-multipliers: a live run again from its recording. (result, change points)"""
    try:
        if not args.live:
            changes = live.read_changes(args.speed_multipliers)
            return live.race_recorded(policy, track, changes, rules, race_format=race_format,
                                      on_progress=on_progress), changes

        def emit(message: dict) -> None:
            print(json.dumps(message, separators=(",", ":")), file=sys.stderr, flush=True)

        def warn(text: str) -> None:
            emit({"type": "warning", "message": text})

        return live.run_live(policy, track, rules, race_format=race_format, emit=emit,
                             next_multiplier=live.LineMultipliers(sys.stdin.fileno(), warn))
    except live.MultiplierError as exc:
        raise UsageError(str(exc)) from None


def cmd_duel(args) -> int:
    """Two models on one track (simulator/duel.py): one duel, or with --match both grids."""
    penalty = FORMAT_OFF_TRACK_PENALTY_S if args.penalty is None else args.penalty
    try:
        settings = DuelSettings(start=args.start, collision_penalty_s=args.collision_penalty, seed=args.seed)
        rules = RaceRules(laps=args.laps, off_track_penalty_s=penalty, time_cap_s=args.time_cap)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.replay and not Path(args.replay).resolve().parent.is_dir():
        raise UsageError(f"--replay: folder {Path(args.replay).resolve().parent} does not exist")
    track = _load_track(args.track, args.reverse)
    policies = []
    for side in ("a", "b"):
        model, meta = getattr(args, f"model_{side}"), getattr(args, f"metadata_{side}")
        try:
            policies.append(_load_policy(argparse.Namespace(model=model, metadata=meta, max_model_bytes=args.max_model_bytes,
                                                            max_metadata_bytes=args.max_metadata_bytes)))
        except UsageError as exc:
            raise UsageError(f"model {side}: {exc}") from None
    try:
        if args.match:
            outcomes = run_match(*policies, track, rules, settings=settings)
            out = match_dict(outcomes)
        else:
            outcomes = [run_duel(*policies, track, rules, settings=settings, swapped=args.swap)]
            out = outcomes[0].to_dict()
    except (RaceSetupError, FormatError) as exc:
        raise UsageError(str(exc)) from None
    if args.replay:
        # A package's file is usually model.onnx: its folder names it better.
        names = tuple(p.parent.name if p.stem == "model" else p.stem for p in map(Path, (args.model_a, args.model_b)))
        out_path = Path(args.replay)
        paths = [out_path] if not args.match else [out_path.with_name(f"{out_path.stem}-{k}{out_path.suffix}")
                                                   for k in (1, 2)]
        try:
            for path, outcome in zip(paths, outcomes):
                write_duel_replay(path, outcome, track, args.track, names)
        except OSError as exc:
            raise UsageError(f"--replay: cannot write {args.replay} ({exc.strerror})") from None
    if args.json:
        print(json.dumps(out))
        return 0
    for k, d in enumerate(out["duels"] if args.match else [out], 1):
        print(f"Duel {k}       winner {d['winner']}  car collisions {d['car_collisions']}"
              f"  (a in position {d['positions']['a']})")
        for side in ("a", "b"):
            r = d[side]
            time_text = format_race_time(r["total_time_s"]) if r["status"] == "finished" else \
                f"{r['status'].upper()} {r['laps_completed']} laps + {r['progress']:.1%}"
            print(f"  {side}          {time_text}  penalties {r['penalty_s']:.3f} s  collisions {r['collision_count']}")
    print(f"Winner       {out['winner']}")
    print(f"Trajectory   sha256 {out['trajectory_sha256']}")
    return 0


def _print_failure(failure: dict | None) -> None:
    """Where and when the run failed, and what usually causes that kind of failure."""
    if not failure:
        return
    print(f"Failed at    step {failure['step']}, clock {format_race_time(failure['clock_s'])}, "
          f"lap {failure['lap']} at {failure['progress']:.1%}, "
          f"x {failure['x_m']:.2f} m y {failure['y_m']:.2f} m, {failure['speed_m_s']:.2f} m/s")
    for n, cause in enumerate(failure_kind(failure.get("kind")).causes):
        print(f"{'Usually' if n == 0 else '':<12} - {cause}")


def cmd_check(args) -> int:
    try:
        onnx_bytes, meta = _read_model(args.model, args.metadata)
    except UsageError as exc:
        if args.json:
            print(json.dumps({"ok": False, "field": "files", "error": str(exc)}))
        raise
    try:
        info = check_model(onnx_bytes, meta, max_model_bytes=args.max_model_bytes,
                           max_metadata_bytes=args.max_metadata_bytes)
    except ModelError as exc:
        if args.json:
            print(json.dumps({"ok": False, "field": exc.field, "error": exc.message}))
        print(f"{exc.field}: {exc.message}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"ok": True, **info.to_dict()}))
    else:
        print(f"OK  {Path(args.model).name}: {', '.join(info.sensors)}, {info.action_space_type}"
              f" ({info.n_actions} outputs), {info.size_bytes} bytes, "
              f"{info.trial_inference_ms:.2f} ms per inference, sha256 {info.sha256}")
        _print_warnings(info.warnings)
    return 0


def _print_warnings(warnings) -> None:
    for warning in warnings:
        print(f"WARNING  {warning}")


def cmd_import(args) -> int:
    # Lazy: the converter loads onnx, which the other commands (a race, the web process
    # importing this module) do not need at start-up.
    from .deepracer.importer import import_archive

    def refuse(field: str, message: str) -> int:
        if args.json:
            print(json.dumps({"ok": False, "field": field, "error": message}))
        print(f"error: {field}: {message}", file=sys.stderr)
        return 2

    source, out = Path(args.archive), Path(args.out)
    if not source.is_file():
        return refuse("files", f"archive {source} does not exist")
    if out.exists() and not out.is_dir():
        return refuse("files", f"--out {out} is a file; give a folder")
    with source.open("rb") as f:
        data = f.read(args.max_archive_bytes + 1)  # import_archive says what is over the cap
    try:
        onnx_bytes, metadata, info = import_archive(
            data, max_archive_bytes=args.max_archive_bytes, max_unpacked_bytes=args.max_unpacked_bytes,
            max_members=args.max_members, max_model_bytes=args.max_model_bytes,
            max_metadata_bytes=args.max_metadata_bytes,
        )  # fmt: skip
        checked = check_model(onnx_bytes, metadata, max_model_bytes=args.max_model_bytes,
                              max_metadata_bytes=args.max_metadata_bytes)
    except ModelError as exc:
        return refuse(exc.field, exc.message)
    model_path, meta_path = out / "model.onnx", out / "model_metadata.json"
    try:
        out.mkdir(parents=True, exist_ok=True)
        model_path.write_bytes(onnx_bytes)
        meta_path.write_text(json.dumps(metadata, indent=2) + "\n")
    except OSError as exc:
        return refuse("files", f"cannot write into {out} ({exc.strerror})")
    if args.json:
        print(json.dumps({"ok": True, "model": str(model_path), "metadata": str(meta_path),
                          "import": info.to_dict(), "check": checked.to_dict()}))
        return 0
    print(f"Imported     {source.name}: {info.graph_file} (sha256 {info.archive_sha256[:12]} of the archive)")
    print(f"Network      {info.network or 'unnamed'}, {info.algorithm}, {info.action_space_type} "
          f"({info.n_outputs} outputs), sensors {', '.join(info.sensors)}")
    print("Inputs       " + ", ".join(f"{i['name']} {i['dtype']}{i['shape']}" for i in info.inputs))
    print("Operations   " + ", ".join(f"{op} x{n}" for op, n in info.op_counts.items()))
    print(f"Wrote        {model_path} ({format_size(info.onnx_bytes)}) and {meta_path}")
    print(f"Check        OK, {checked.trial_inference_ms:.2f} ms per inference, sha256 {checked.sha256}")
    _print_warnings(checked.warnings)
    return 0


def cmd_tracks(args) -> int:
    rows = []
    for info in list_tracks():
        t = load_track(info.slug)
        rows.append({"slug": info.slug, "name": info.name, "length_m": round(t.length_m, 2),
                     "width_m": round(float(t.width_m.mean()), 3), "difficulty": info.difficulty,
                     "description": info.description})
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("no shipped tracks found (run: python -m simulator.trackgen)")
        return 0
    print(f"{'slug':<20} {'name':<26} {'length':>8} {'width':>7}")
    for r in rows:
        print(f"{r['slug']:<20} {r['name']:<26} {r['length_m']:>6.2f} m {r['width_m']:>5.2f} m")
    return 0


def cmd_drivers(args) -> int:
    for folder in write_drivers(args.out):
        print(folder)
    return 0


def cmd_camera(args) -> int:
    if not 0.0 <= args.at < 1.0:
        raise UsageError("--at is a fraction of the lap: 0 <= AT < 1")
    track = _load_track(args.track, args.reverse)
    params = SimParams()
    h, w = params.camera.height_px, params.camera.width_px
    # What a model would be fed at the start of a race from there, boxes and bots included.
    if args.stereo:
        buffers = {"STEREO_CAMERAS": np.zeros((1, h, w, 2), dtype=np.uint8)}
    else:
        buffers = {"FRONT_FACING_CAMERA": np.zeros((h, w), dtype=np.uint8)}
    try:
        trial = TimeTrial(track, params=params, buffers=buffers, start_s_m=args.at * track.length_m,
                          race_format=_race_format(args))
    except FormatError as exc:
        raise UsageError(str(exc)) from None
    trial.observe()
    if args.stereo:  # the left frame, then the right one, side by side
        stereo = buffers["STEREO_CAMERAS"][0]
        frame = np.hstack([stereo[:, :, L.STEREO_LEFT], stereo[:, :, L.STEREO_RIGHT]])
    else:
        frame = buffers["FRONT_FACING_CAMERA"]
    img = Image.fromarray(frame, mode="L")
    if args.scale > 1:
        img = img.resize((img.width * args.scale, img.height * args.scale), Image.NEAREST)
    try:
        img.save(args.out)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--out: cannot write {args.out} ({exc})") from None
    print(args.out)
    if args.map:
        map_path = args.map if args.map != "auto" else str(Path(args.out).with_name(Path(args.out).stem + "-map.png"))
        render_map(track, size_px=800, car=trial.car, obstacles=trial.obstacles).save(map_path)
        print(map_path)
    return 0


def cmd_bench(args) -> int:
    report = run_bench(quick=args.quick, log=lambda m: print(m, file=sys.stderr, flush=True))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for p in report["policies"]:
            print(f"{p['name']:<12} step {p['step_us']:9.1f} us  inference {p['inference_us']:9.1f} us"
                  f"  ratio {p['ratio']:5.2f}  3-lap trial {p['trial_3laps_ms']:8.1f} ms")
        for k, v in report.items():
            if k != "policies":
                print(f"{k}: {v}")
    return 0


COMMANDS = {
    "race": cmd_race, "duel": cmd_duel, "check": cmd_check, "import": cmd_import, "tracks": cmd_tracks,
    "drivers": cmd_drivers, "camera": cmd_camera, "bench": cmd_bench,
}


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()  # what `race --stop-after` counts from
    args = build_parser().parse_args(argv)
    args.started = started
    try:
        return COMMANDS[args.command](args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
