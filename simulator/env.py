"""The Gymnasium environment: train against the official simulator on your own machine.

`gymnasium.make("simulator/TimeTrial-v0", track="oval-loop", metadata="model_metadata.json")`

- Observations are exactly what the race server feeds the ONNX model for the metadata's
  sensors, without the batch dimension: feed `obs[None]` to the model (or
  `{name: o[None]}` for a model with several inputs, named camera / lidar / state).
- Actions follow the metadata: `Discrete(len(action_space))` for a discrete action space,
  `Box(-1, 1, (2,))` = (steering, speed) for a continuous one, mapped onto the metadata's
  ranges exactly as the race maps a model's output.
- Episodes are official time trials (`simulator.race.TimeTrial`, the same code the server
  races with): laps, off-track and wrong-way resets with their time penalty, the time cap.
  An episode terminates when the laps are done (or at the race's off-track limit, a
  DNF) and is truncated at the time cap (DNF).
- Rewards come from a DeepRacer `reward_function(params)` if one is given; otherwise the
  reward is the progress made this step, in metres along the centre line, and a step that
  ends in a reset scores minus the off-track penalty in seconds (minus the collision
  penalty for a collision).
- Object avoidance and head-to-bot: `race_format={"race_type": "object_avoidance",
  "objects": 6, "seed": 7}` (the fields of `simulator.formats.RaceFormat`). The params
  carry DeepRacer's object keys (`objects_location`, ..., `closest_objects`, `is_crashed`)
  in every format, from `reset()` on; `reset(options={"race_seed": n})` races one episode
  with another seed (new placements and lane changes: variety for training).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from PIL import ImageDraw

from . import layout as L
from .actions import ActionMap
from .catalog import list_tracks, load_track
from .formats import FORMAT_OFF_TRACK_PENALTY_S, TIME_TRIAL, RaceFormat
from .metadata import DEFAULT_CONTINUOUS_SPACE, ModelMetadata, parse_metadata
from .params import RaceRules, SimParams
from .race import TimeTrial, check_sensors_allowed
from .render import MapProjection, draw_scene, render_map
from .rewards import (
    RewardFunction,
    call_reward_function,
    deepracer_params,
    load_reward_function,
    waypoint_list,
)
from .track import Track
from .vehicle import footprint_half_extent_m

DEFAULT_METADATA = {
    "action_space": DEFAULT_CONTINUOUS_SPACE,
    "sensor": ["STATE"],
    "neural_network": "DEEP_CONVOLUTIONAL_NETWORK_SHALLOW",
    "training_algorithm": "clipped_ppo",
    "action_space_type": "continuous",
    "version": "5",
}
INPUT_NAMES = L.INPUT_NAMES
CAMERA_LAYOUTS = ("NHWC", "NCHW")
CAMERA_DTYPES = ("float32", "uint8")


def default_track() -> str:
    """The first beginner track in the catalog (else the first track)."""
    tracks = list_tracks()
    for info in tracks:
        if info.difficulty == "beginner":
            return info.slug
    if not tracks:
        raise ValueError("no shipped tracks found; pass track=PATH.npy")
    return tracks[0].slug


def _load_metadata(metadata: Any) -> ModelMetadata:
    if metadata is None:
        return parse_metadata(DEFAULT_METADATA)
    if isinstance(metadata, ModelMetadata):
        return metadata
    if isinstance(metadata, dict):
        return parse_metadata(metadata)
    if isinstance(metadata, bytes):
        return parse_metadata(metadata)
    text = str(metadata)
    if text.lstrip().startswith("{"):
        return parse_metadata(text)
    path = Path(text)
    if not path.is_file():
        raise FileNotFoundError(f"metadata file {path} does not exist")
    return parse_metadata(path.read_bytes())


def _load_rules(rules: Any, race_format: RaceFormat = TIME_TRIAL) -> RaceRules:
    # Object avoidance and head-to-bot default to their own off-track penalty.
    defaults = {} if race_format.race_type == "time_trial" else {"off_track_penalty_s": FORMAT_OFF_TRACK_PENALTY_S}
    if rules is None:
        return RaceRules(**defaults)
    if isinstance(rules, RaceRules):
        return rules
    if isinstance(rules, dict):
        rules = {**defaults, **rules}
        if "allowed_sensors" in rules:
            rules["allowed_sensors"] = tuple(rules["allowed_sensors"])
        return RaceRules(**rules)
    raise TypeError("rules must be a simulator.params.RaceRules or a dict of its fields")


def _load_format(race_format: Any) -> RaceFormat:
    if race_format is None:
        return TIME_TRIAL
    if isinstance(race_format, RaceFormat):
        return race_format
    if isinstance(race_format, dict):
        return RaceFormat.from_dict(race_format)
    raise TypeError("race_format must be a simulator.formats.RaceFormat or a dict of its fields")


class TimeTrialEnv(gym.Env):
    """An official time trial as a Gymnasium environment (see the module docstring).

    Arguments:
        track: a shipped track slug, a path to a DeepRacer `.npy` file, or a `Track`.
        reverse: drive that track the other way round (`Track.reversed()`).
        metadata: the model's `model_metadata.json` (a dict, a path, JSON text or a parsed
            `ModelMetadata`); default: STATE sensor, continuous steering -30..30 deg and
            speed 0.5..4 m/s.
        reward_function: a DeepRacer `reward_function(params)`, or a path to a `.py` file
            defining one.
        rules: `RaceRules` (or a dict of its fields): laps, penalty, time cap...
        race_format: `simulator.formats.RaceFormat` (or a dict of its fields): the time
            trial by default; object avoidance or head-to-bot with their settings and seed.
        random_start: start each episode at a random point of the centre line drawn from
            the `reset(seed=...)` generator (off by default, as in the official trial).
        camera_layout / camera_dtype: how your camera model declares its input:
            "NHWC" (TensorFlow) or "NCHW" (PyTorch); "float32" (0..1) or "uint8" (0..255).
            STEREO_CAMERAS: the two frames as two channels, left then right.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(
        self,
        track: str | Path | Track | None = None,
        metadata: Any = None,
        reward_function: RewardFunction | str | Path | None = None,
        rules: RaceRules | dict | None = None,
        params: SimParams | None = None,
        random_start: bool = False,
        camera_layout: str = "NHWC",
        camera_dtype: str = "float32",
        render_mode: str | None = None,
        reverse: bool = False,
        race_format: RaceFormat | dict | None = None,
    ):
        super().__init__()
        self.track = track if isinstance(track, Track) else load_track(track or default_track())
        if reverse:
            self.track = self.track.reversed()
        self.model_metadata = _load_metadata(metadata)
        self.race_format = _load_format(race_format)
        self.rules = _load_rules(rules, self.race_format)
        self.params = params or SimParams()
        if isinstance(reward_function, (str, Path)):
            reward_function = load_reward_function(reward_function)
        if reward_function is not None and not callable(reward_function):
            raise TypeError("reward_function must be a function reward_function(params) -> float")
        self.reward_function = reward_function
        self.random_start = bool(random_start)
        if camera_layout not in CAMERA_LAYOUTS:
            raise ValueError(f"camera_layout must be one of {', '.join(CAMERA_LAYOUTS)}")
        if camera_dtype not in CAMERA_DTYPES:
            raise ValueError(f"camera_dtype must be one of {', '.join(CAMERA_DTYPES)}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or one of {self.metadata['render_modes']}")
        self.render_mode = render_mode

        meta = self.model_metadata
        check_sensors_allowed(meta.sensors, self.rules)
        # The buffers the race server would allocate for a model with these inputs.
        self._buffers: dict[str, np.ndarray] = {}
        obs_spaces: dict[str, spaces.Box] = {}
        for sensor in meta.sensors:
            shape, dtype, low, high = self._input_spec(sensor, camera_layout, camera_dtype)
            self._buffers[sensor] = np.zeros((1, *shape), dtype=dtype)
            obs_spaces[sensor] = spaces.Box(low, high, shape, dtype)
        if len(meta.sensors) == 1:
            self.observation_space = obs_spaces[meta.sensors[0]]
        else:
            self.observation_space = spaces.Dict({INPUT_NAMES[s]: sp for s, sp in obs_spaces.items()})

        self._action_map = ActionMap(meta)
        if meta.action_space_type == "discrete":
            self.action_space = spaces.Discrete(len(meta.actions))
        else:
            self.action_space = spaces.Box(-1.0, 1.0, (2,), np.float32)

        self._waypoints = waypoint_list(self.track)
        self.trial: TimeTrial | None = None
        self._steps = 0
        self._map = None

    # -- spaces ------------------------------------------------------------------------------

    def _input_spec(self, sensor: str, layout: str, dtype: str):
        if sensor == "STATE":
            low, high = self._state_bounds()
            return (L.STATE_SIZE,), np.float32, low, high
        if sensor == "LIDAR":
            lid = self.params.lidar
            return (lid.beams,), np.float32, np.float32(lid.min_range_m), np.float32(lid.clipping_dist_m)
        cam = self.params.camera
        c = 2 if sensor == "STEREO_CAMERAS" else 1  # the stereo pair: left, right
        shape = (cam.height_px, cam.width_px, c) if layout == "NHWC" else (c, cam.height_px, cam.width_px)
        if dtype == "uint8":
            return shape, np.uint8, 0, 255
        return shape, np.float32, 0.0, 1.0

    def _state_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds of the STATE vector on this track.

        An observed car is on the track (a car that leaves it is put back before the
        next observation), so it is at most half the widest track plus the car's
        half-diagonal plus one step's travel from the centre line.
        """
        car = self.params.car
        reach = (float(np.max(np.maximum(self.track.left_half_width_m, self.track.right_half_width_m)))
                 + float(np.hypot(car.length_m, car.width_m)) + car.max_speed_m_s * car.control_dt_s)
        ahead = L.STATE_LOOKAHEAD_POINTS * L.STATE_LOOKAHEAD_SPACING_M + reach
        high = np.full(L.STATE_SIZE, ahead, dtype=np.float32)
        low = -high
        low[L.STATE_SPEED], high[L.STATE_SPEED] = 0.0, car.max_speed_m_s
        low[L.STATE_STEERING], high[L.STATE_STEERING] = -1.0, 1.0
        low[L.STATE_OFFSET], high[L.STATE_OFFSET] = -reach, reach
        low[L.STATE_HEADING_ERROR], high[L.STATE_HEADING_ERROR] = -np.pi, np.pi
        low[L.STATE_TRACK_WIDTH], high[L.STATE_TRACK_WIDTH] = 0.0, float(self.track.width_m.max()) + 0.01
        low[L.STATE_PROGRESS], high[L.STATE_PROGRESS] = 0.0, 1.0
        return low, high

    def _observation(self):
        if len(self._buffers) == 1:
            return next(iter(self._buffers.values()))[0].copy()
        return {INPUT_NAMES[s]: b[0].copy() for s, b in self._buffers.items()}

    def _decode(self, action) -> tuple[float, float, int]:
        """The action as the race applies a model's output: (steering_deg, speed_m_s, index)."""
        if self.model_metadata.action_space_type == "discrete":
            k = int(action)
            if not 0 <= k < len(self._action_map.actions):
                raise ValueError(f"action {k} is outside Discrete({len(self._action_map.actions)})")
            return self._action_map.index(k)
        a = np.asarray(action, dtype=np.float32).reshape(-1)
        if a.shape != (2,):
            raise ValueError(f"a continuous action is (steering, speed) in [-1, 1]; got shape {a.shape}")
        s, v = float(a[L.ACTION_STEERING]), float(a[L.ACTION_SPEED])
        if s != s or v != v:
            raise ValueError("the action contains NaN")
        return self._action_map.continuous(s, v)

    # -- gymnasium API -------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        options = options or {}
        race_format = self.race_format
        if options.get("race_seed") is not None:
            race_format = RaceFormat.from_dict({**race_format.to_dict(), "seed": options["race_seed"]})
        for _ in range(100):  # a random start clear of the obstacles (almost always the first)
            if "start_s_m" in options:
                start = float(options["start_s_m"])
            elif self.random_start:
                start = float(self.np_random.uniform(0.0, self.track.length_m))
            else:
                start = 0.0
            self.trial = TimeTrial(self.track, self.rules, self.params, self._buffers, start_s_m=start,
                                   race_format=race_format)
            obstacles = self.trial.obstacles
            if not self.random_start or "start_s_m" in options or obstacles is None or not obstacles.touches(self.trial.car):
                break
        self._steps = 0
        self.trial.observe()
        car, proj = self.trial.car, self.trial.proj
        params = self._params(car, proj, progress_pct=100.0 * self.trial.lap_progress(), steering_deg=0.0,
                              speed_m_s=0.0, off_track=False)
        return self._observation(), self._info(None, params)

    def _params(self, car, proj, **kwargs):
        trial = self.trial
        obstacles = trial.obstacles
        return deepracer_params(
            self.track, car, proj,
            steps=self._steps,
            half_extent_m=footprint_half_extent_m(self.params.car, proj.track_heading_rad - car.heading_rad),
            waypoints=self._waypoints,
            crashed=trial.crashed,
            objects=obstacles.objects_params(proj.s_m) if obstacles is not None else None,
            **kwargs,
        )

    def step(self, action):
        trial = self.trial
        if trial is None or trial.done:
            raise RuntimeError("the episode is over (or never started): call reset() first")
        steer, speed, index = self._decode(action)
        step = trial.step(steer, speed, index)
        self._steps += 1
        reset = step.off_track or step.wrong_way or trial.crashed
        if reset:
            # The car has been put back; the params describe where it was before that
            # (where it touched, after a collision).
            row = trial.rows[-1]
            car = trial.car._replace(
                x_m=row[L.TRAJ_X_M], y_m=row[L.TRAJ_Y_M], heading_rad=row[L.TRAJ_HEADING_RAD],
                speed_m_s=row[L.TRAJ_SPEED_M_S], steering_deg=row[L.TRAJ_STEERING_DEG],
            )
            proj = self.track.project(car.x_m, car.y_m, hint=trial.proj.index)
        else:
            car, proj = trial.car, trial.proj
        progress_pct = 100.0 if step.lap_completed else 100.0 * trial.lap_progress()
        params = self._params(car, proj, progress_pct=progress_pct, steering_deg=steer, speed_m_s=speed,
                              off_track=step.off_track)
        if self.reward_function is not None:
            reward = call_reward_function(self.reward_function, params, self._steps)
        elif trial.crashed:
            reward = -float(self.race_format.collision_penalty_s)
        elif reset:
            reward = -float(self.rules.off_track_penalty_s)
        else:
            reward = float(step.progress_m)
        trial.observe()  # at the end too: learners bootstrap from the final observation
        # The off-track limit ends the race like a crash would; the time cap cuts it short.
        terminated = trial.status in ("finished", "failed") or trial.dnf_reason == "off_track_limit"
        truncated = trial.status == "dnf" and not terminated
        return self._observation(), reward, terminated, truncated, self._info(step, params)

    def _info(self, step, params) -> dict:
        trial = self.trial
        info = {
            "status": trial.status,
            "laps": trial.laps,
            "clock_s": round(trial.clock_s, 6),
            "lap_progress": trial.lap_progress(),
            "distance_m": trial.distance_m,
            "off_track_count": trial.off_track_count,
            "wrong_way_count": trial.wrong_way_count,
            "collision_count": trial.collision_count,
            "start_s_m": trial.start_s_m,
            "params": params,
        }
        if step is not None:
            info.update(
                progress_m=step.progress_m,
                lap_completed=step.lap_completed,
                off_track=step.off_track,
                wrong_way=step.wrong_way,
                crashed=trial.crashed,
            )
        if trial.done:
            info["result"] = trial.result().to_dict()
        return info

    def render(self):
        if self.render_mode != "rgb_array" or self.trial is None:
            return None
        if self._map is None:
            self._map = render_map(self.track, size_px=640)
            self._map_proj = MapProjection(self.track, self._map.width, self._map.height)
        img = self._map.copy()
        draw_scene(ImageDraw.Draw(img), self._map_proj, self.trial.car, self.trial.obstacles)
        return np.asarray(img, dtype=np.uint8)

    def close(self):
        self._map = None
        super().close()

