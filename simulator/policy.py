"""Running an uploaded policy: the ONNX session, a step's inference and its checks.

The static checks are in `inspection.py` and the metadata in `metadata.py`; here a
model that passed them is loaded into onnxruntime and run step by step, and every step
checks what it returned (NaN, shape, time). The race itself runs in a child process with
OS limits (the server's sandbox).

onnxruntime is imported inside the functions that use it: the league's web process
imports the simulator (metadata checks, tracks, replays) and never runs a model itself,
so it does not load onnxruntime (about 30 MB).
"""

from __future__ import annotations

from functools import lru_cache, partial
from time import perf_counter
from typing import Callable

import numpy as np

from .actions import ActionMap
from .failures import kind_of_message
from .inspection import ModelInfo, inspect_model
from .layout import ACTION_SPEED, ACTION_STEERING
from .metadata import ModelError, ModelMetadata, parse_metadata
from .observation import make_observer, start_state
from .params import (
    DEFAULT_MAX_METADATA_BYTES,
    DEFAULT_MAX_MODEL_BYTES,
    CameraParams,
    CarParams,
    LidarParams,
    PolicyLimits,
    SimParams,
)
from .track import Track, track_from_array
from .trackgen import DESIGNS, build_track_array
from .watchdog import InferenceWatch

_CONTROL_HZ = CarParams().control_hz  # for messages: the budget is one control period


class PolicyFailure(Exception):
    """The policy misbehaved during a race (NaN, wrong shape, too slow...)."""


def session_options():
    """Single-threaded, sequential: the same numbers on every run."""
    import onnxruntime as ort  # lazy: see the module docstring

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Fatal only: errors reach us as exceptions; onnxruntime's own log line would repeat
    # them on stderr, where the CLI promises one line.
    so.log_severity_level = 4
    return so


class Policy:
    """A loaded model ready to act. `buffers` are the input arrays the sensors fill."""

    def __init__(
        self,
        onnx_bytes: bytes,
        metadata: ModelMetadata,
        limits: PolicyLimits = PolicyLimits(),
        camera: CameraParams = CameraParams(),
        lidar: LidarParams = LidarParams(),
        *,
        max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES,
    ):
        import onnxruntime as ort  # lazy: see the module docstring

        self.info, _ = inspect_model(onnx_bytes, metadata, camera, lidar, max_model_bytes=max_model_bytes)
        self.metadata = metadata
        self.limits = limits
        self.sha256 = self.info.sha256
        try:
            self.session = ort.InferenceSession(
                onnx_bytes, session_options(), providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            first = str(exc).strip().splitlines()[0][:300]
            raise ModelError("onnx", f"onnxruntime cannot load the model: {first}") from None
        self.buffers: dict[str, np.ndarray] = {}
        self.feed: dict[str, np.ndarray] = {}
        for spec in self.info.inputs:
            buf = np.zeros(spec.shape, dtype=np.float32 if spec.dtype == "float32" else np.uint8)
            self.buffers[spec.sensor] = buf
            self.feed[spec.name] = buf
        self._outputs = [self.info.output_name]
        self._n = self.info.n_actions
        action_map = ActionMap(metadata)
        self._discrete = action_map.discrete
        self._actions = action_map.actions
        self._continuous = action_map.continuous
        self._shape = (1, self._n)
        self._max_single_s = limits.max_single_step_s
        self._window_steps = limits.budget_window_steps
        # An inference that outlives the step limit is ended (watchdog.py) through the
        # RunOptions it runs with, silent (the CLI's stderr is ours). The watchdog only
        # ever ends a step already past the limit, which fails the run: the same options
        # serve every step until then, and a step past the limit gets fresh ones for
        # whatever runs next (making them costs as much as a small model's inference).
        self._watch = InferenceWatch(limits.max_single_step_s)
        # The binding underneath InferenceSession.run skips per-call input-name
        # validation (done once at load); fall back to the public call if it moves.
        inner = getattr(self.session, "_sess", None)
        session = self.session
        self._run = inner.run if inner is not None and hasattr(inner, "run") else (
            lambda names, feed, opts: session.run(names, feed, opts))
        self._run_bound, self._bound_values = self._bind_buffers(inner)
        self._window = [0.0, 0]  # the budget window: seconds and steps so far
        self.act = self._make_act()

    def _bind_buffers(self, inner) -> tuple[Callable[..., None] | None, Callable[[], list] | None]:
        """(run, read the action values) without per-call setup, or (None, None).

        An IOBinding points onnxruntime at our input buffers and at a preallocated
        action array once, so a step neither wraps the inputs nor allocates the output:
        about half the cost of `run` for a small model, same kernels, same numbers. Only
        for a float32 action output, and only if this onnxruntime has the internals.
        """
        try:
            if self.session.get_outputs()[0].type != "tensor(float)":
                return None, None
            binding = self.session.io_binding()
            for name, buf in self.feed.items():
                binding.bind_input(name, "cpu", 0, buf.dtype, list(buf.shape), buf.ctypes.data)
            out = np.zeros(self._shape, dtype=np.float32)
            binding.bind_output(self.info.output_name, "cpu", 0, np.float32, list(out.shape), out.ctypes.data)
            # The binding holds raw pointers: keep the arrays alive as long as it is used.
            self._bound_arrays = (list(self.feed.values()), out)
            run = partial(inner.run_with_iobinding, binding._iobinding)  # + the step's RunOptions
        except Exception:  # the plain call works everywhere
            return None, None
        return run, out.reshape(-1).tolist

    def reset_clock(self) -> None:
        """A fresh budget window, as every race starts with."""
        self._window[:] = (0.0, 0)

    def _make_act(self) -> Callable[[], tuple[float, float, int]]:
        """`act`: run the model on the filled buffers, giving (steering_deg, speed_m_s,
        action index or -1). It runs every step of a race: what it reads is bound here,
        with the RunOptions the steps run with. It holds no reference to the policy, so
        a policy dies with its last reference (the watchdog watches it until then)."""
        watch, run, outputs, feed, shape = self._watch, self._run, self._outputs, self.feed, self._shape
        max_single_s, window_steps, limits = self._max_single_s, self._window_steps, self.limits
        run_bound, bound_values = self._run_bound, self._bound_values
        discrete, actions, continuous = self._discrete, self._actions, self._continuous
        window = self._window
        opts = _run_options()

        def act() -> tuple[float, float, int]:
            nonlocal run_bound, opts
            t0 = perf_counter()
            watch.running = (t0, opts)
            try:
                if run_bound is not None:
                    try:
                        run_bound(opts)
                    except Exception:
                        if opts.terminate:
                            raise
                        # The bound output has the declared shape [1, n]; a model that returns
                        # another shape, or crashes, is diagnosed by the plain call below.
                        run_bound = None
                if run_bound is None:
                    out = run(outputs, feed, opts)[0]
            except Exception as exc:
                if opts.terminate:  # the watchdog ended it past the limit: too slow
                    opts = _run_options()
                    _check_budget(limits, perf_counter() - t0, window)
                first = str(exc).strip().splitlines()[0][:300]
                raise PolicyFailure(f"the model crashed during inference: {first}") from None
            finally:
                watch.running = None
            dt = perf_counter() - t0
            window[0] += dt
            window[1] += 1
            if dt > max_single_s or window[1] == window_steps:
                if dt > max_single_s:  # the watchdog may be ending it this very moment
                    opts = _run_options()
                _check_budget(limits, dt, window)
                if window[1] == window_steps:
                    window[:] = (0.0, 0)
            if run_bound is not None:
                values = bound_values()
            else:
                if out.shape != shape:
                    raise PolicyFailure(f"the model returned shape {list(out.shape)}; expected {list(shape)}")
                values = out.ravel().tolist()
            if discrete:
                total = sum(values)
                if total - total != 0.0:  # NaN or infinity somewhere
                    raise PolicyFailure("the model returned NaN or infinity")
                k = values.index(max(values))  # lowest index on ties
                steer, speed = actions[k]
                return steer, speed, k
            # A continuous model's output is [1, 2] (checked above): the sum of two, inlined.
            steering, speed = values[ACTION_STEERING], values[ACTION_SPEED]
            total = steering + speed
            if total - total != 0.0:  # NaN or infinity in either
                raise PolicyFailure("the model returned NaN or infinity")
            return continuous(steering, speed)

        return act


def _run_options():
    """RunOptions for the steps of a race: silent (the CLI's stderr is ours)."""
    import onnxruntime as ort  # lazy: see the module docstring

    opts = ort.RunOptions()
    opts.log_severity_level = 4
    return opts


def _check_budget(limits: PolicyLimits, dt: float, window: list) -> None:
    """PolicyFailure if this step (`dt` seconds) or, at the end of a window ([seconds,
    steps] so far), the window's mean step is over the limits."""
    window_s, window_n = window
    if dt > limits.max_single_step_s:
        raise PolicyFailure(
            f"the model is too slow: one step took {dt * 1000:.0f} ms "
            f"(limit {limits.max_single_step_s * 1000:.0f} ms)"
        )
    if window_n == limits.budget_window_steps:
        mean = window_s / window_n
        if mean > limits.mean_step_budget_s:
            raise PolicyFailure(
                f"the model is too slow: {mean * 1000:.1f} ms per step on average "
                f"(budget {limits.mean_step_budget_s * 1000:.1f} ms, the car acts at {_CONTROL_HZ} Hz)"
            )


def load_policy(
    onnx_bytes: bytes,
    metadata: bytes | str | dict | ModelMetadata,
    *,
    max_metadata_bytes: int = DEFAULT_MAX_METADATA_BYTES,
    **policy_kwargs,
) -> Policy:
    """A policy ready to race; ModelError (field "onnx" or "metadata") if it cannot be.

    `policy_kwargs` go to `Policy`: limits, camera, lidar, max_model_bytes.
    """
    if isinstance(metadata, ModelMetadata):
        meta = metadata
    else:
        meta = parse_metadata(metadata, max_metadata_bytes=max_metadata_bytes)
    return Policy(onnx_bytes, meta, **policy_kwargs)


# The trial inference's track: the shipped beginner oval. Built from its design, because
# the sandboxed check sees the simulator's folder only, not tracks/data; the design gives
# the shipped file bit for bit (tests/simulator/test_policy.py).
TRIAL_TRACK = "oval-loop"


@lru_cache(maxsize=1)
def trial_track() -> Track:
    design = next(d for d in DESIGNS if d.slug == TRIAL_TRACK)
    return track_from_array(build_track_array(design), name=TRIAL_TRACK)


def observe_start_line(buffers: dict[str, np.ndarray]) -> None:
    """Fill the buffers with what the model sees first in a race: the car at rest on the
    start line of `TRIAL_TRACK` (observation.py, as a race does)."""
    track = trial_track()
    car = start_state(track)
    proj = track.project(car.x_m, car.y_m, hint=track.waypoint_index_at(0.0))
    make_observer(buffers, track, SimParams())(car, proj)


def trial_inference(policy: Policy, runs: int = 5) -> float:
    """Run the model a few times on the start line's observation; returns ms per inference.

    Raises ModelError (field "onnx") naming what went wrong, so an upload is refused
    before it ever reaches a race: a model that fails on the first observation of every
    race (NaN for a car at rest, say) would fail every race at its first step.
    """
    observe_start_line(policy.buffers)
    policy.reset_clock()
    t0 = perf_counter()
    try:
        for _ in range(runs):
            policy.act()
    except PolicyFailure as exc:
        where = f"the first observation of a race (the start line of {TRIAL_TRACK}, the car at rest)"
        if kind_of_message(str(exc)) == "nan":
            raise ModelError(
                "onnx",
                f"trial inference failed: {exc} on {where}, so it would fail every race at its first step. "
                "Look for a division or logarithm of zero in the exported graph (the speed is 0 there), and "
                f"try it with `python -m simulator race model.onnx --track {TRIAL_TRACK}`",
            ) from None
        raise ModelError("onnx", f"trial inference failed: {exc} (on {where})") from None
    ms = (perf_counter() - t0) / runs * 1000.0
    if ms / 1000.0 > policy.limits.mean_step_budget_s:
        raise ModelError(
            "onnx",
            f"trial inference takes {ms:.0f} ms per step; the budget is "
            f"{policy.limits.mean_step_budget_s * 1000:.0f} ms (the car acts at {_CONTROL_HZ} Hz)",
        )
    policy.reset_clock()
    return ms


def check_model(
    onnx_bytes: bytes,
    metadata: bytes | str | dict,
    *,
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES,
    max_metadata_bytes: int = DEFAULT_MAX_METADATA_BYTES,
) -> ModelInfo:
    """Everything short of a race: metadata, static checks, loading and a trial inference."""
    meta = parse_metadata(metadata, max_metadata_bytes=max_metadata_bytes)
    policy = load_policy(onnx_bytes, meta, max_model_bytes=max_model_bytes)
    ms = trial_inference(policy)
    info = policy.info
    return ModelInfo(**{**info.__dict__, "trial_inference_ms": ms})
