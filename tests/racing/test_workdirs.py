"""The one work root: run folders live under a subfolder per process, the sweep removes
what dead processes left (and anything older than the longest run), the sandbox binds
nothing else; and nothing a user downloads holds a server path."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from racing import videos, workdirs
from racing.runner import longest_run_s, race_model
from racing.sandbox import Limits, SandboxStartError, run_sandboxed
from simulator.catalog import get_track_info
from tests import factories as f
from tests.racing.test_replays import raced_result
from tests.simulator import builders as B


@pytest.fixture
def root(settings, tmp_path, monkeypatch):
    settings.RACING = {**settings.RACING, "WORK_ROOT": str(tmp_path / "work")}
    # The system temp folder too (the sweep looks there for old leftovers): the test's own.
    (tmp_path / "system-tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "system-tmp"))
    return tmp_path / "work"


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_run_folders_live_under_the_process_folder_and_go_afterwards(root):
    with workdirs.work_dir("race", 12) as path:
        assert path.parent == root / f"{workdirs._host()}-{os.getpid()}"
        assert path.name.startswith("race-12-") and workdirs.is_work_dir(path)
    assert not path.exists()


def test_the_sweep_removes_what_a_dead_process_left(root):
    with workdirs.work_dir("race", 1) as mine:
        dead = root / f"{workdirs._host()}-{dead_pid()}" / "race-7-abc"
        dead.mkdir(parents=True)
        (dead / "model.onnx").write_bytes(b"left by a worker killed with -9")
        workdirs.sweep(max_age_s=3600)
        assert not dead.parent.exists()
        assert mine.is_dir()  # in use by a live process: kept


def test_the_sweep_removes_old_folders_of_live_processes_and_other_hosts(root):
    now = time.time()
    with workdirs.work_dir("video", 3) as fresh:
        stale = workdirs.process_dir() / "race-4-stale"
        stale.mkdir()
        elsewhere = root / "otherhost-1" / "check-x"
        elsewhere.mkdir(parents=True)
        for path in (stale, elsewhere):
            os.utime(path, (now - 7200, now - 7200))
        workdirs.sweep(max_age_s=3600, now=now)
        assert fresh.is_dir() and not stale.exists() and not elsewhere.exists()


def test_the_sweep_removes_old_leftovers_of_the_system_temp_folder(root):
    old = Path(tempfile.mkdtemp(prefix="league-race-99-"))
    young = Path(tempfile.mkdtemp(prefix="league-check-"))
    try:
        os.utime(old, (time.time() - 2 * longest_run_s(),) * 2)
        workdirs.sweep(max_age_s=longest_run_s())
        assert not old.exists() and young.exists()
    finally:
        for path in (old, young):
            if path.exists():
                path.rmdir()


def test_the_sandbox_binds_nothing_but_a_work_folder(root, tmp_path):
    with pytest.raises(SandboxStartError, match="not a work folder"):
        run_sandboxed(["-c", "pass"], Limits(1 << 29, 5, 30), cwd=tmp_path)


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def test_a_raced_replay_holds_no_server_path(root):
    with workdirs.work_dir("race", "leak-test") as workdir:
        run = race_model(
            workdir=workdir, onnx_bytes=B.pursuit_model(2.0),
            metadata_bytes=json.dumps(B.continuous_metadata()).encode(),
            track_bytes=get_track_info("oval-loop").path.read_bytes(),
            laps=1, timing_method="TOTAL_TIME", off_track_penalty_s=3.0, time_cap_s=60.0,
        )  # fmt: skip
        assert run.kind == "result", run.message
        replay = json.loads(run.replay_path.read_text())
    assert replay["track"]["ref"] == "track.npy"
    assert not [s for s in strings(replay) if s.startswith("/") or str(root) in s]


@pytest.mark.django_db
def test_downloads_hold_no_server_path(api, settings):
    result = raced_result(f.race(tracks=[f.track("oval-loop")], laps=1))
    # A replay stored before the fix held the worker's temporary path: served without it.
    with result.replay.open("rb") as fh:
        legacy = json.loads(fh.read())
    legacy["track"]["ref"] = "/tmp/league-race-12-abcd/track.npy"
    Path(result.replay.path).write_text(json.dumps(legacy))
    assert videos.result_video_render(result.pk) == "ready"
    served = {
        "replay": api.get(f"/api/results/{result.pk}/replay/").content,
        "simtrace": api.get(f"/api/results/{result.pk}/simtrace.csv").content,
        "result": api.get(f"/api/results/{result.pk}/").content,
        "video": b"".join(api.get(f"/api/results/{result.pk}/video/").streaming_content),
    }
    assert json.loads(served["replay"])["track"]["ref"] == "track.npy"
    work_root = str(settings.RACING["WORK_ROOT"]).encode()
    for name, body in served.items():
        assert body, name
        for leak in (b"league-race", b"/tmp/", work_root, b"/scratch", str(settings.BASE_DIR).encode()):
            assert leak not in body, (name, leak)
