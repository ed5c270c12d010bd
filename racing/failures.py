"""A failed run explained: where and when it failed, what usually causes that kind of
failure, the replay up to the failure, and the local command that races it again.

The submission page, the API and the live message all read a failure through
`failure_explained`; the words of each kind live in simulator/failures.py.
"""

from __future__ import annotations

import shlex

from django.conf import settings

from league.models import Race
from league.rules import race_format
from simulator.failures import failure_kind
from simulator.params import DEFAULT_MAX_METADATA_BYTES, DEFAULT_MAX_MODEL_BYTES, SENSORS
from tracks.selectors import track_cli_argument, track_geometry

from .models import Submission
from .replays import replay_file_read
from .runner import format_arguments

# The figures of where and when, as the simulator reports them (simulator/race.py fail()).
WHERE_KEYS = ("step", "clock_s", "lap", "laps_completed", "progress", "x_m", "y_m", "heading_rad", "speed_m_s")


def reproduce_command(race: Race, *, json_output: bool = True) -> str:
    """The exact `python -m simulator race` command of this race's settings, for the
    model's files in the current folder (what the league's worker runs, paths aside)."""
    args = [
        "python", "-m", "simulator", "race", "model.onnx", "--metadata", "model_metadata.json",
        "--track", track_cli_argument(race.track), "--laps", str(race.laps), "--timing", race.timing_method,
        "--penalty", f"{float(race.off_track_penalty_s):g}", "--time-cap", f"{float(race.time_cap_s):g}",
    ]  # fmt: skip
    if race.allowed_sensors and set(race.allowed_sensors) != set(SENSORS):  # the default: all
        args += ["--sensors", ",".join(race.allowed_sensors)]
    if race.off_track_limit:
        args += ["--off-track-limit", str(int(race.off_track_limit))]
    if race.reversed:
        args.append("--reverse")
    args += format_arguments(race_format(race))  # boxes or bots, and their seed
    # The league's size caps, where they differ from what a local run allows by default.
    if int(settings.RACING["MAX_MODEL_BYTES"]) != DEFAULT_MAX_MODEL_BYTES:
        args += ["--max-model-bytes", str(int(settings.RACING["MAX_MODEL_BYTES"]))]
    if int(settings.RACING["MAX_METADATA_BYTES"]) != DEFAULT_MAX_METADATA_BYTES:
        args += ["--max-metadata-bytes", str(int(settings.RACING["MAX_METADATA_BYTES"]))]
    if json_output:
        args += ["--json", "--replay", "replay.json"]
    return shlex.join(args)


def failure_explained(submission: Submission) -> dict | None:
    """A failed submission's failure for people: kind, title, message, where and when
    (null figures when the sandbox ended the run before the simulator could say), the
    usual causes, the reproduce command and whether a partial replay exists. None for
    any other status: a platform error is never blamed on the model."""
    if submission.status != Submission.Status.FAILED:
        return None
    stored = submission.failure if isinstance(submission.failure, dict) else {}
    kind = failure_kind(stored.get("kind"))
    where = {key: stored.get(key) for key in WHERE_KEYS}
    return {
        "kind": kind.key,
        "title": kind.title,
        "message": stored.get("message") or submission.error,
        **where,
        "located": where["step"] is not None,
        "causes": list(kind.causes),
        "reproduce": reproduce_command(submission.race),
        "local": kind.local,  # whether the command fails the same way at home
        "track_argument": track_cli_argument(submission.race.track),
        "has_partial_replay": bool(submission.partial_replay),
    }


def partial_replay_read(submission: Submission) -> dict:
    """The stored replay of a failed run, up to the failure (the simulator's replay JSON)."""
    return replay_file_read(submission.partial_replay, f"the failed run of submission {submission.pk}")


def partial_replay_payload(submission: Submission) -> dict:
    """The partial replay as the replay viewer reads it: the stored file with the track's
    geometry in its `track` block, and who, where and the failure in `meta`."""
    data = partial_replay_read(submission)
    race = submission.race
    track = dict(data.get("track") or {})
    track["ref"] = track_cli_argument(race.track)
    track.update(track_geometry(race.track, reverse=bool(track.get("reversed"))))
    data["track"] = track
    data["meta"] = {
        "submission_id": submission.pk,
        "racer": submission.racer.alias,
        "race": {"id": race.pk, "name": race.display_name, "laps": race.laps,
                 "timing_method": race.timing_method, "off_track_penalty_s": race.off_track_penalty_s,
                 "time_cap_s": race.time_cap_s},
        "status": "failed",
        "failure": submission.failure,
    }  # fmt: skip
    return data
