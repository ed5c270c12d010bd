"""Encoding a race video to an MP4 file (H.264, yuv420p) and reading one back, with PyAV.

PyAV is needed here only: drawing the frames (`frames`) takes Pillow alone.
"""

from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Callable, Iterator

import av
from av.video.reformatter import VideoReformatter

from ..track import Track
from .frames import video_frames
from .inputs import VideoLabels, VideoSpec, expected_frames


@dataclass(frozen=True)
class VideoInfo:
    path: str
    frames: int
    duration_s: float
    width_px: int
    height_px: int
    fps: int
    bytes: int



def render_video(track: Track, replay: dict, out_path: str | Path, labels: VideoLabels = VideoLabels(),
                 spec: VideoSpec = VideoSpec(),
                 on_progress: Callable[[int, int], None] | None = None) -> VideoInfo:
    """Render the replay's video to an MP4 file (H.264, yuv420p, moov atom first)."""
    out_path = Path(out_path)
    n = expected_frames(replay)
    if n == 0:
        raise ValueError("the replay has no trajectory rows: nothing to film")
    if "libx264" not in av.codecs_available:
        raise RuntimeError("this PyAV build has no libx264 encoder (PyAV's wheels from PyPI have it); "
                           "cannot write H.264")
    tmp = out_path.with_name(out_path.name + ".part")
    container = av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
    frames = _frames_ahead(video_frames(track, replay, labels, spec))
    try:
        stream = container.add_stream("libx264", rate=spec.fps)
        stream.width = spec.width_px
        stream.height = spec.height_px
        stream.pix_fmt = "yuv420p"
        stream.codec_context.thread_count = spec.threads
        stream.options = {"crf": str(spec.crf), "preset": spec.preset}
        time_base = Fraction(1, spec.fps)
        # One converter for every frame: a frame's own `reformat` sets up a new swscale
        # context each time, which costs as much as the conversion itself.
        to_yuv = VideoReformatter()
        count = 0
        for i, img in enumerate(frames):
            frame = to_yuv.reformat(av.VideoFrame.from_image(img), format="yuv420p", interpolation="BILINEAR")
            frame.pts = i
            frame.time_base = time_base
            for packet in stream.encode(frame):
                container.mux(packet)
            count += 1
            if on_progress is not None and (count % 150 == 0 or count == n):
                on_progress(count, n)
        for packet in stream.encode():
            container.mux(packet)
    except BaseException:
        frames.close()
        container.close()
        tmp.unlink(missing_ok=True)
        raise
    container.close()
    os.replace(tmp, out_path)
    return VideoInfo(path=str(out_path), frames=count, duration_s=count / spec.fps, width_px=spec.width_px,
                     height_px=spec.height_px, fps=spec.fps, bytes=out_path.stat().st_size)


class _frames_ahead:
    """The frames, drawn by a second thread a few frames ahead of the encoder when the
    process may use more than one core (Pillow and x264 both release the GIL while they
    work, so drawing and encoding overlap); drawn in turn on one core, where a second
    thread would only add switching. At most AHEAD frames wait: memory stays flat."""

    AHEAD = 4

    def __init__(self, frames: Iterator, threaded: bool | None = None):
        self._frames = frames
        self._queue: queue.Queue | None = None
        self._stop = threading.Event()
        if threaded if threaded is not None else _cores() > 1:
            self._queue = queue.Queue(maxsize=self.AHEAD)
            self._thread = threading.Thread(target=self._draw, name="video-frames", daemon=True)
            self._thread.start()

    def _draw(self) -> None:
        try:
            for img in self._frames:
                if not self._put(("frame", img)):
                    return
            self._put(("end", None))
        except BaseException as exc:  # handed to the encoding thread, raised there
            self._put(("error", exc))

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator:
        if self._queue is None:
            yield from self._frames
            return
        while True:
            kind, value = self._queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value

    def close(self) -> None:
        """Stop drawing (the encoder failed): the thread ends at its next frame."""
        self._stop.set()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def probe_video(path: str | Path) -> dict:
    """Decode a video with PyAV: frames, duration, size and codec (tests, sanity checks)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = 0
        last_pts = None
        for frame in container.decode(stream):
            frames += 1
            last_pts = frame.pts
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        return {
            "frames": frames,
            "duration_s": duration,
            "width": stream.codec_context.width,
            "height": stream.codec_context.height,
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "fps": float(stream.average_rate) if stream.average_rate else None,
            "last_pts": last_pts,
        }
