"""The command line's arguments: every command's options and help, one parser
(`python -m simulator --help`); simulator/cli.py runs the commands."""

from __future__ import annotations

import argparse

from .deepracer import (
    DEFAULT_MAX_ARCHIVE_BYTES,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_UNPACKED_BYTES,
)
from .duel import STARTS
from .formats import FORMAT_OFF_TRACK_PENALTY_S, PLACEMENTS, RACE_TYPES, RaceFormat
from .formatting import format_size
from .params import (
    DEFAULT_MAX_METADATA_BYTES,
    DEFAULT_MAX_MODEL_BYTES,
    TIMING_METHODS,
    RaceRules,
)

DEFAULT_RULES = RaceRules()
REVERSE_HELP = "drive the track the other way round (the start line stays at waypoint 0)"


class _Parser(argparse.ArgumentParser):
    """Bad arguments are one line on stderr too (argparse would print the usage first)."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def _format_options(p: argparse.ArgumentParser) -> None:
    """The race format's options: the race's own and the camera preview's."""
    fmt = p.add_argument_group("race formats", "boxes to avoid or bot cars to pass (docs/competitors.md)")
    fmt.add_argument("--race-type", default="time_trial", choices=RACE_TYPES, help="the race format (default time_trial)")
    fmt.add_argument("--objects", type=int, default=None, metavar="N",
                     help=f"object_avoidance: boxes on the track (default {RaceFormat.objects}, "
                          "or as many as --fixed-positions)")
    fmt.add_argument("--placement", default=RaceFormat.placement, choices=PLACEMENTS,
                     help="object_avoidance: boxes placed from the seed, or where --fixed-positions says")
    fmt.add_argument("--fixed-positions", metavar="LANE:PCT,...",
                     help="object_avoidance, fixed placement: each box's lane (inside or outside) and "
                          "place in %% of the lap, e.g. inside:20,outside:45")
    fmt.add_argument("--bots", type=int, default=RaceFormat.bots, metavar="N",
                     help=f"head_to_bot: bot cars (default {RaceFormat.bots})")
    fmt.add_argument("--bot-speed", type=float, default=RaceFormat.bot_speed_m_s, metavar="M/S",
                     help=f"head_to_bot: the bots' speed (default {RaceFormat.bot_speed_m_s:g})")
    fmt.add_argument("--bot-lane-change", action="store_true", help="head_to_bot: bots change lanes at seeded times")
    fmt.add_argument("--collision-penalty", type=float, default=RaceFormat.collision_penalty_s, metavar="S",
                     help=f"seconds added per collision (default {RaceFormat.collision_penalty_s:g})")
    fmt.add_argument("--seed", type=int, default=RaceFormat.seed,
                     help=f"the seed of placements and lane changes (default {RaceFormat.seed})")


def _size_caps(p: argparse.ArgumentParser) -> None:
    """The league passes its own caps; a competitor's check uses the defaults."""
    p.add_argument("--max-model-bytes", type=int, default=DEFAULT_MAX_MODEL_BYTES, metavar="N",
                   help=f"refuse a model file larger than this (default {format_size(DEFAULT_MAX_MODEL_BYTES)})")
    p.add_argument("--max-metadata-bytes", type=int, default=DEFAULT_MAX_METADATA_BYTES, metavar="N",
                   help=f"refuse a metadata file larger than this "
                        f"(default {format_size(DEFAULT_MAX_METADATA_BYTES)})")


def _archive_caps(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-archive-bytes", type=int, default=DEFAULT_MAX_ARCHIVE_BYTES, metavar="N",
                   help=f"refuse a larger archive (default {format_size(DEFAULT_MAX_ARCHIVE_BYTES)})")
    p.add_argument("--max-unpacked-bytes", type=int, default=DEFAULT_MAX_UNPACKED_BYTES, metavar="N",
                   help=f"refuse an archive that unpacks to more (default {format_size(DEFAULT_MAX_UNPACKED_BYTES)})")
    p.add_argument("--max-members", type=int, default=DEFAULT_MAX_MEMBERS, metavar="N",
                   help=f"refuse an archive with more files and folders (default {DEFAULT_MAX_MEMBERS})")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m simulator",
        description="The official race simulator: local time trials identical to the league's.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("race", help="run an official time trial", description="Run an official time trial.")
    r.add_argument("model", help="the policy, model.onnx")
    r.add_argument("--metadata", help="model_metadata.json (default: next to the model)")
    r.add_argument("--track", required=True, help="a shipped track slug or a DeepRacer .npy file")
    r.add_argument("--laps", type=int, default=DEFAULT_RULES.laps,
                   help=f"laps to finish (default {DEFAULT_RULES.laps})")
    r.add_argument("--timing", default=DEFAULT_RULES.timing_method, choices=TIMING_METHODS,
                   help=f"timing method (default {DEFAULT_RULES.timing_method})")
    r.add_argument("--penalty", type=float, default=None,
                   help=f"off-track penalty in seconds (default {DEFAULT_RULES.off_track_penalty_s:g}; "
                        f"{FORMAT_OFF_TRACK_PENALTY_S:g} with boxes or bots)")
    r.add_argument("--time-cap", type=float, default=DEFAULT_RULES.time_cap_s,
                   help=f"time cap in seconds (default {DEFAULT_RULES.time_cap_s:g})")
    r.add_argument("--sensors", help="comma-separated sensors the race allows (default: all)")
    r.add_argument("--off-track-limit", type=int, default=DEFAULT_RULES.off_track_limit, metavar="N",
                   help="resets (off track or wrong way) allowed: one more ends the run as DNF "
                        f"(default {DEFAULT_RULES.off_track_limit}: no limit)")
    r.add_argument("--reverse", action="store_true", help=REVERSE_HELP)
    _format_options(r)
    r.add_argument("--json", action="store_true", help="print one JSON object with the result")
    r.add_argument("--replay", metavar="OUT", help="write the replay (trajectory and events) as JSON")
    r.add_argument("--progress", action="store_true", help="JSON progress lines on stderr, one per lap")
    r.add_argument("--live", action="store_true",
                   help="race paced to real time (15 steps/s): speed multipliers (0.5-1.5) read from stdin, "
                        "one a line; a JSON frame per step and each lap and off-track on stderr")
    r.add_argument("--speed-multipliers", metavar="FILE",
                   help="race again with the speed multipliers a live race recorded (its result or replay JSON)")
    r.add_argument("--stop-after", type=float, metavar="SECONDS",
                   help="end the race as failed this many seconds of wall clock after the command started, "
                        "with its replay so far (the league's sandbox sets it under its own deadline); "
                        "a run out of CPU time (SIGXCPU) ends the same way")
    _size_caps(r)

    du = sub.add_parser("duel", help="race two models against each other",
                        description="Head-to-head: two models on one track, each seeing the other (docs/competitors.md).")
    du.add_argument("model_a", help="car a's model.onnx")
    du.add_argument("model_b", help="car b's model.onnx")
    du.add_argument("--metadata-a", help="car a's model_metadata.json (default: next to its model)")
    du.add_argument("--metadata-b", help="car b's model_metadata.json (default: next to its model)")
    du.add_argument("--track", required=True, help="a shipped track slug or a DeepRacer .npy file")
    du.add_argument("--laps", type=int, default=DEFAULT_RULES.laps, help=f"laps to finish (default {DEFAULT_RULES.laps})")
    du.add_argument("--penalty", type=float, default=None,
                    help=f"off-track penalty in seconds (default {FORMAT_OFF_TRACK_PENALTY_S:g})")
    du.add_argument("--time-cap", type=float, default=DEFAULT_RULES.time_cap_s,
                    help=f"time cap in seconds (default {DEFAULT_RULES.time_cap_s:g})")
    du.add_argument("--collision-penalty", type=float, default=RaceFormat.collision_penalty_s, metavar="S",
                    help=f"seconds added to both cars per contact (default {RaceFormat.collision_penalty_s:g})")
    du.add_argument("--start", default="side_by_side", choices=STARTS, help="the grid (default side_by_side)")
    du.add_argument("--seed", type=int, default=0, help="where on the lap the grid stands (default 0: the start line)")
    du.add_argument("--reverse", action="store_true", help=REVERSE_HELP)
    du.add_argument("--swap", action="store_true", help="b in position 1")
    du.add_argument("--match", action="store_true", help="a match: both grids (a first, then b in position 1)")
    du.add_argument("--json", action="store_true", help="print one JSON object with the duel (or match)")
    du.add_argument("--replay", metavar="OUT", help="write the replay of both cars as JSON "
                                                    "(with --match: OUT-1 and OUT-2, one per duel)")
    _size_caps(du)

    c = sub.add_parser("check", help="validate a model package", description="Validate a model package without racing it.")
    c.add_argument("model")
    c.add_argument("--metadata", help="model_metadata.json (default: next to the model)")
    c.add_argument("--json", action="store_true")
    _size_caps(c)

    im = sub.add_parser(
        "import", help="convert a DeepRacer console export",
        description="Convert a DeepRacer console export (.tar.gz with a frozen graph and model_metadata.json) "
                    "into model.onnx + model_metadata.json, and check them.",
    )  # fmt: skip
    im.add_argument("archive", help="the exported .tar.gz (or .tar)")
    im.add_argument("--out", required=True, help="folder to write model.onnx and model_metadata.json into")
    im.add_argument("--json", action="store_true", help="print one JSON object with what was imported")
    _archive_caps(im)
    _size_caps(im)

    t = sub.add_parser("tracks", help="list the shipped tracks", description="List the shipped tracks.")
    t.add_argument("--json", action="store_true")

    d = sub.add_parser("drivers", help="write the house drivers", description="Write the house drivers (model.onnx + model_metadata.json each).")
    d.add_argument("--out", required=True, help="output folder")

    cam = sub.add_parser("camera", help="save what the camera sees", description="Save the front camera's view from the centre line.")
    cam.add_argument("--track", required=True, help="a shipped track slug or a .npy file")
    cam.add_argument("--reverse", action="store_true", help=REVERSE_HELP)
    cam.add_argument("--at", type=float, default=0.0, help="fraction of the lap, 0..1 (default 0)")
    cam.add_argument("--out", required=True, help="PNG file to write")
    cam.add_argument("--scale", type=int, default=1, help="enlarge the 160x120 picture N times")
    cam.add_argument("--map", nargs="?", const="auto", help="also write a top-down map (optional path)")
    cam.add_argument("--stereo", action="store_true", help="STEREO_CAMERAS: the left and right frames side by side")
    _format_options(cam)

    b = sub.add_parser("bench", help="benchmark the simulator", description="Full simulator step against the bare onnxruntime call, and whole trials.")
    b.add_argument("--json", action="store_true")
    b.add_argument("--quick", action="store_true", help="fewer repetitions")
    return p
