"""`python -m simulator bench`: the simulator's cost measured against bare inference.

For each benchmark policy, in the same run: the full race step (physics, sensors,
policy, bookkeeping) inside a real time trial, against `InferenceSession.run` of the
same model on the same inputs. Ratios, not absolute times, are what compare across
machines.
"""

from __future__ import annotations

import math
import time
from typing import Callable

import numpy as np
import onnx

from . import layout as L
from .catalog import list_tracks, load_track
from .onnx_build import GraphBuilder, camera_cnn, mlp
from .params import RaceRules, SimParams
from .policy import load_policy
from .race import make_observer, run_time_trial

CONTINUOUS = {"steering_angle": {"low": -30.0, "high": 30.0}, "speed": {"low": 0.5, "high": 4.0}}


def _meta(sensor: str) -> dict:
    return {"action_space": CONTINUOUS, "sensor": [sensor], "action_space_type": "continuous",
            "neural_network": "BENCH", "training_algorithm": "none", "version": "5"}


def pursuit_mlp(gain: float = 1.6, speed_bias: float = 2.5, speed_gain: float = 1.0) -> onnx.ModelProto:
    """A 26-64-64-2 ReLU MLP with hand-set weights that drives by pure pursuit.

    Layer 1 splits look-ahead lateral offsets into positive and negative parts, layer 2
    forms the steering error and the curvature ahead, the tanh output maps them onto
    steering and speed. A real MLP of the benchmark's size that also finishes laps.
    """
    from onnx import TensorProto

    w1 = np.zeros((L.STATE_SIZE, 64))
    w2 = np.zeros((64, 64))
    w3 = np.zeros((64, 2))
    b3 = np.zeros(2)
    y_index = [L.STATE_LOOKAHEAD + 2 * k + 1 for k in range(L.STATE_LOOKAHEAD_POINTS)]
    for k, idx in enumerate(y_index):
        w1[idx, 2 * k] = 1.0
        w1[idx, 2 * k + 1] = -1.0
    steer_k = 2
    w2[2 * steer_k, 0] = 1.0
    w2[2 * steer_k + 1, 0] = -1.0
    w2[2 * steer_k, 1] = -1.0
    w2[2 * steer_k + 1, 1] = 1.0
    for k in range(3, L.STATE_LOOKAHEAD_POINTS):
        weight = 1.0 / (k + 1) ** 2 * 16.0
        w2[2 * k, 2] = weight
        w2[2 * k + 1, 2] = weight
    w3[0, 0] = gain
    w3[1, 0] = -gain
    w3[2, 1] = -speed_gain
    b3[1] = speed_bias
    b = GraphBuilder()
    x = "state"
    for k, (w, bias) in enumerate(((w1, np.zeros(64)), (w2, np.zeros(64)), (w3, b3))):
        x = b.node("Gemm", x, b.const(w), b.const(bias))
        x = b.node("Relu" if k < 2 else "Tanh", x)
    return b.model([("state", TensorProto.FLOAT, [1, L.STATE_SIZE])], x, "action", [1, 2])


def bench_policies(rng: np.random.Generator) -> list[tuple[str, str, onnx.ModelProto]]:
    return [
        ("state_mlp", "STATE", pursuit_mlp()),
        ("lidar_mlp", "LIDAR", mlp([64, 64, 64, 2], rng, input_name="lidar")),
        ("camera_cnn", "FRONT_FACING_CAMERA", camera_cnn(rng, layout="NHWC")),
    ]


def _bare_inference_us(policy, inputs: list[dict], repeats: int) -> float:
    session = policy.session
    names = [policy.info.output_name]
    for feed in inputs[:5]:
        session.run(names, feed)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        for feed in inputs:
            session.run(names, feed)
        best = min(best, (time.perf_counter() - t0) / len(inputs))
    return best * 1e6


def run_bench(quick: bool = False, track_slug: str | None = None,
              log: Callable[[str], None] = print) -> dict:
    rng = np.random.default_rng(20261125)
    slug = track_slug or list_tracks()[0].slug
    track = load_track(slug)
    params = SimParams()
    repeats = 2 if quick else 5
    report: dict = {"track": slug, "policies": []}
    for name, sensor, model in bench_policies(rng):
        log(f"bench: {name} on {slug} ...")
        policy = load_policy(model.SerializeToString(), _meta(sensor))
        rules = RaceRules(laps=3, time_cap_s=60.0 if sensor == "FRONT_FACING_CAMERA" else 180.0)
        run_time_trial(policy, track, rules, params)  # warm-up: sensor tables, session
        best_ms = math.inf
        result = None
        for _ in range(repeats if sensor != "FRONT_FACING_CAMERA" else 1):
            t0 = time.perf_counter()
            result = run_time_trial(policy, track, rules, params)
            best_ms = min(best_ms, (time.perf_counter() - t0) * 1000.0)
        step_us = best_ms * 1000.0 / max(result.steps, 1)
        # The same inputs the race fed the model: re-observe recorded poses.
        observe = make_observer(policy.buffers, track, params)
        traj = result.trajectory
        picks = np.linspace(0, len(traj) - 1, min(len(traj), 200)).astype(int)
        inputs = []
        from .vehicle import CarState

        hint = 0
        for k in picks:
            row = traj[k]
            car = CarState(row[L.TRAJ_X_M], row[L.TRAJ_Y_M], row[L.TRAJ_HEADING_RAD],
                           row[L.TRAJ_SPEED_M_S], row[L.TRAJ_STEERING_DEG])
            proj = track.project(car.x_m, car.y_m, hint=None)
            hint = proj.index
            observe(car, proj)
            inputs.append({n: b.copy() for n, b in policy.feed.items()})
        inference_us = _bare_inference_us(policy, inputs, repeats)
        entry = {
            "name": name,
            "sensor": sensor,
            "step_us": round(step_us, 2),
            "inference_us": round(inference_us, 2),
            "ratio": round(step_us / inference_us, 3),
            "trial_3laps_ms": round(best_ms, 2),
            "trial_status": result.status,
            "trial_steps": result.steps,
            "trial_laps": result.laps_completed,
        }
        log(f"bench: {name}: step {entry['step_us']} us, inference {entry['inference_us']} us, "
            f"ratio {entry['ratio']}, trial {entry['trial_3laps_ms']} ms ({result.status}, "
            f"{result.laps_completed} laps)")
        report["policies"].append(entry)
    report["physics"] = _bench_physics(track, params, log)
    return report


def _bench_physics(track, params: SimParams, log) -> dict:
    """The simulator without a policy: car step, projection and 64-beam LIDAR per step."""
    from .race import build_sensors, start_state
    from .vehicle import make_stepper

    step = make_stepper(params.car)
    lidar = build_sensors(track, params, ("LIDAR",))["LIDAR"]
    buf = np.zeros(params.lidar.beams, dtype=np.float32)
    car = start_state(track)
    proj = track.project(car.x_m, car.y_m, hint=0)
    n = 3000
    t0 = time.perf_counter()
    for k in range(n):
        car = step(car, 0.0, 1.0)
        i, t = track.closest_segment(car.x_m, car.y_m, proj.index)
        proj = track.projection_at(i, t, car.x_m, car.y_m)
        lidar.fill(buf, car)
        if abs(proj.offset_m) > 0.3:
            car = start_state(track, proj.s_m)
    us = (time.perf_counter() - t0) / n * 1e6
    log(f"bench: physics + projection + 64-beam lidar: {us:.1f} us per step")
    return {"lidar64_step_us": round(us, 2), "steps_per_s": round(1e6 / us)}
