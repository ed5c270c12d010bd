"""The inference watchdog on the server: a model whose step never returns is refused at
upload and fails its race "too slow", in the sandbox, long before the CPU cap (which,
before the watchdog, held the worker for the whole of it)."""

from __future__ import annotations

import json

import pytest

from racing.runner import ModelRejected, check_upload, race_model
from racing.workdirs import work_dir
from simulator.catalog import get_track_info
from tests.simulator import builders as B

META = json.dumps(B.continuous_metadata()).encode()


@pytest.fixture
def short_caps(settings):
    # Caps far below the defaults but far above the watchdog's second: if the watchdog
    # failed, a cap would end the child, and the outcome would say so.
    settings.RACING = {**settings.RACING, "RACE_CPU_S": 30.0, "RACE_WALL_S": 60.0,
                       "CHECK_CPU_S": 20.0, "CHECK_WALL_S": 40.0}


def test_the_upload_check_refuses_a_never_ending_step(short_caps):
    with pytest.raises(ModelRejected) as err:
        check_upload(B.endless_model(), META)
    message = err.value.errors["onnx"][0]
    assert "too slow" in message and "limit 1000 ms" in message


def test_a_race_that_hangs_mid_way_fails_too_slow(short_caps):
    endless = B.endless_model(faster_than_m_s=0.6)
    assert check_upload(endless, META)["ok"] is True  # a car at rest: it passes
    with work_dir("race", "watchdog-test") as workdir:
        run = race_model(
            workdir=workdir, onnx_bytes=endless, metadata_bytes=META,
            track_bytes=get_track_info("oval-loop").path.read_bytes(),
            laps=1, timing_method="TOTAL_TIME", off_track_penalty_s=3.0, time_cap_s=60.0,
        )  # fmt: skip
    assert run.kind == "failed", run.message
    assert "too slow" in run.message and "limit 1000 ms" in run.message
    assert run.outcome.limit is None  # the watchdog ended it, not a cap
    assert run.outcome.cpu_s < 30.0
