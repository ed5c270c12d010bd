"""Every tunable number of the simulator, in frozen dataclasses with units in their names.

Changing any default changes official results, so it must come with a new
SIMULATOR_VERSION.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

TIMING_METHODS = ("TOTAL_TIME", "BEST_LAP_TIME", "AVG_LAP_TIME")
SENSORS = ("FRONT_FACING_CAMERA", "STEREO_CAMERAS", "LIDAR", "STATE")

# What a race's rules may be (inclusive bounds): RaceRules refuses anything else, and the
# league's forms and API import these rather than repeat them.
LAPS_RANGE = (1, 100)
OFF_TRACK_PENALTY_RANGE_S = (0, 600)
TIME_CAP_RANGE_S = (1, 3600)
# Resets (off track or wrong way) a run may have; 0 means no limit.
OFF_TRACK_LIMIT_RANGE = (0, 1000)

# Size caps of a model package. They do not change results: the league may set its own
# and pass them to the checks (`max_model_bytes=...`, `--max-model-bytes`).
DEFAULT_MAX_MODEL_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_METADATA_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CarParams:
    """A DeepRacer-scale car: kinematic bicycle with rate limits and limited grip."""

    wheelbase_m: float = 0.164
    length_m: float = 0.28
    width_m: float = 0.20
    max_steering_deg: float = 30.0
    min_speed_m_s: float = 0.1
    max_speed_m_s: float = 4.0
    # The servo and the motor cannot jump to the command: they slew at these rates.
    steering_rate_deg_s: float = 360.0
    accel_m_s2: float = 4.0
    brake_m_s2: float = 8.0
    # Grip: above this lateral acceleration the tyres slide and the car runs wide.
    max_lateral_accel_m_s2: float = 7.0
    control_hz: int = 15
    substeps: int = 4

    @property
    def control_dt_s(self) -> float:
        return 1.0 / self.control_hz

    @property
    def physics_dt_s(self) -> float:
        return 1.0 / (self.control_hz * self.substeps)


@dataclass(frozen=True)
class CameraParams:
    """DeepRacer's camera: 160x120 grey, 1.13 rad across, mounted as on its simulator's car
    (the lens about 0.13 m above the ground and 0.145 m ahead of the car's centre, pitched
    15 deg down, so that the horizon sits near row 26)."""

    width_px: int = 160
    height_px: int = 120
    horizontal_fov_rad: float = 1.13
    height_m: float = 0.13
    forward_m: float = 0.145
    pitch_down_rad: float = math.radians(15.0)
    # STEREO_CAMERAS: two such cameras this far apart, one each side of the car's centre
    # line (DeepRacer's pair sits 0.03 m left and right of it).
    stereo_baseline_m: float = 0.06
    # Metres of floor per texel of the pre-rendered floor texture's base level (the lines
    # drawn antialiased; the rows nearest the car read a level twice as fine, interpolated).
    texel_m: float = 0.01
    # Floor further ahead than this is not rendered: those rows (just under the horizon)
    # show the walls' foot.
    max_range_m: float = 10.0


@dataclass(frozen=True)
class LidarParams:
    beams: int = 64
    min_angle_deg: float = -150.0
    max_angle_deg: float = 150.0
    min_range_m: float = 0.15
    clipping_dist_m: float = 1.0


def _check_between(label: str, value: float, bounds: tuple[float, float], unit: str = "") -> None:
    lo, hi = bounds
    if not lo <= value <= hi:  # NaN fails this too
        raise ValueError(f"{label} must be between {lo} and {hi}{unit}, got {value}")


@dataclass(frozen=True)
class RaceRules:
    """The rules of one official race (per race in the league)."""

    laps: int = 3
    timing_method: str = "TOTAL_TIME"
    off_track_penalty_s: float = 3.0
    time_cap_s: float = 180.0
    allowed_sensors: tuple[str, ...] = SENSORS
    # Falling this far behind the furthest point reached in the lap counts as driving
    # the wrong way (a reset with the off-track penalty).
    wrong_way_limit_m: float = 1.0
    # 0: no limit. N: the (N+1)-th reset (off track or wrong way) ends the run as a DNF.
    off_track_limit: int = 0

    def __post_init__(self) -> None:
        if self.timing_method not in TIMING_METHODS:
            raise ValueError(
                f"timing method {self.timing_method!r} is not one of {', '.join(TIMING_METHODS)}"
            )
        _check_between("laps", self.laps, LAPS_RANGE)
        _check_between("off-track penalty", self.off_track_penalty_s, OFF_TRACK_PENALTY_RANGE_S, " s")
        _check_between("time cap", self.time_cap_s, TIME_CAP_RANGE_S, " s")
        # bool is an int to Python, but True is not a number of resets.
        if not isinstance(self.off_track_limit, numbers.Integral) or isinstance(self.off_track_limit, bool):
            raise ValueError(f"off_track_limit must be a whole number of resets, got {self.off_track_limit!r}")
        object.__setattr__(self, "off_track_limit", int(self.off_track_limit))  # numpy ints too
        _check_between("off_track_limit", self.off_track_limit, OFF_TRACK_LIMIT_RANGE, " resets (0 = no limit)")
        unknown = [s for s in self.allowed_sensors if s not in SENSORS]
        if unknown:
            raise ValueError(
                f"unknown sensor(s) {', '.join(unknown)}; supported: {', '.join(SENSORS)}"
            )


@dataclass(frozen=True)
class PolicyLimits:
    """What an untrusted policy may cost per step before it fails the race."""

    # The car acts once per control period; a policy slower than real time on average fails.
    mean_step_budget_s: float = 1.0 / CarParams.control_hz
    max_single_step_s: float = 1.0
    budget_window_steps: int = 15


@dataclass(frozen=True)
class SimParams:
    car: CarParams = field(default_factory=CarParams)
    camera: CameraParams = field(default_factory=CameraParams)
    lidar: LidarParams = field(default_factory=LidarParams)
    policy: PolicyLimits = field(default_factory=PolicyLimits)
