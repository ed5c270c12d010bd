"""What the model sees: each sensor's writer into the buffers the model reads, and where
a race puts the car at its start. One definition for the race (race.py), the duel, the
Gymnasium environment's races, the benchmarks and the upload check's trial inference
(policy.py), so that the check's first observation is a race's first observation.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from . import layout as L
from .camera import CameraSensor, StereoCameraSensor
from .formats import ObstacleLidar, Obstacles
from .formats.camera import ObstacleCamera, drawing_obstacles
from .params import SimParams
from .sensors import LidarSensor, StateSensor
from .track import Track
from .vehicle import CarState


def _sensor_cache(track: Track, params: SimParams) -> dict:
    # Sensors precompute tables per track; keep them on the track for repeated races.
    cache = track.__dict__.setdefault("_sensor_cache", {})
    return cache.setdefault((params.car, params.camera, params.lidar), {})


def build_sensors(track: Track, params: SimParams, sensors: tuple[str, ...]) -> dict:
    cache = _sensor_cache(track, params)
    out = {}
    for sensor in sensors:
        if sensor not in cache:
            if sensor == "STATE":
                cache[sensor] = StateSensor(track, params.car)
            elif sensor == "LIDAR":
                cache[sensor] = LidarSensor(track, params.lidar)
            elif sensor == "STEREO_CAMERAS":
                cache[sensor] = StereoCameraSensor(track, params.camera)
            else:
                cache[sensor] = CameraSensor(track, params.camera)
        out[sensor] = cache[sensor]
    return out


def _lidar_with_boxes(track: Track, params: SimParams, obstacles: Obstacles) -> LidarSensor:
    """The lidar of an object-avoidance race: the boxes' sides are walls like the track's
    edges. Kept per placement, the last few only (a training run may place boxes anew
    every episode)."""
    walls = obstacles.box_walls()
    key = ("LIDAR", params.lidar, walls[0].tobytes(), walls[1].tobytes())
    cache = track.__dict__.setdefault("_box_lidars", {})
    if key not in cache:
        while len(cache) >= 4:
            del cache[next(iter(cache))]
        cache[key] = LidarSensor(track, params.lidar, walls)
    return cache[key]


def start_state(track: Track, s_m: float = 0.0) -> CarState:
    x, y, _ = track.point_at(s_m)
    proj = track.project(x, y, hint=track.waypoint_index_at(s_m))
    return CarState(x, y, proj.track_heading_rad, 0.0, 0.0)


def make_observer(buffers: dict[str, np.ndarray], track: Track, params: SimParams,
                  obstacles: Obstacles | None = None) -> Callable:
    """A function (car, projection) that fills the observation buffers of these sensors.

    `buffers` maps sensor name to the array the model reads (its declared shape and
    dtype); a camera buffer of uint8 gets 0..255, a float one 0..1 (the uint8 value / 255).
    A stereo buffer holds the left frame in channel L.STEREO_LEFT, the right one in
    L.STEREO_RIGHT, channels last (NHWC, [1, h, w, 2]) or first (NCHW, [1, 2, h, w]).
    With `obstacles` (a race with boxes or bots) the lidar and the cameras see them too;
    STATE stays the track's alone.
    """
    sensors = build_sensors(track, params, tuple(buffers))
    h, w = params.camera.height_px, params.camera.width_px
    fills = []
    for sensor, buf in buffers.items():
        sens = sensors[sensor]
        if sensor == "STATE":
            fills.append(sens.writer(buf.reshape(-1)))
        elif sensor == "LIDAR":
            view = buf.reshape(-1)
            if obstacles is not None and obstacles.boxes:
                sens = _lidar_with_boxes(track, params, obstacles)
            if obstacles is None or not obstacles.bots:
                fills.append(sens.writer(view))
            else:
                seen = ObstacleLidar(params.lidar)
                write = sens.writer(view)

                def fill_lidar(car, proj, write=write, v=view, seen=seen):
                    write(car)
                    seen.fill(v, obstacles, car)

                fills.append(fill_lidar)
        elif sensor == "STEREO_CAMERAS":
            nhwc = buf.shape[-1] == 2
            left, right = ((buf[0, :, :, c] if nhwc else buf[0, c]) for c in (L.STEREO_LEFT, L.STEREO_RIGHT))
            write = sens.writer(left, right)
            if obstacles is not None:
                write = drawing_obstacles(write, obstacles, [(ObstacleCamera(params.camera, sens.left.lateral_m), left),
                                                             (ObstacleCamera(params.camera, sens.right.lateral_m), right)])
            fills.append(lambda car, proj, write=write: write(car))
        else:
            view = buf.reshape(h, w)
            write = sens.writer(view)
            if obstacles is not None:
                write = drawing_obstacles(write, obstacles, [(ObstacleCamera(params.camera), view)])
            fills.append(lambda car, proj, write=write: write(car))
    if len(fills) == 1:
        return fills[0]

    def observe(car, proj):
        for f in fills:
            f(car, proj)

    return observe
