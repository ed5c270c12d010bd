"""Object avoidance and head-to-bot end to end: a facilitator creates the race through the
API, a racer enters, a real `db_worker` races the model in the real simulator with the
race's boxes or bots and seed; the result, the board, the API and the replay carry the
collisions, and the rules page's command races the same trajectory at home."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from league.models import Race
from racing.failures import reproduce_command
from racing.models import RaceStanding, Result, Submission
from racing.submissions import submission_create
from tests import factories as f
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

FORMATS = {
    "object_avoidance": {"format": "object_avoidance", "objects": 3, "placement": "random", "seed": 7},
    "head_to_bot": {"format": "head_to_bot", "bots": 2, "bot_speed": 0.75, "bot_lane_change": True, "seed": 3},
}


def _create(facilitator, settings_: dict) -> Race:
    api = f.api_client(facilitator)
    resp = api.post("/api/races/", {"name": settings_["format"], "track": "oval-loop", **settings_}, format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["format"] == settings_["format"] and body["seed"] == settings_["seed"]
    assert body["off_track_penalty_s"] == 5.0 and body["collision_penalty_s"] == 5.0
    return Race.objects.get(pk=body["id"])


def _race_at_home(race: Race, tmp_path: Path, model) -> dict:
    """The rules page's command, run in a folder with the model's files."""
    with model.onnx.open("rb") as fh:
        (tmp_path / "model.onnx").write_bytes(fh.read())
    (tmp_path / "model_metadata.json").write_text(json.dumps(model.metadata))
    args = shlex.split(reproduce_command(race, json_output=False))
    assert args[:4] == ["python", "-m", "simulator", "race"]
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR)}
    out = subprocess.run([sys.executable, *args[1:], "--json"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def test_both_formats_race_in_the_worker_and_reach_the_board(start_worker, tmp_path):
    f.track("oval-loop")
    fran = f.facilitator()
    races = {name: _create(fran, s) for name, s in FORMATS.items()}
    racer = f.racer("Bo Boxes")
    model = f.policy_model(racer)
    subs = {name: submission_create(racer=racer, model=model, race=race) for name, race in races.items()}

    start_worker()
    wait_for(lambda: Submission.objects.filter(pk__in=[s.pk for s in subs.values()],
                                               status__in=["finished", "failed", "error"]).count() == 2,
             what="both races to end")

    api = f.api_client(racer)
    for name, race in races.items():
        submission = Submission.objects.get(pk=subs[name].pk)
        assert submission.status == "finished", submission.error
        result = Result.objects.get(submission=submission)
        # The model follows the centre line: it meets the boxes and catches up with the bots.
        assert result.collision_count > 0
        assert result.extra["race_type"] == name and result.extra["seed"] == FORMATS[name]["seed"]
        assert result.penalty_s == pytest.approx(5.0 * (result.collision_count + result.off_track_count))

        # The same race at home, from the command the rules page shows: the same run.
        (tmp_path / name).mkdir()
        local = _race_at_home(race, tmp_path / name, model)
        assert local["trajectory_sha256"] == result.trajectory_sha256
        assert local["collision_count"] == result.collision_count

        row = RaceStanding.objects.get(race=race)
        assert row.collision_count == result.collision_count
        board = api.get(f"/api/races/{race.pk}/leaderboard/").json()["results"]
        assert board[0]["collision_count"] == result.collision_count
        body = api.get(f"/api/results/{result.pk}/").json()
        assert body["race_type"] == name and body["seed"] == FORMATS[name]["seed"]
        assert body["collision_count"] == result.collision_count

        replay = api.get(f"/api/results/{result.pk}/replay/").json()
        obstacles = replay["obstacles"]
        assert obstacles["format"]["race_type"] == name and obstacles["format"]["seed"] == FORMATS[name]["seed"]
        assert obstacles["box_rgb"] and obstacles["bot_rgb"]
        collisions = [e for e in replay["events"] if e["type"] == "collision"]
        assert len(collisions) == result.collision_count
        if name == "object_avoidance":
            assert len(obstacles["boxes"]) == 3 and obstacles["bots"] == []
            assert {e["obstacle_kind"] for e in collisions} == {"box"}
        else:
            assert obstacles["boxes"] == [] and len(obstacles["bots"]) == 2
            assert all(len(b["path"]) == len(replay["trajectory"]) for b in obstacles["bots"])
            assert {e["obstacle_kind"] for e in collisions} == {"bot"}
