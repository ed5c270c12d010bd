"""Head-to-head duels and matches: the grid and its swap, contact between the two cars
(penalty and reset for both), the winner's rules, what each car's sensors see of the
other, determinism, the replay of both cars and the CLI.

Scripted duels use the long stadium: its bottom straight runs +x from the start line at
(0, -1.5), 1 m wide; position 1 is left of the centre line (y > -1.5).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from simulator.duel import Duel, DuelSettings, duel_winner, match_dict, match_winner, run_duel, run_match
from simulator.formats import FormatError
from simulator.params import RaceRules
from simulator.race import RaceResult
from simulator.replay import duel_replay_dict
from simulator.track import track_from_array

from . import builders as B

RULES = RaceRules(laps=1, off_track_penalty_s=5.0, time_cap_s=60.0)


def result(status="finished", total=20.0, laps=1, progress=0.0) -> RaceResult:
    return RaceResult(status=status, laps_completed=laps, lap_times_s=[], total_time_s=total, best_lap_s=None,
                      avg_lap_s=None, progress=progress, off_track_count=0, wrong_way_count=0, penalty_s=0.0,
                      steps=0, timing_method="TOTAL_TIME", official_time_s=None, trajectory_sha256="00",
                      simulator_version="", onnxruntime_version="", numpy_version="", model_sha256="",
                      laps_required=1)


def test_the_first_to_finish_penalties_included_wins():
    assert duel_winner(result(total=20.0), result(total=21.0)) == "a"
    assert duel_winner(result(total=25.0), result(total=21.0)) == "b"
    assert duel_winner(result(total=21.0), result(total=21.0)) == "draw"


def test_a_dnf_or_a_failure_loses_to_a_finisher_however_slow():
    assert duel_winner(result("dnf", total=60.0, laps=0, progress=0.99), result(total=59.0)) == "b"
    assert duel_winner(result(total=59.0), result("failed", total=1.0, laps=0)) == "a"


def test_when_both_do_not_finish_the_one_further_round_wins():
    assert duel_winner(result("dnf", laps=1, progress=0.1), result("dnf", laps=0, progress=0.9)) == "a"
    assert duel_winner(result("dnf", laps=0, progress=0.2), result("failed", laps=0, progress=0.5)) == "b"
    assert duel_winner(result("dnf", laps=0, progress=0.5), result("dnf", laps=0, progress=0.5)) == "draw"


def duel_dict(a: RaceResult, b: RaceResult) -> dict:
    return {"a": a.to_dict(), "b": b.to_dict()}


def test_a_match_is_the_sum_of_its_two_duels():
    # Each wins one duel, a by 0.5 s and b by 2 s: b wins on the sum.
    duels = [duel_dict(result(total=20.0), result(total=20.5)), duel_dict(result(total=23.0), result(total=21.0))]
    assert match_winner(duels) == "b"
    assert match_winner([duels[0], duels[0]]) == "a"
    assert match_winner([duel_dict(result(total=20.0), result(total=21.0)),
                         duel_dict(result(total=21.0), result(total=20.0))]) == "draw"
    # Finishing both beats finishing one; then the distance over both decides.
    assert match_winner([duel_dict(result(total=90.0), result(total=20.0)),
                         duel_dict(result(total=90.0), result("dnf", laps=0, progress=0.9))]) == "a"
    assert match_winner([duel_dict(result("dnf", laps=0, progress=0.5), result(total=20.0)),
                         duel_dict(result(total=30.0), result("dnf", laps=0, progress=0.6))]) == "b"


def test_the_grid_is_side_by_side_and_swaps(long_track):
    plain = Duel(long_track, RULES)
    a, b = (t.car for t in plain.trials)
    assert a.x_m == pytest.approx(b.x_m) and a.y_m > -1.5 > b.y_m
    assert a.y_m - b.y_m == pytest.approx(0.26)  # two car widths and the gap
    swapped = Duel(long_track, RULES, swapped=True)
    sa, sb = (t.car for t in swapped.trials)
    assert (sa.y_m, sb.y_m) == (pytest.approx(b.y_m), pytest.approx(a.y_m))


def test_a_staggered_grid_puts_position_2_behind_and_each_counts_laps_from_its_spot(long_track):
    duel = Duel(long_track, RULES, settings=DuelSettings(start="staggered"))
    a, b = duel.trials
    assert b.car.x_m == pytest.approx(a.car.x_m - 0.6, abs=1e-6)
    assert b.start_s_m == pytest.approx(long_track.length_m - 0.6)


def test_the_seed_moves_the_grid_round_the_lap(long_track):
    s = [Duel(long_track, RULES, settings=DuelSettings(seed=seed)).trials[0].start_s_m for seed in (0, 1, 2)]
    assert s[0] == 0.0 and len(set(s)) == 3
    assert Duel(long_track, RULES, settings=DuelSettings(seed=1)).trials[0].start_s_m == s[1]


def test_bad_settings_name_the_fix(long_track):
    with pytest.raises(FormatError, match="side_by_side, staggered"):
        DuelSettings(start="rolling")
    with pytest.raises(FormatError, match="seed must be between"):
        DuelSettings(seed=-1)
    narrow = track_from_array(B.stadium(straight_m=10.0, width_m=0.4), name="narrow")
    with pytest.raises(FormatError, match="too narrow"):
        Duel(narrow, RULES)


def test_contact_between_the_cars_is_a_collision_for_both(long_track):
    # b starts 0.6 m behind a in the other lane; a stands still, b drives into it.
    duel = Duel(long_track, RULES, settings=DuelSettings(start="staggered", collision_penalty_s=4.0))
    a, b = duel.trials
    for _ in range(60):
        duel.step(((0.0, 0.1, -1), (20.0 if b.car.y_m < -1.5 else 0.0, 2.0, -1)))
        if duel.collisions:
            break
    assert len(duel.collisions) == 1
    for trial in (a, b):
        assert trial.collision_count == 1 and trial.crashed
        event = next(e for e in trial.events if e["type"] == "collision")
        assert event["obstacle_kind"] == "car" and event["penalty_s"] == 4.0
        assert trial._penalties_s == 4.0
        assert trial.car.speed_m_s == 0.0
    # a was in front: back on the centre line where it touched; b on the centre line behind it.
    assert a.car.y_m == pytest.approx(-1.5, abs=1e-6) and b.car.y_m == pytest.approx(-1.5, abs=1e-6)
    assert a.car.x_m - b.car.x_m == pytest.approx(0.28 + 0.10, abs=1e-6)
    ra, rb = duel.results()
    assert (ra.collision_count, rb.collision_count, ra.race_type) == (1, 1, "head_to_head")


def test_cars_apart_never_collide(long_track):
    duel = Duel(long_track, RULES)
    for _ in range(30):
        duel.step(((0.0, 1.0, -1), (0.0, 1.0, -1)))
    assert not duel.collisions and all(t.collision_count == 0 for t in duel.trials)


def test_a_car_that_is_done_leaves_the_track(long_track):
    duel = Duel(long_track, RULES)
    duel.trials[1].fail("model output is NaN")
    duel.step(((0.0, 1.0, -1), None))
    assert duel.opponents[0].rects == []
    assert duel.opponents[1].rects  # b's sensors still see a


def test_each_car_s_lidar_sees_the_other(long_track):
    buffers = ({"LIDAR": np.zeros((1, 64), np.float32)}, {"LIDAR": np.zeros((1, 64), np.float32)})
    duel = Duel(long_track, RULES, settings=DuelSettings(start="staggered"), buffers=buffers)
    for trial in duel.trials:
        trial.observe()
    a_view, b_view = buffers[0]["LIDAR"][0], buffers[1]["LIDAR"][0]
    # b is behind a and to its right: a's beams to the back right and b's ahead left are cut short.
    assert b_view[32:40].min() < 0.9
    assert a_view[:8].min() < 0.9
    alone = {"LIDAR": np.zeros((1, 64), np.float32)}
    solo = Duel(long_track, RULES, settings=DuelSettings(start="staggered"), buffers=(alone, {}))
    solo.trials[1].fail("gone")
    solo._see_each_other()
    solo.trials[0].observe()
    assert alone["LIDAR"][0][:8].min() > a_view[:8].min()


def test_the_camera_draws_the_car_ahead(long_track):
    shape = (1, 120, 160, 1)
    buffers = ({"FRONT_FACING_CAMERA": np.zeros(shape, np.float32)}, {"FRONT_FACING_CAMERA": np.zeros(shape, np.float32)})
    duel = Duel(long_track, RULES, settings=DuelSettings(start="staggered"), buffers=buffers)
    duel.trials[1].observe()
    with_car = buffers[1]["FRONT_FACING_CAMERA"].copy()
    duel.opponents[1].rects = []
    duel.trials[1].observe()
    assert (with_car != buffers[1]["FRONT_FACING_CAMERA"]).sum() > 100


@pytest.fixture(scope="module")
def policies():
    from simulator.policy import load_policy

    def pair(fast=1.8, slow=1.2):
        return (load_policy(B.pursuit_model(fast), B.continuous_metadata()),
                load_policy(B.pursuit_model(slow), B.continuous_metadata()))

    return pair


def test_a_match_is_deterministic_and_swaps_the_grid(oval, policies):
    runs = [match_dict(run_match(*policies(), oval, RULES, settings=DuelSettings(seed=3))) for _ in range(2)]
    assert runs[0] == runs[1]
    duels = runs[0]["duels"]
    assert [d["positions"] for d in duels] == [{"a": 1, "b": 2}, {"a": 2, "b": 1}]
    assert duels[0]["seed"] == duels[1]["seed"] == 3
    assert duels[0]["trajectory_sha256"] != duels[1]["trajectory_sha256"]
    assert runs[0]["winner"] == "a"  # the faster car
    assert set(duels[0]["a"]) == set(run_duel(*policies(), oval, RULES).results[0].to_dict())


def test_another_seed_gives_another_duel(oval, policies):
    one = run_duel(*policies(), oval, RULES, settings=DuelSettings(seed=1)).trajectory_sha256
    two = run_duel(*policies(), oval, RULES, settings=DuelSettings(seed=2)).trajectory_sha256
    assert one != two


def test_the_same_policy_object_twice_is_refused(oval, policies):
    a, _ = policies()
    with pytest.raises(ValueError, match="load the model twice"):
        run_duel(a, a, oval, RULES)


def test_the_replay_carries_both_cars(oval, policies):
    outcome = run_duel(*policies(), oval, RULES, settings=DuelSettings(start="staggered"))
    replay = duel_replay_dict(outcome, oval, "oval-loop", names=("fast", "slow"))
    assert replay["format"] == "vrl-replay/1" and replay["result"] == outcome.results[0].to_dict()
    duel = replay["duel"]
    assert duel["names"] == {"a": "fast", "b": "slow"} and duel["winner"] == outcome.winner
    assert len(duel["opponent"]["trajectory"]) == outcome.results[1].steps
    assert duel["opponent"]["result"]["trajectory_sha256"] == outcome.results[1].trajectory_sha256
    assert len(duel["collisions"]) == len(outcome.collisions)
    json.dumps(replay)


def test_the_cli_runs_a_match_and_writes_both_replays(cli, model_package, tmp_path):
    fast, fast_meta = model_package(B.pursuit_model(1.8), name="fast")
    slow, slow_meta = model_package(B.pursuit_model(1.2), name="slow")
    code, out, err = cli("duel", fast, slow, "--metadata-a", fast_meta, "--metadata-b", slow_meta,
                         "--track", "oval-loop", "--laps", "1", "--seed", "4", "--match", "--json",
                         "--replay", tmp_path / "m.json")
    assert code == 0, err
    match = json.loads(out)
    assert match["winner"] == "a" and len(match["duels"]) == 2 and match["seed"] == 4
    replay = json.loads((tmp_path / "m-2.json").read_text())
    assert replay["duel"]["names"] == {"a": "fast", "b": "slow"} and replay["duel"]["positions"]["a"] == 2


def test_the_cli_names_the_side_of_a_bad_model(cli, model_package, tmp_path):
    fast, fast_meta = model_package(B.pursuit_model(1.8), name="fast")
    code, _, err = cli("duel", fast, tmp_path / "missing.onnx", "--metadata-a", fast_meta, "--track", "oval-loop")
    assert code == 2 and "model b:" in err and "does not exist" in err
