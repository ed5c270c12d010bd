"""Golden trajectories: every house driver on every shipped track, under the default rules,
drives exactly the trajectory recorded in golden_trajectories.json (its SHA-256).

A refactoring must leave these bit-identical. Results may legitimately change only with
a new SIMULATOR_VERSION (then re-record: `python -m tests.simulator.test_golden` from the
repository root), or with another numpy / onnxruntime release (floating point may differ
there, so the test is skipped when their major.minor is not the recorded one).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from simulator import SIMULATOR_VERSION
from simulator.catalog import list_tracks, load_track
from simulator.drivers import house_drivers
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.race import run_time_trial

GOLDEN = Path(__file__).with_name("golden_trajectories.json")


def race_all() -> dict[str, str]:
    """"driver@track" -> trajectory SHA-256 of the official time trial."""
    hashes = {}
    for driver in house_drivers():
        policy = load_policy(driver.model.SerializeToString(), driver.metadata)
        for info in list_tracks():
            result = run_time_trial(policy, load_track(info.slug), RaceRules())
            hashes[f"{driver.name}@{info.slug}"] = result.trajectory_sha256
    return hashes


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def test_house_drivers_drive_the_recorded_trajectories():
    golden = json.loads(GOLDEN.read_text())
    for name, installed in (("numpy", np.__version__), ("onnxruntime", onnxruntime.__version__)):
        if _major_minor(installed) != _major_minor(golden[name]):
            pytest.skip(f"recorded with {name} {golden[name]}, installed {installed}: floating point "
                        "may legitimately differ between releases")
    assert golden["simulator_version"] == SIMULATOR_VERSION, (
        "SIMULATOR_VERSION changed: re-record with `python -m tests.simulator.test_golden`")
    hashes = race_all()
    assert sorted(hashes) == sorted(golden["hashes"]), "the house drivers or shipped tracks changed"
    changed = sorted(k for k, v in hashes.items() if golden["hashes"][k] != v)
    assert not changed, f"trajectories changed without a new SIMULATOR_VERSION: {', '.join(changed)}"


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps({
        "simulator_version": SIMULATOR_VERSION,
        "numpy": np.__version__,
        "onnxruntime": onnxruntime.__version__,
        "rules": "RaceRules() defaults",
        "hashes": race_all(),
    }, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
