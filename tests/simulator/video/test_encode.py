"""The MP4 decodes with PyAV: H.264, yuv420p, one frame per control step at 15 fps."""

from __future__ import annotations

import pytest

from simulator.video.encode import probe_video, render_video
from simulator.video.inputs import VideoLabels, VideoSpec, expected_frames


def test_video_decodes_with_one_frame_per_step(tmp_path, oval, short_replay):
    out = tmp_path / "run.mp4"
    info = render_video(oval, short_replay, out, VideoLabels(racer="Tester", title="Meadow Oval"))
    steps = len(short_replay["trajectory"])
    assert steps == short_replay["result"]["steps"] == expected_frames(short_replay) == 60
    assert info.frames == steps and info.fps == 15 and info.bytes == out.stat().st_size
    probe = probe_video(out)
    assert probe["codec"] == "h264" and probe["pix_fmt"] == "yuv420p"
    assert (probe["width"], probe["height"]) == (960, 540)
    assert probe["frames"] == steps
    assert probe["duration_s"] == pytest.approx(steps / 15, abs=1 / 15)
    assert probe["fps"] == pytest.approx(15)
    assert not list(tmp_path.glob("*.part"))


def test_video_size_is_configurable(tmp_path, oval, short_replay):
    replay = {**short_replay, "trajectory": short_replay["trajectory"][:10]}
    out = tmp_path / "small.mp4"
    render_video(oval, replay, out, spec=VideoSpec(width_px=640, height_px=480))
    probe = probe_video(out)
    assert (probe["width"], probe["height"], probe["frames"]) == (640, 480, 10)
    with pytest.raises(ValueError):
        render_video(oval, {**short_replay, "trajectory": []}, tmp_path / "empty.mp4")
