"""examples/train_es.py --quick: a model that loads, passes the upload checks and races."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "train_es.py"


def _train(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--out", str(out), *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="module")
def quick_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("es") / "model"
    proc = _train(out)
    assert proc.returncode == 0, proc.stderr
    assert "official trial on oval-loop" in proc.stdout
    return out


def test_quick_training_writes_a_model_package(quick_model):
    assert (quick_model / "model.onnx").stat().st_size > 0
    meta = json.loads((quick_model / "model_metadata.json").read_text())
    assert meta["sensor"] == ["STATE"] and meta["action_space_type"] == "continuous"


def test_the_model_passes_the_upload_checks(quick_model):
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "check", str(quick_model / "model.onnx"), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ok"] is True


def test_the_model_races(quick_model):
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "race", str(quick_model / "model.onnx"),
         "--track", "oval-loop", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["status"] in ("finished", "dnf")
    assert result["laps_completed"] + result["progress"] > 0.5  # it learned to drive forwards


def test_training_is_deterministic_for_a_seed(quick_model, tmp_path):
    proc = _train(tmp_path / "again", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "again" / "model.onnx").read_bytes() == (quick_model / "model.onnx").read_bytes()
