"""The frames: made lazily, the view follows the car, off-track moments are visible."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.params import RaceRules
from simulator.video.frames import video_frames
from simulator.video.hud import BAD
from simulator.video.inputs import VideoLabels, VideoSpec, unpack_replay


def test_frames_are_made_lazily_and_follow_the_car(oval, short_replay):
    spec = VideoSpec()
    frames = video_frames(oval, short_replay, VideoLabels(racer="Tester"), spec)
    assert iter(frames) is frames  # a generator: nothing is held
    first = np.asarray(next(frames)).copy()
    for _ in range(40):
        later = next(frames)
    later = np.asarray(later)
    assert first.shape == (spec.height_px, spec.width_px, 3)
    # The ground moves under the car: the view changes, the car stays in its place.
    assert np.abs(first.astype(int) - later.astype(int)).mean() > 1.0
    cx, cy = int(spec.car_at[0] * spec.width_px), int(spec.car_at[1] * spec.height_px)
    px_per_m = spec.width_px / spec.view_width_m
    side = int(0.06 * px_per_m)  # beside the cockpit, on the body
    body = later[cy - 2:cy + 3, cx + side - 2:cx + side + 3].reshape(-1, 3).astype(int)
    assert ((body[:, 0] > 150) & (body[:, 1] < 100)).any()  # the red body


def _red_border(frame) -> bool:
    px = np.asarray(frame)[2, frame.width // 2]
    return bool(np.abs(px.astype(int) - np.array(BAD)).max() < 30)


def test_off_track_moments_are_visible(oval, wild_replay):
    run = unpack_replay(wild_replay)
    off_rows = sorted(run.penalty_rows)
    assert len(off_rows) == wild_replay["result"]["off_track_count"]
    first_off = off_rows[0]
    seen = {}
    for i, frame in enumerate(video_frames(oval, wild_replay)):
        if i in (first_off - 1, first_off, first_off + 3):
            seen[i] = _red_border(frame)
        if i > first_off + 3:
            break
    assert seen == {first_off - 1: False, first_off: True, first_off + 3: True}
    # The race clock jumps by the penalty between the two frames of the reset.
    t = run.t
    assert t[first_off + 1] - t[first_off] == pytest.approx(1 / 15 + 3.0, abs=1e-6)


def test_a_reversed_race_is_filmed_on_the_reversed_track(race_replay, oval):
    replay = race_replay(oval.reversed(), RaceRules(laps=1, time_cap_s=1.0))
    first = {}
    # The video task passes the track file as it runs; the replay turns it round.
    for name, track, data in (("file", oval, replay), ("reversed", oval.reversed(), replay),
                              ("not told", oval, {**replay, "track": {**replay["track"], "reversed": False}})):
        first[name] = np.asarray(next(video_frames(track, data)))
    np.testing.assert_array_equal(first["file"], first["reversed"])
    # Told nothing, it would draw the forward track: the start line under the car differs.
    assert np.abs(first["file"].astype(int) - first["not told"].astype(int)).max() > 50
