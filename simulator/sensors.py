"""What the policy sees: the STATE vector, and the LIDAR ranges (`lidar.py`, re-exported
here; the cameras are in `camera.py`).

Each sensor writes into a preallocated buffer so that a race step allocates little.
Layouts come from `layout.py`; geometry from `track.py`.
"""

from __future__ import annotations

import math
import struct
from typing import Callable

import numpy as np

from . import layout as L
from .lidar import LidarSensor
from .params import CarParams
from .track import Projection, Track
from .vehicle import CarState

DEG = math.pi / 180.0
# Lap progress is in [0, 1); the largest float32 below 1 keeps it there after the cast.
_BELOW_ONE = float(np.nextafter(np.float32(1.0), np.float32(0.0)))
# The C functions behind np.dot and np.copyto, without the __array_function__
# dispatch (NEP 18's `_implementation`): the sensors call them with plain arrays every
# step, where the dispatch costs as much as the call.
_dot = getattr(np.dot, "_implementation", np.dot)
_copyto = getattr(np.copyto, "_implementation", np.copyto)

__all__ = ["LidarSensor", "StateSensor"]


# --- STATE ---------------------------------------------------------------------------------


class StateSensor:
    """The 26-value STATE vector (see `layout.py` and the design's table). It describes the
    car and the track only: in object-avoidance and head-to-bot races it is blind to the
    boxes and bots, which the lidar and the cameras see."""

    def __init__(self, track: Track, car: CarParams = CarParams()):
        self.track = track
        self.car = car
        dense = track.dense_centre()
        m = len(dense)
        self._m = m
        self._per_m = m / track.length_m
        ahead = (np.arange(1, L.STATE_LOOKAHEAD_POINTS + 1) * L.STATE_LOOKAHEAD_SPACING_M)
        s = (np.arange(m)[:, None] * (track.length_m / m) + ahead[None, :]) % track.length_m
        closed = np.vstack([track.center, track.center[:1]])
        px = np.interp(s, track.cum_s_m, closed[:, 0])
        py = np.interp(s, track.cum_s_m, closed[:, 1])
        # Homogeneous points [X, Y, 1]: one matmul both translates and rotates them into
        # the car frame.
        self._ahead = np.stack([px, py, np.ones_like(px)], axis=2)  # (m, 10, 3)
        # One (10, 3) view per sample, made once: indexing a list is much cheaper than
        # making a numpy view every step.
        self._ahead_rows = list(self._ahead)

    def fill(self, out: np.ndarray, car: CarState, proj: Projection) -> None:
        """Write the vector into `out` (shape (26,), any float dtype)."""
        self.writer(out)(car, proj)

    def writer(self, out: np.ndarray) -> Callable[[CarState, Projection], None]:
        """A function (car, proj) that writes the vector into `out`, for every step of a race."""
        length = self.track.length_m
        max_steering = self.car.max_steering_deg
        per_m = self._per_m
        m = self._m
        ahead = self._ahead_rows
        dot, copyto = _dot, _copyto
        cos, sin, fmod = math.cos, math.sin, math.fmod
        pi, two_pi = math.pi, 2.0 * math.pi
        # The vector is assembled in float64 and cast into `out` with one call (the same
        # values as writing each part into `out` directly). Scalars go in through struct,
        # six in one call, much cheaper than numpy item or slice assignment.
        vec = np.zeros(L.STATE_SIZE)
        vec_bytes = memoryview(vec).cast("B")
        look = vec[L.STATE_LOOKAHEAD :].reshape(-1, 2)
        rot = np.zeros((3, 2))
        rot_bytes = memoryview(rot).cast("B")
        pack6 = struct.Struct("6d").pack_into

        def write(car: CarState, proj: Projection) -> None:
            x, y, h, speed, steering = car
            _, _, s_m, offset, track_heading, left_half_width, right_half_width = proj
            # Layout order, STATE_SPEED .. STATE_PROGRESS; the heading error is wrapped
            # to (-pi, pi] as `track.wrap_angle` does.
            err = fmod(track_heading - h + pi, two_pi)
            if err <= 0.0:
                err += two_pi
            progress = s_m / length
            pack6(
                vec_bytes, 0,
                speed,
                steering / max_steering,
                offset,
                err - pi,
                left_half_width + right_half_width,
                _BELOW_ONE if _BELOW_ONE < progress else progress,  # min(progress, _BELOW_ONE)
            )
            k = int(s_m * per_m + 0.5)
            if k >= m:
                k -= m
            c = cos(h)
            s = sin(h)
            # Homogeneous rotation + translation into the car frame, rows (X, Y, 1). np.dot
            # of two float64 matrices makes the same BLAS call as np.matmul (the same
            # bits), and costs less to call.
            pack6(rot_bytes, 0, c, -s, s, c, -(x * c + y * s), x * s - y * c)
            dot(ahead[k], rot, look)
            copyto(out, vec)

        return write
