"""The MP4 decodes with PyAV: H.264, yuv420p, one frame per control step at 15 fps."""

from __future__ import annotations

import pytest

from simulator.video import encode
from simulator.video.encode import _frames_ahead, probe_video, render_video
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


@pytest.mark.parametrize("threaded", [False, True])
def test_frames_drawn_ahead_come_in_order_and_complete(threaded):
    frames = _frames_ahead(iter(range(50)), threaded=threaded)
    assert list(frames) == list(range(50))


def test_a_drawing_error_reaches_the_encoder():
    def broken():
        yield 1
        raise RuntimeError("the map could not be drawn")

    frames = _frames_ahead(broken(), threaded=True)
    with pytest.raises(RuntimeError, match="could not be drawn"):
        list(frames)


def test_drawing_stops_when_the_encoder_gives_up():
    drawn = []

    def endless():
        while True:
            drawn.append(len(drawn))
            yield drawn[-1]

    frames = _frames_ahead(endless(), threaded=True)
    it = iter(frames)
    assert next(it) == 0
    frames.close()
    frames._thread.join(timeout=10)
    assert not frames._thread.is_alive()
    assert len(drawn) <= 2 + _frames_ahead.AHEAD  # a few frames ahead, never the whole race


def test_the_video_is_the_same_drawn_ahead_or_in_turn(tmp_path, oval, short_replay, monkeypatch):
    """x264 at one thread is deterministic: the same frames give the same file."""
    outs = []
    for cores in (1, 2):
        monkeypatch.setattr(encode, "_cores", lambda cores=cores: cores)
        out = tmp_path / f"run{cores}.mp4"
        render_video(oval, short_replay, out)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
