"""The video of a duel: the other car drawn beside ours in its own colour, and its name and
the gap under the racer's name; a time trial's frames have neither."""

from __future__ import annotations

import numpy as np

from simulator.duel import DuelSettings, run_duel
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.replay import duel_replay_dict, replay_dict
from simulator.video.frames import OPPONENT, video_frames
from simulator.video.inputs import VideoSpec

from .. import builders as B

SPEC = VideoSpec(width_px=640, height_px=360)


def _purple(frame) -> int:
    px = np.asarray(frame).reshape(-1, 3).astype(int)
    return int((np.abs(px - np.array(OPPONENT)).sum(axis=1) < 12).sum())


def test_a_duel_s_frames_show_the_other_car_and_a_time_trial_s_do_not(oval):
    policies = [load_policy(B.pursuit_model(s), B.continuous_metadata()) for s in (1.8, 1.2)]
    outcome = run_duel(*policies, oval, RaceRules(laps=1), settings=DuelSettings())
    duel = duel_replay_dict(outcome, oval, "oval-loop", names=("Fast Fay", "Slow Sam"))
    frame = next(f for k, f in enumerate(video_frames(oval, duel, spec=SPEC)) if k == 3)
    assert _purple(frame) > 50  # the car beside ours, and the mark of the name line
    alone = replay_dict(outcome.results[0], oval, "oval-loop")
    frame = next(f for k, f in enumerate(video_frames(oval, alone, spec=SPEC)) if k == 3)
    assert _purple(frame) == 0
