"""A console export, from archive to race: where the graph and metadata may be, the
metadata written for the package, `check` accepting it, a deterministic race, and
`python -m simulator import`."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from simulator.deepracer.archive import ArchiveError
from simulator.deepracer.importer import import_archive
from simulator.params import SENSORS, RaceRules
from simulator.policy import check_model, load_policy
from simulator.race import run_time_trial

from . import builders as B


@pytest.fixture(scope="module")
def graph() -> bytes:
    return B.deepracer_graph()


@pytest.fixture(scope="module")
def export(graph) -> bytes:
    return B.console_archive(graph, B.console_metadata(lidar_config={"clipping_dist": 1.0}, reward="kept"))


def test_an_export_becomes_a_package_that_check_accepts(export):
    onnx_bytes, meta, info = import_archive(export)
    checked = check_model(onnx_bytes, meta)
    assert checked.sensors == ("FRONT_FACING_CAMERA",) and checked.n_actions == 5
    assert [(i.name, i.dtype, i.shape) for i in checked.inputs] == [("camera", "uint8", (1, 120, 160, 1))]
    assert checked.warnings == ()  # the camera is uint8: no pixel-scale trap
    assert meta["reward"] == "kept" and meta["lidar_config"] == {"clipping_dist": 1.0}  # unknown keys stay
    assert meta["action_space"] == B.DISCRETE_SPACE and meta["preprocess_type"] == "GREY_SCALE"
    assert (meta["sensor"], meta["training_algorithm"], meta["action_space_type"]) == (
        ["FRONT_FACING_CAMERA"], "clipped_ppo", "discrete")
    d = info.to_dict()
    assert d["archive_sha256"] == hashlib.sha256(export).hexdigest() and d["archive_bytes"] == len(export)
    assert d["onnx_sha256"] == hashlib.sha256(onnx_bytes).hexdigest() == checked.sha256
    assert (d["graph_file"], d["metadata_file"]) == ("agent/model.pb", "model_metadata.json")
    assert d["network"] == "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW" and d["algorithm"] == "clipped_ppo"
    assert d["graph_output"] == "main_level/agent/main/online/network_1/ppo_head_0/policy"
    assert d["op_counts"]["Conv2D"] == 3 and d["op_counts"]["Softmax"] == 1
    json.dumps(d)


def test_the_imported_model_races_deterministically(export, oval):
    onnx_bytes, meta, _ = import_archive(export)
    rules = RaceRules(laps=1, time_cap_s=8.0)
    first = run_time_trial(load_policy(onnx_bytes, meta), oval, rules)
    again = run_time_trial(load_policy(onnx_bytes, meta), oval, rules)
    assert first.status in ("finished", "dnf") and first.steps > 20
    assert first.trajectory_sha256 == again.trajectory_sha256


def test_continuous_and_sac_exports_import():
    for algorithm in ("clipped_ppo", "sac"):
        graph = B.deepracer_graph(algorithm=algorithm, action="continuous")
        onnx_bytes, meta, info = import_archive(
            B.console_archive(graph, B.console_metadata(algorithm=algorithm, action="continuous")))
        assert info.algorithm == algorithm and meta["action_space"] == B.CONTINUOUS_SPACE
        assert check_model(onnx_bytes, meta).n_actions == 2


def test_camera_and_lidar_export_imports():
    sensors = ("FRONT_FACING_CAMERA", "LIDAR")
    onnx_bytes, meta, _ = import_archive(B.console_archive(B.deepracer_graph(sensors=sensors), B.console_metadata(sensors)))
    checked = check_model(onnx_bytes, meta)
    assert sorted((i.name, i.sensor) for i in checked.inputs) == [("camera", "FRONT_FACING_CAMERA"), ("lidar", "LIDAR")]


def test_a_2019_export_without_sensors_imports():
    meta = B.console_metadata()
    for key in ("sensor", "training_algorithm", "action_space_type", "version", "preprocess_type"):
        del meta[key]
    archive = B.tar_bytes([("model.pb", B.deepracer_graph(sensors=("observation",))),
                           ("model_metadata.json", json.dumps(meta).encode())])  # fmt: skip
    onnx_bytes, written, info = import_archive(archive)
    assert info.graph_file == "model.pb" and written["sensor"] == ["FRONT_FACING_CAMERA"]
    assert written["action_space_type"] == "discrete" and written["training_algorithm"] == "clipped_ppo"
    check_model(onnx_bytes, written)


def test_stereo_export_imports_once_the_simulator_has_stereo_cameras():
    sensors = ("STEREO_CAMERAS",)
    archive = B.console_archive(B.deepracer_graph(sensors=sensors), B.console_metadata(sensors))
    if "STEREO_CAMERAS" not in SENSORS:  # the simulator's stereo pair is a separate change
        with pytest.raises(ArchiveError, match="unsupported sensor STEREO_CAMERAS"):
            import_archive(archive)
        return
    onnx_bytes, meta, info = import_archive(archive)
    assert info.inputs[0]["shape"] == [1, 120, 160, 2] and meta["sensor"] == ["STEREO_CAMERAS"]
    check_model(onnx_bytes, meta)


# --- where the files are ------------------------------------------------------------------------


def test_a_checkpoint_folder_uses_its_newest_graph(graph):
    other = B.deepracer_graph(seed=99)
    archive = B.tar_bytes([
        ("model/model_3.pb", other), ("model/model_12.pb", graph), ("model/model_metadata.json",
        json.dumps(B.console_metadata()).encode()), ("model/12_Step-1.ckpt.data-00000-of-00001", b"\0" * 5000),
        ("model/coach_checkpoint", b"x"), ("model/deepracer_checkpoints.json", b"{}"), ("model/.ready", b""),
    ])  # fmt: skip
    _, _, info = import_archive(archive)
    assert (info.graph_file, info.metadata_file) == ("model/model_12.pb", "model/model_metadata.json")


def test_an_export_packed_again_inside_a_folder_imports(graph):
    archive = B.console_archive(graph, B.console_metadata(), graph_name="my-model/agent/model.pb",
                                metadata_name="my-model/model_metadata.json")  # fmt: skip
    assert import_archive(archive)[2].graph_file == "my-model/agent/model.pb"


REFUSED = {
    "metadata in the wrong place": ({"metadata_name": "agent/extra/model_metadata.json"}, "in the wrong place"),
    "no metadata": ({"metadata": None}, "no model_metadata.json"),
    "graph in the wrong place": ({"graph_name": "export/weights/model.pb"}, "no frozen graph.*found export/weights/model.pb"),
    "metadata not json": ({"metadata": b"{not json"}, "not valid JSON"),
    "rgb": ({"metadata": B.console_metadata(preprocess_type="RGB")}, "RGB.*GREY_SCALE"),
    "sector lidar": ({"metadata": B.console_metadata(("FRONT_FACING_CAMERA", "SECTOR_LIDAR"))}, "sensor SECTOR_LIDAR"),
    "sensors differ": ({"metadata": B.console_metadata(("FRONT_FACING_CAMERA", "LIDAR"))}, "lists sensors.*graph reads"),
    "algorithm differs": ({"metadata": B.console_metadata(algorithm="sac")}, "training_algorithm \"sac\".*clipped_ppo"),
    "action count differs": ({"metadata": {**B.console_metadata(), "action_space": B.DISCRETE_SPACE[:3]}}, "scores 5 actions.*lists 3"),
    "too fast for the car": (
        {"metadata": {**B.console_metadata(), "action_space": [{**a, "speed": 5.0} for a in B.DISCRETE_SPACE]}},
        "model_metadata.json: action 0 speed is 5 m/s"),
}


@pytest.mark.parametrize("changes, phrase", REFUSED.values(), ids=REFUSED.keys())
def test_exports_that_cannot_race_are_refused_with_the_fix(graph, changes, phrase):
    kwargs = {"metadata": B.console_metadata(), **changes}
    archive = B.console_archive(graph, kwargs.pop("metadata"), **kwargs)
    with pytest.raises(ArchiveError, match=phrase) as err:
        import_archive(archive)
    assert err.value.field == "archive" and "\n" not in err.value.message


def test_an_unknown_op_in_the_graph_is_refused_naming_it(graph):
    from simulator.deepracer import graphdef as G

    g = G.parse_graph(graph)
    next(n for n in g.node if n.name.endswith("network_1/ppo_head_0/policy")).op = "Sparsemax"
    with pytest.raises(ArchiveError, match="agent/model.pb: .*operation 'Sparsemax'"):
        import_archive(B.console_archive(g.SerializeToString(), B.console_metadata()))


def test_a_graph_that_does_not_parse_is_refused():
    with pytest.raises(ArchiveError, match="agent/model.pb: the frozen graph is not a TensorFlow GraphDef"):
        import_archive(B.console_archive(b"\xff" * 64, B.console_metadata()))


def test_a_converted_model_over_the_size_limit_is_refused(export):
    with pytest.raises(ArchiveError, match="larger than the model size limit|over the .* model size limit"):
        import_archive(export, max_model_bytes=100_000)


# --- the command line ---------------------------------------------------------------------------


def test_cli_import_writes_a_package_that_races(cli, tmp_path, export, stadium_file):
    (tmp_path / "export.tar.gz").write_bytes(export)
    code, out, err = cli("import", tmp_path / "export.tar.gz", "--out", tmp_path / "pkg")
    assert code == 0, err
    assert "agent/model.pb" in out and "camera uint8[1, 120, 160, 1]" in out and "Check        OK" in out
    model, meta = tmp_path / "pkg" / "model.onnx", tmp_path / "pkg" / "model_metadata.json"
    assert json.loads(meta.read_text())["sensor"] == ["FRONT_FACING_CAMERA"]
    assert cli("check", model)[0] == 0
    code, out, err = cli("race", model, "--track", stadium_file, "--laps", "1", "--time-cap", "5", "--json")
    assert code == 0 and json.loads(out)["steps"] > 0, err


def test_cli_import_json(cli, tmp_path, export):
    (tmp_path / "export.tar.gz").write_bytes(export)
    code, out, err = cli("import", tmp_path / "export.tar.gz", "--out", tmp_path / "pkg", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["ok"] and report["model"].endswith("model.onnx") and report["metadata"].endswith(".json")
    assert report["import"]["archive_sha256"] == hashlib.sha256(export).hexdigest()
    assert report["check"]["sha256"] == report["import"]["onnx_sha256"] and report["check"]["warnings"] == []


@pytest.mark.parametrize("json_flag", [False, True])
def test_cli_import_errors_are_one_line(cli, tmp_path, graph, json_flag):
    (tmp_path / "bad.tar.gz").write_bytes(B.console_archive(graph, B.console_metadata(preprocess_type="RGB")))
    args = ["import", tmp_path / "bad.tar.gz", "--out", tmp_path / "pkg"] + (["--json"] if json_flag else [])
    code, out, err = cli(*args)
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("error: archive: ")
    assert not (tmp_path / "pkg").exists()  # nothing written for a refused archive
    if json_flag:
        report = json.loads(out)
        assert report["ok"] is False and report["field"] == "archive" and "RGB" in report["error"]


def test_cli_import_caps_and_missing_files(cli, tmp_path, export):
    (tmp_path / "export.tar.gz").write_bytes(export)
    code, out, err = cli("import", tmp_path / "export.tar.gz", "--out", tmp_path / "pkg", "--max-archive-bytes", "1000")
    assert code == 2 and "larger than the" in err
    code, out, err = cli("import", tmp_path / "missing.tar.gz", "--out", tmp_path / "pkg", "--json")
    assert code == 2 and json.loads(out)["field"] == "files"


def test_the_camera_input_is_fed_raw_pixels(export):
    """The contract feeds a uint8 camera 0..255 unscaled: what DeepRacer's graph expects."""
    onnx_bytes, meta, _ = import_archive(export)
    policy = load_policy(onnx_bytes, meta)
    assert policy.buffers["FRONT_FACING_CAMERA"].dtype == np.uint8
