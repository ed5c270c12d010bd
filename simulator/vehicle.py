"""The car: a kinematic bicycle with rate-limited steering and speed and limited grip.

State is an explicit immutable tuple; `make_stepper` returns a pure function that
advances it by one control period in fixed physics substeps.
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

from .params import CarParams


class CarState(NamedTuple):
    x_m: float
    y_m: float
    heading_rad: float  # unwrapped; wrap when reporting
    speed_m_s: float
    steering_deg: float


Stepper = Callable[[CarState, float, float], CarState]


def make_stepper(car: CarParams) -> Stepper:
    """Pure step function for these car parameters (constants bound once, for speed)."""
    dt = car.physics_dt_s
    substeps = car.substeps
    max_dsteer = car.steering_rate_deg_s * dt
    max_up = car.accel_m_s2 * dt
    max_down = car.brake_m_s2 * dt
    inv_wheelbase = 1.0 / car.wheelbase_m
    max_lat = car.max_lateral_accel_m_s2
    deg = math.pi / 180.0
    tan, cos, sin = math.tan, math.cos, math.sin
    # Bound once: this runs every step. CarState(...) without its Python-level __new__.
    new_state = tuple.__new__
    substep_range = range(substeps)

    def step(state: CarState, steering_cmd_deg: float, speed_cmd_m_s: float) -> CarState:
        x, y, h, v, steer = state
        steady = False
        for _ in substep_range:
            if not steady:
                d = steering_cmd_deg - steer
                steer += max_dsteer if d > max_dsteer else (-max_dsteer if d < -max_dsteer else d)
                d = speed_cmd_m_s - v
                v += max_up if d > max_up else (-max_down if d < -max_down else d)
                kappa = tan(steer * deg) * inv_wheelbase
                # Grip: beyond max lateral acceleration the tyres slide and the path widens.
                if v > 0.0:
                    kappa_grip = max_lat / (v * v)
                    if kappa > kappa_grip:
                        kappa = kappa_grip
                    elif kappa < -kappa_grip:
                        kappa = -kappa_grip
                dh = v * kappa * dt
                half_dh = 0.5 * dh
                vdt = v * dt
                # At the command, steering and speed stay as they are: the next substeps
                # add a zero difference to them (nonzero, so no sign flip either) and
                # compute the same dh and vdt. Only the pose moves on.
                steady = not steering_cmd_deg - steer and not speed_cmd_m_s - v and steer and v
            hm = h + half_dh
            x += vdt * cos(hm)
            y += vdt * sin(hm)
            h += dh
        return new_state(CarState, (x, y, h, v, steer))

    return step


def footprint_half_extent_m(car: CarParams, heading_error_rad: float) -> float:
    """Half the car's extent across the track, for a car at this angle to the track."""
    return 0.5 * (
        abs(car.length_m * math.sin(heading_error_rad))
        + abs(car.width_m * math.cos(heading_error_rad))
    )
