"""Fixtures for the simulator tests: small tracks of our own, model packages on disk, and
a way to run the CLI both in-process and in a fresh Python process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator.catalog import list_tracks, load_track
from simulator.cli import main
from simulator.drivers import state_driver
from simulator.metadata import ModelError
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.race import run_time_trial
from simulator.replay import replay_dict
from simulator.track import Track, track_from_array

from . import builders as B

ROOT = Path(__file__).resolve().parents[2]


# --- tracks ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def stadium_array() -> np.ndarray:
    """Counter-clockwise stadium, 4 m straights, 1.5 m radius, 1 m wide (17.4 m lap)."""
    return B.stadium()


@pytest.fixture(scope="session")
def stadium_track(stadium_array):
    return track_from_array(stadium_array, name="stadium")


@pytest.fixture(scope="session")
def long_track():
    """10 m straights: a long straight-ish loop for sensor and lap-time checks."""
    return track_from_array(B.stadium(straight_m=10.0, radius_m=1.5, width_m=1.0), name="long")


@pytest.fixture(scope="session")
def clockwise_track():
    return track_from_array(B.stadium(clockwise=True), name="clockwise")


@pytest.fixture(scope="session")
def varying_width_track():
    return track_from_array(
        B.stadium(width_fn=lambda s, length: 1.0 + 0.4 * np.sin(2 * np.pi * s / length)),
        name="varying",
    )


@pytest.fixture(scope="session")
def far_track():
    return track_from_array(B.stadium(offset=(1e5, 1e5)), name="far")


@pytest.fixture(scope="session")
def oval():
    """The shipped beginner track."""
    return load_track("oval-loop")


@pytest.fixture
def track_file(tmp_path):
    """Write a waypoint array as a DeepRacer .npy file; returns its path."""

    def write(arr: np.ndarray, name: str = "track.npy") -> Path:
        path = tmp_path / name
        np.save(path, arr)
        return path

    return write


@pytest.fixture
def stadium_file(track_file, stadium_array) -> Path:
    return track_file(stadium_array, "stadium.npy")


@pytest.fixture(scope="session")
def shipped_track_ref(tmp_path_factory) -> str:
    """A shipped track slug if any is shipped, else the path of a stadium of our own."""
    tracks = list_tracks()
    if tracks:
        return min(tracks, key=lambda t: t.path.stat().st_size).slug
    path = tmp_path_factory.mktemp("fallback") / "stadium.npy"
    np.save(path, B.stadium())
    return str(path)


# --- models ---------------------------------------------------------------------------------


@pytest.fixture
def make_policy():
    """load_policy(onnx_bytes, metadata, **kwargs) with a STATE continuous default."""

    def make(onnx_bytes: bytes, metadata: dict | None = None, **kwargs):
        return load_policy(onnx_bytes, metadata or B.continuous_metadata(), **kwargs)

    return make


@pytest.fixture(scope="session")
def pursuit_bytes() -> bytes:
    return B.pursuit_model(1.5)


@pytest.fixture
def model_package(tmp_path):
    """Write model.onnx + model_metadata.json into a folder; returns (model, metadata)."""

    def write(onnx_bytes: bytes, metadata: dict | str | None = None, name: str = "pkg"):
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        model = folder / "model.onnx"
        meta = folder / "model_metadata.json"
        model.write_bytes(onnx_bytes)
        meta.write_text(metadata if isinstance(metadata, str) else json.dumps(metadata or B.continuous_metadata()))
        return model, meta

    return write


@pytest.fixture(scope="session")
def race_replay():
    """race_replay(track, rules, lateral_accel_m_s2=5.2): the replay (through JSON, as
    stored) of the STATE house driver's race; a high lateral acceleration leaves the track."""

    def race(track: Track, rules: RaceRules, lateral_accel_m_s2: float = 5.2) -> dict:
        model = state_driver(lateral_accel_m_s2=lateral_accel_m_s2).SerializeToString()
        result = run_time_trial(load_policy(model, B.continuous_metadata()), track, rules)
        return json.loads(json.dumps(replay_dict(result, track, track.name)))

    return race


@pytest.fixture
def refused():
    """refused(call, field, phrase): the call raises ModelError for `field` with a one-line
    message containing `phrase`; returns the message."""

    def check(call, field: str, phrase: str) -> str:
        with pytest.raises(ModelError) as err:
            call()
        message = str(err.value)
        assert err.value.field == field, message
        assert phrase in message, message
        assert "\n" not in message
        return message

    return check


# --- the command line -----------------------------------------------------------------------


@pytest.fixture
def cli(capsys):
    """Run `python -m simulator ARGS` in-process; returns (exit status, stdout, stderr)."""
    def run(*args: str):
        try:
            code = main([str(a) for a in args])
        except SystemExit as exc:  # argparse: --help and bad arguments
            code = exc.code
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def cli_subprocess(tmp_path):
    """Run `python -m simulator ARGS` in a fresh Python process (cwd: the test's tmp dir)."""

    def run(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return subprocess.run(
            [sys.executable, "-m", "simulator", *[str(a) for a in args]],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout,
        )

    return run
