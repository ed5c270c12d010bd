"""The replay page of object avoidance and head-to-bot runs in a real headless Chromium:
the boxes are drawn where the replay puts them, the bots move along their paths, and each
collision has its mark on the timeline and its "+5 s" card."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from league.rules import race_format
from racing import worker
from racing.models import Result, Submission
from simulator.drivers import state_driver
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.race import run_time_trial
from simulator.replay import write_replay
from tests import factories as f
from tracks.pictures import sim_track

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def raced(race) -> Result:
    """The house driver raced in-process in the race's format, recorded by the real service."""
    racer = f.racer()
    model = f.policy_model(racer)
    policy = load_policy(state_driver().SerializeToString(), f.state_metadata())
    rules = RaceRules(laps=race.laps, timing_method=race.timing_method,
                      off_track_penalty_s=race.off_track_penalty_s, time_cap_s=race.time_cap_s)
    track = sim_track(race.track)
    outcome = run_time_trial(policy, track, rules, race_format=race_format(race))
    now = timezone.now()
    submission = Submission.objects.create(
        racer=racer, model=model, race=race, status=Submission.Status.RUNNING, attempts=1,
        run_token="token", started_at=now, lease_expires_at=now + timedelta(hours=1),
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "replay.json"
        write_replay(path, outcome, track, race.track.slug)
        return worker.result_record(claim=worker.Claim(submission, "token"), data=outcome.to_dict(),
                                    replay_path=path)


def open_replay(page, live_server, result) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(f"{live_server.url}/results/{result.pk}/replay/")
    page.wait_for_selector("#rp-stage[data-ready='1']")
    return errors


# The colour of the map's canvas where a world point is drawn (CSS pixels -> device pixels).
PIXEL_AT = """([x, y]) => {
  const st = window.replayPlayer.state, v = st.view, c = document.getElementById('rp-track');
  const d = c.getContext('2d').getImageData(Math.round(v.px(x) * v.dpr), Math.round(v.py(y) * v.dpr), 1, 1).data;
  return [d[0], d[1], d[2]];
}"""


def near(rgb, target, tol=12) -> bool:
    return all(abs(a - b) <= tol for a, b in zip(rgb, target))


def test_object_avoidance_replay_draws_the_boxes_and_marks_collisions(page, live_server):
    race = f.community_race(on=f.track("oval-loop"), format="object_avoidance", object_count=3, seed=7, laps=1,
                            time_cap_s=60)
    result = raced(race)
    assert result.collision_count > 0
    errors = open_replay(page, live_server, result)
    assert page.get_attribute("#rp-stage", "data-boxes") == "3"
    boxes = page.evaluate("() => window.replayPlayer.state.run.obstacles.boxes.map((b) => [b.x, b.y])")
    assert len(boxes) == 3
    for x, y in boxes:  # the box's own colour at its centre (the simulator's BOX_RGB)
        assert near(page.evaluate(PIXEL_AT, [x, y]), (214, 170, 110)), (x, y)
    assert page.locator("#rp-marks .rp-mark-hit").count() == result.collision_count

    # At the first collision the card says so, in the collision's colours.
    first = page.evaluate("() => window.replayPlayer.state.run.collisions[0].i")
    page.eval_on_selector("#rp-scrub", f"(el) => {{ el.value = '{first}'; el.dispatchEvent(new Event('input')); }}")
    assert page.is_visible("#rp-penalty")
    assert page.text_content("#rp-penalty") == "Hit a box · +5 s penalty"
    assert "rp-penalty-hit" in page.get_attribute("#rp-penalty", "class")
    assert errors == []


def test_head_to_bot_replay_moves_the_bots_along_their_paths(page, live_server):
    race = f.community_race(on=f.track("oval-loop"), format="head_to_bot", bots=2, seed=3, laps=1, time_cap_s=60)
    result = raced(race)
    errors = open_replay(page, live_server, result)
    assert page.get_attribute("#rp-stage", "data-bots") == "2"
    at_start = page.get_attribute("#rp-stage", "data-bot-poses")
    expected = page.evaluate(
        "() => window.replayPlayer.state.run.obstacles.bots.map((b) => [b.xyh[0], b.xyh[1]])")
    assert at_start == " ".join(f"{x:.3f},{y:.3f}" for x, y in expected)
    # Each bot car in its colour (the simulator's BOT_RGB) where its path starts: on its
    # body, behind the white stripe along the middle of the car.
    bodies = page.evaluate("""() => {
      const st = window.replayPlayer.state, o = st.run.obstacles, v = st.view;
      const back = 0.3 * Math.max(o.botSize[0] * v.scale, 14) / v.scale;
      return o.bots.map((b) => [b.xyh[0] - Math.cos(b.xyh[2]) * back, b.xyh[1] - Math.sin(b.xyh[2]) * back]);
    }""")
    for x, y in bodies:
        assert near(page.evaluate(PIXEL_AT, [x, y]), (64, 120, 255)), (x, y)

    page.eval_on_selector("#rp-scrub", "(el) => { el.value = '40'; el.dispatchEvent(new Event('input')); }")
    later = page.get_attribute("#rp-stage", "data-bot-poses")
    path40 = page.evaluate(
        "() => window.replayPlayer.state.run.obstacles.bots.map((b) => [b.xyh[120], b.xyh[121]])")
    assert later == " ".join(f"{x:.3f},{y:.3f}" for x, y in path40) and later != at_start
    assert errors == []
