"""`python -m simulator`: race, check, tracks, drivers, camera, and its exit statuses.

Most runs are in-process (`main(argv)`); a few start a fresh Python, because that is how
the server's sandbox calls it and because onnxruntime writes to the real stderr.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from simulator.catalog import list_tracks, load_track
from simulator.formats import RaceFormat
from simulator.formatting import format_race_time
from simulator.params import RaceRules
from simulator.policy import check_model
from simulator.race import TimeTrial
from simulator.replay import read_replay

from . import builders as B

RESULT_KEYS = {
    "status", "laps_completed", "lap_times_s", "total_time_s", "best_lap_s", "avg_lap_s", "progress",
    "off_track_count", "penalty_s", "steps", "trajectory_sha256", "simulator_version",
    "onnxruntime_version", "numpy_version", "model_sha256", "error", "timing_method", "official_time_s",
}


@pytest.fixture
def pursuit_pkg(model_package):
    return model_package(B.pursuit_model(2.0), B.continuous_metadata(), name="pursuit")


def one_line_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- race -------------------------------------------------------------------------------------


def test_race_summary(cli, pursuit_pkg, stadium_file):
    model, meta = pursuit_pkg
    code, out, err = cli("race", model, "--metadata", meta, "--track", stadium_file, "--laps", "2")
    assert code == 0, err
    assert "Status       FINISHED" in out and "(TOTAL_TIME)" in out
    assert "Lap 1" in out and "Lap 2" in out
    assert "Off track    0" in out
    assert "trajectory sha256 " in out and "onnxruntime" in out
    result = json.loads(cli("race", model, "--metadata", meta, "--track", stadium_file, "--laps", "2", "--json")[1])
    assert f"Total time   {format_race_time(result['total_time_s'])}  best lap" in out  # the league's format


def test_race_json_has_every_result_key(cli, pursuit_pkg, stadium_file):
    model, meta = pursuit_pkg
    code, out, err = cli("race", model, "--metadata", meta, "--track", stadium_file, "--laps", "2", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert RESULT_KEYS <= set(result)
    assert result["status"] == "finished" and result["laps_completed"] == 2
    assert len(result["lap_times_s"]) == 2 and result["official_time_s"] == result["total_time_s"]
    assert len(result["trajectory_sha256"]) == 64 and len(result["model_sha256"]) == 64


def test_race_rules_from_the_command_line(cli, model_package, stadium_file):
    model, meta = model_package(B.constant_model([0.0, B.unit(1.5, 0.5, 4.0)]))  # drives straight on
    code, out, _ = cli("race", model, "--metadata", meta, "--track", stadium_file, "--laps", "1",
                       "--timing", "BEST_LAP_TIME", "--penalty", "1.5", "--time-cap", "60", "--json")
    r = json.loads(out)
    assert code == 0
    assert r["timing_method"] == "BEST_LAP_TIME"
    assert r["off_track_count"] > 0 and r["penalty_s"] == pytest.approx(1.5 * r["off_track_count"])
    assert r["status"] == "finished" and r["official_time_s"] == r["best_lap_s"]


def test_metadata_defaults_to_the_file_next_to_the_model(cli, pursuit_pkg, stadium_file):
    model, _ = pursuit_pkg
    code, out, err = cli("race", model, "--track", stadium_file, "--laps", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "finished"


def test_race_dnf_exits_0(cli, pursuit_pkg, stadium_file):
    model, meta = pursuit_pkg
    code, out, _ = cli("race", model, "--metadata", meta, "--track", stadium_file, "--time-cap", "2")
    assert code == 0 and "DNF at the time cap: 0 laps" in out
    code, out, _ = cli("race", model, "--metadata", meta, "--track", stadium_file, "--time-cap", "2", "--json")
    r = json.loads(out)
    assert code == 0 and r["status"] == "dnf" and 0 < r["progress"] < 1


def test_race_failed_exits_0(cli, model_package, stadium_file):
    model, meta = model_package(B.nan_when_fast_model())
    code, out, _ = cli("race", model, "--metadata", meta, "--track", stadium_file, "--json")
    r = json.loads(out)
    assert code == 0 and r["status"] == "failed" and "NaN" in r["error"]
    code, out, _ = cli("race", model, "--metadata", meta, "--track", stadium_file)
    assert code == 0 and "FAILED: the model returned NaN" in out


def test_replay_file_is_written_and_readable(cli, pursuit_pkg, stadium_file, tmp_path):
    model, meta = pursuit_pkg
    replay = tmp_path / "out" / "replay.json"
    replay.parent.mkdir()
    code, out, _ = cli("race", model, "--metadata", meta, "--track", stadium_file, "--laps", "1",
                       "--json", "--replay", replay)
    assert code == 0
    data = read_replay(replay)
    assert data["result"] == json.loads(out)
    assert len(data["trajectory"]) == data["result"]["steps"]
    assert data["track"]["ref"] == stadium_file.name  # its name, never its folder
    assert [e["type"] for e in data["events"]] == ["lap"]


def test_progress_lines_on_stderr(cli, pursuit_pkg, stadium_file):
    model, meta = pursuit_pkg
    code, _, err = cli("race", model, "--metadata", meta, "--track", stadium_file, "--laps", "2", "--progress")
    lines = [json.loads(line) for line in err.splitlines()]
    assert code == 0
    assert [(p["type"], p["lap"], p["laps"]) for p in lines] == [("progress", 1, 2), ("progress", 2, 2)]
    assert 0 < lines[0]["time_s"] < lines[1]["time_s"]


def test_race_on_a_shipped_track_by_slug(cli, pursuit_pkg, shipped_track_ref):
    model, meta = pursuit_pkg
    code, out, err = cli("race", model, "--metadata", meta, "--track", shipped_track_ref, "--laps", "1", "--json")
    assert code == 0, err
    assert json.loads(out)["status"] == "finished"


def test_off_track_limit_and_reverse_from_the_command_line(cli, model_package, stadium_file, tmp_path):
    model, meta = model_package(B.constant_model([0.0, B.unit(1.5, 0.5, 4.0)]))  # drives straight on
    replay = tmp_path / "replay.json"
    race = ["race", model, "--metadata", meta, "--track", stadium_file, "--laps", "1"]
    code, out, err = cli(*race, "--off-track-limit", "2", "--reverse", "--json", "--replay", replay)
    assert code == 0, err
    r = json.loads(out)
    assert r["status"] == "dnf" and r["dnf_reason"] == "off_track_limit" and r["off_track_count"] == 3
    assert r["off_track_limit"] == 2 and r["track_reversed"] is True
    data = read_replay(replay)
    assert data["track"]["reversed"] is True and data["result"] == r
    assert data["events"][-1]["type"] == "off_track_limit"
    code, out, _ = cli(*race, "--off-track-limit", "2", "--reverse")
    assert code == 0 and "DNF over the off-track limit (2 resets): 0 laps" in out and "m, reversed)" in out
    code, out, _ = cli(*race, "--json")
    forward = json.loads(out)
    assert forward["track_reversed"] is False and forward["dnf_reason"] is None
    assert forward["trajectory_sha256"] != r["trajectory_sha256"]


# --- exit status 2: one line on stderr --------------------------------------------------------


BAD_ARGUMENTS = {
    "laps-not-a-number": (["--laps", "abc"], "invalid int value"),
    "laps-zero": (["--laps", "0"], "laps must be between 1 and 100"),
    "unknown-timing": (["--timing", "FASTEST"], "invalid choice"),
    "negative-penalty": (["--penalty", "-1"], "off-track penalty must be between 0 and 600"),
    "nan-penalty": (["--penalty", "nan"], "off-track penalty"),
    "time-cap-zero": (["--time-cap", "0"], "time cap must be between 1 and 3600"),
    "off-track-limit-negative": (["--off-track-limit", "-1"], "off_track_limit must be between 0 and 1000"),
    "off-track-limit-not-a-number": (["--off-track-limit", "1.5"], "invalid int value"),
    "unknown-sensor": (["--sensors", "STATE,RADAR"], "unknown sensor(s) RADAR"),
    "sensor-not-allowed": (["--sensors", "LIDAR"], "does not allow the STATE sensor"),
    "unknown-option": (["--turbo"], "unrecognized arguments: --turbo"),
    "replay-folder-missing": (["--replay", "/nonexistent-folder/replay.json"], "--replay"),
}


@pytest.mark.parametrize("case", sorted(BAD_ARGUMENTS))
def test_bad_arguments_exit_2_with_one_line(cli, pursuit_pkg, stadium_file, case):
    extra, phrase = BAD_ARGUMENTS[case]
    model, meta = pursuit_pkg
    code, out, err = cli("race", model, "--metadata", meta, "--track", stadium_file, *extra)
    assert code == 2
    assert phrase in one_line_error(err)


def test_missing_required_arguments(cli, pursuit_pkg):
    model, _ = pursuit_pkg
    code, _, err = cli("race", model)
    assert code == 2 and "--track" in one_line_error(err)
    code, _, err = cli()
    assert code == 2 and "COMMAND" in one_line_error(err)


@pytest.mark.parametrize("kind", sorted(B.INVALID_TRACKS))
def test_bad_track_exits_2_with_one_line(cli, pursuit_pkg, tmp_path, kind):
    writer, phrase = B.INVALID_TRACKS[kind]
    path = tmp_path / f"{kind}.npy"
    writer(path)
    model, meta = pursuit_pkg
    code, out, err = cli("race", model, "--metadata", meta, "--track", path)
    assert code == 2 and out == ""
    line = one_line_error(err)
    assert line.startswith("error: track: ") and phrase in line


@pytest.mark.parametrize("ref, phrase", [("no-such-track", "no shipped track called 'no-such-track'"),
                                         ("missing/track.npy", "does not exist")])
def test_unknown_track_exits_2(cli, pursuit_pkg, ref, phrase):
    model, meta = pursuit_pkg
    code, _, err = cli("race", model, "--metadata", meta, "--track", ref)
    assert code == 2 and phrase in one_line_error(err)


UNLOADABLE = {
    "garbage": (lambda: b"\x00garbage" * 100, B.continuous_metadata(), "error: onnx: the file is not an ONNX model"),
    "custom-op": (B.custom_domain_model, B.continuous_metadata(), "error: onnx: operator domain"),
    "external-data": (B.external_data_model, B.continuous_metadata(), "external data"),
    "wrong-input": (lambda: B.constant_model([0, 0], input_shape=[1, 30]), B.continuous_metadata(), "expected [1,26]"),
    "metadata-not-json": (lambda: B.pursuit_model(), "{oops", "error: metadata: model_metadata.json is not valid JSON"),
    "metadata-steering": (lambda: B.pursuit_model(), B.continuous_metadata(steering=(-45, 45)), "within -30..30"),
    "metadata-sensor": (lambda: B.pursuit_model(), B.continuous_metadata(sensor="SONAR"),
                        "supported sensors: FRONT_FACING_CAMERA, STEREO_CAMERAS, LIDAR, STATE"),
    "onnxruntime-refuses": (B.type_error_model, B.continuous_metadata(), "onnxruntime cannot load the model"),
}


@pytest.mark.parametrize("case", sorted(UNLOADABLE))
def test_unloadable_model_exits_2_with_one_line(cli, model_package, stadium_file, case):
    make, meta, phrase = UNLOADABLE[case]
    model, meta_path = model_package(make(), meta)
    code, out, err = cli("race", model, "--metadata", meta_path, "--track", stadium_file)
    assert code == 2 and out == ""
    assert phrase in one_line_error(err)


def test_missing_model_or_metadata_file(cli, pursuit_pkg, stadium_file, tmp_path):
    model, meta = pursuit_pkg
    code, _, err = cli("race", tmp_path / "nope.onnx", "--metadata", meta, "--track", stadium_file)
    assert code == 2 and "does not exist" in one_line_error(err)
    code, _, err = cli("race", model, "--metadata", tmp_path / "nope.json", "--track", stadium_file)
    assert code == 2 and "--metadata" in one_line_error(err)


# --- the same in a fresh process (the sandbox's view) --------------------------------------------


def test_subprocess_exit_statuses_and_one_line_stderr(cli_subprocess, model_package, stadium_file, tmp_path):
    good, meta = model_package(B.pursuit_model(2.0), B.continuous_metadata(), name="good")
    nan, nan_meta = model_package(B.nan_when_fast_model(), B.continuous_metadata(), name="nan")
    crash, crash_meta = model_package(B.crashing_model(), B.continuous_metadata(), name="crash")
    bad, bad_meta = model_package(B.type_error_model(), B.continuous_metadata(), name="bad")
    bad_track = tmp_path / "bad.npy"
    B.INVALID_TRACKS["pickled-objects"][0](bad_track)

    p = cli_subprocess("race", good, "--metadata", meta, "--track", stadium_file, "--laps", "1", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["status"] == "finished"
    p = cli_subprocess("race", nan, "--metadata", nan_meta, "--track", stadium_file, "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["status"] == "failed"
    p = cli_subprocess("race", crash, "--metadata", crash_meta, "--track", stadium_file, "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["status"] == "failed"
    for args in (
        ["race", good, "--metadata", meta, "--track", stadium_file, "--laps", "x"],
        ["race", good, "--metadata", meta, "--track", bad_track],
        ["race", bad, "--metadata", bad_meta, "--track", stadium_file],
        ["check", crash, "--metadata", crash_meta],
    ):
        p = cli_subprocess(*args)
        assert p.returncode == 2, p.stderr
        assert len(p.stderr.splitlines()) == 1, p.stderr
    assert not B.pickle_marker(bad_track).exists()


def test_help_in_a_fresh_process(cli_subprocess):
    p = cli_subprocess("--help")
    assert p.returncode == 0
    for command in ("race", "check", "tracks", "drivers", "camera"):
        assert command in p.stdout


# --- other commands -------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["race"], ["check"], ["tracks"], ["drivers"], ["camera"], ["bench"]])
def test_help_on_every_subcommand(cli, command):
    code, out, _ = cli(*command, "--help")
    assert code == 0
    assert out.startswith("usage: python -m simulator")
    if command:
        assert f"python -m simulator {command[0]}" in out


def test_check_accepts_a_good_model(cli, pursuit_pkg):
    model, meta = pursuit_pkg
    code, out, _ = cli("check", model, "--metadata", meta)
    assert code == 0 and out.startswith("OK  model.onnx: STATE, continuous (2 outputs)")
    code, out, _ = cli("check", model, "--metadata", meta, "--json")
    info = json.loads(out)
    assert code == 0 and info["ok"] is True and info["sensors"] == ["STATE"] and info["n_actions"] == 2


@pytest.mark.parametrize(
    "make, meta, field, phrase",
    [
        (B.nan_model, B.continuous_metadata(), "onnx", "NaN"),
        (lambda: B.constant_model([0, 0, 0]), B.continuous_metadata(), "onnx", "expected [1,2]"),
        (B.custom_domain_model, B.continuous_metadata(), "onnx", "not allowed"),
        (B.pursuit_model, B.continuous_metadata(speed=(0.5, 9)), "metadata", "speed must be within 0.1..4"),
        (B.pursuit_model, '{"sensor": ["STATE"]}', "metadata", 'no "action_space"'),
    ],
)
def test_check_refuses_a_bad_model(cli, model_package, make, meta, field, phrase):
    model, meta_path = model_package(make(), meta)
    code, out, err = cli("check", model, "--metadata", meta_path)
    assert code == 2 and out == ""
    assert one_line_error(err).startswith(f"{field}: ") and phrase in err
    code, out, _ = cli("check", model, "--metadata", meta_path, "--json")
    refusal = json.loads(out)
    assert code == 2 and refusal["ok"] is False and refusal["field"] == field and phrase in refusal["error"]


def test_race_defaults_are_the_rules_defaults(cli, pursuit_pkg, stadium_file):
    model, meta = pursuit_pkg
    code, out, _ = cli("race", model, "--metadata", meta, "--track", stadium_file, "--json")
    r = json.loads(out)
    rules = RaceRules()
    assert code == 0 and r["laps_required"] == rules.laps and r["timing_method"] == rules.timing_method
    assert r["off_track_limit"] == rules.off_track_limit and r["track_reversed"] is False
    code, out, _ = cli("race", "--help")
    assert f"(default {rules.laps})" in out and f"(default {rules.time_cap_s:g})" in out


@pytest.mark.parametrize("command", ["check", "race"])
def test_the_size_caps_are_the_callers(cli, pursuit_pkg, stadium_file, command):
    model, meta = pursuit_pkg
    track = ["--track", stadium_file] if command == "race" else []
    size = model.stat().st_size
    code, _, err = cli(command, model, "--metadata", meta, *track, "--max-model-bytes", size - 1)
    assert code == 2 and "larger than the" in one_line_error(err) and "onnx" in err
    code, _, err = cli(command, model, "--metadata", meta, *track, "--max-metadata-bytes", 10)
    assert code == 2 and "model_metadata.json is larger than the 10 bytes limit" in one_line_error(err)
    code, _, err = cli(command, model, "--metadata", meta, *track, "--max-model-bytes", size, "--json")
    assert code == 0, err


def test_tracks_lists_the_shipped_tracks(cli):
    code, out, _ = cli("tracks", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [r["slug"] for r in rows] == [t.slug for t in list_tracks()]
    for r in rows:
        assert r["length_m"] > 0 and r["width_m"] > 0 and r["name"]
    code, out, _ = cli("tracks")
    assert code == 0
    for r in rows:
        assert r["slug"] in out


def test_drivers_writes_model_packages(cli, tmp_path):
    out_dir = tmp_path / "drivers"
    code, out, _ = cli("drivers", "--out", out_dir)
    assert code == 0
    folders = [line for line in out.splitlines() if line]
    assert folders
    for folder in map(Path, folders):
        assert folder.parent == out_dir
        info = check_model((folder / "model.onnx").read_bytes(), (folder / "model_metadata.json").read_bytes())
        assert info.sensors


def test_camera_writes_the_picture_and_the_map(cli, stadium_file, tmp_path):
    out = tmp_path / "view.png"
    code, printed, err = cli("camera", "--track", stadium_file, "--out", out, "--map")
    assert code == 0, err
    map_path = tmp_path / "view-map.png"
    assert printed.split() == [str(out), str(map_path)]
    with Image.open(out) as img:
        assert img.size == (160, 120) and img.mode == "L"
    with Image.open(map_path) as img:
        assert img.mode == "RGB" and img.size[0] > 0


def test_camera_on_the_reversed_track_looks_the_other_way(cli, stadium_file, tmp_path):
    pictures = []
    for extra in ([], ["--reverse"], ["--reverse"]):
        out = tmp_path / f"view{len(pictures)}.png"
        code, _, err = cli("camera", "--track", stadium_file, "--out", out, "--at", "0.1", *extra)
        assert code == 0, err
        with Image.open(out) as img:
            pictures.append(img.tobytes())
    assert pictures[1] == pictures[2] and pictures[0] != pictures[1]


def test_camera_scale_position_and_map_path(cli, stadium_file, tmp_path):
    out, map_path = tmp_path / "big.png", tmp_path / "m.png"
    code, _, err = cli("camera", "--track", stadium_file, "--out", out, "--scale", "2", "--at", "0.5",
                       "--map", map_path)
    assert code == 0, err
    with Image.open(out) as img:
        assert img.size == (320, 240)
    assert map_path.is_file()


def test_camera_shows_what_a_race_of_the_format_feeds_the_model(cli, tmp_path):
    """With boxes on the track, the preview is the race's first frame, boxes included;
    the map shows them too."""
    fmt = ["--race-type", "object_avoidance", "--objects", "6", "--seed", "3"]
    plain, boxed, boxed_map, plain_map = (tmp_path / n for n in ("plain.png", "boxed.png", "bm.png", "pm.png"))
    assert cli("camera", "--track", "oval-loop", "--out", plain, "--map", plain_map)[0] == 0
    code, _, err = cli("camera", "--track", "oval-loop", "--out", boxed, "--map", boxed_map, *fmt)
    assert code == 0, err
    track = load_track("oval-loop")
    frame = np.zeros((120, 160), dtype=np.uint8)
    TimeTrial(track, buffers={"FRONT_FACING_CAMERA": frame},
              race_format=RaceFormat(race_type="object_avoidance", objects=6, seed=3)).observe()
    with Image.open(boxed) as img, Image.open(plain) as bare:
        assert img.tobytes() == frame.tobytes() and bare.tobytes() != frame.tobytes()
    with Image.open(boxed_map) as img, Image.open(plain_map) as bare:
        assert img.tobytes() != bare.tobytes()


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["--race-type", "object_avoidance", "--objects", "40"], "objects"),
        (["--fixed-positions", "inside:20"], "--fixed-positions needs --race-type object_avoidance"),
        (["--at", "1.5"], "--at is a fraction of the lap"),
        (["--track", "no-such-track"], "no shipped track"),
        (["--out", "/nonexistent-folder/x.png"], "--out"),
        (["--out", "picture.xyz"], "--out"),
    ],
)
def test_camera_bad_arguments(cli, stadium_file, tmp_path, args, phrase):
    options = {"--track": str(stadium_file), "--out": str(tmp_path / "x.png")}
    flags = [a for a in args if a.startswith("--")]
    options.update(zip(flags, [args[args.index(f) + 1] for f in flags]))
    code, _, err = cli("camera", *[item for pair in options.items() for item in pair])
    assert code == 2 and phrase in one_line_error(err)


def test_check_json_reports_a_missing_file(cli, tmp_path):
    code, out, err = cli("check", tmp_path / "missing.onnx", "--json")
    refusal = json.loads(out)
    assert code == 2 and refusal == {"ok": False, "field": "files",
                                     "error": f"model file {tmp_path / 'missing.onnx'} does not exist"}
    assert one_line_error(err).startswith("error: model file")
