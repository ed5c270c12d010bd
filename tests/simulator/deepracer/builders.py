"""DeepRacer console exports made in the tests: frozen graphs written with the simulator's
run-time GraphDef classes (no TensorFlow), laid out as rl_coach lays out its networks, and
the .tar.gz archives the console exports them in (and hostile ones).

The networks are the console's: a camera embedder (divide by 255, VALID convolutions
with ReLU, Keras' Flatten built from Shape/StridedSlice/Pack/Reshape), a LIDAR embedder
(two dense layers), merged by ConcatV2, a 512-unit middleware, the gradient rescaler
between middleware and head, and a PPO (softmax or continuous mean) or SAC head. Channel
counts are small by default so the tests stay fast; `SHALLOW` is the real size.
"""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np

from simulator.deepracer import graphdef as G

F32 = np.dtype(np.float32)
SMALL_CONVS = ((4, 8, 4), (8, 4, 2), (8, 3, 1))  # (filters, kernel, stride)
SHALLOW_CONVS = ((32, 8, 4), (64, 4, 2), (64, 3, 1))  # the console's 3-layer CNN
CAMERA_SHAPE = {"FRONT_FACING_CAMERA": [-1, 120, 160, 1], "observation": [-1, 120, 160, 1],
                "STEREO_CAMERAS": [-1, 120, 160, 2], "LIDAR": [-1, 64]}  # fmt: skip


class TFGraph:
    """A GraphDef under construction; every method returns the name of what it added."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.graph = G.GraphDef()
        self.graph.versions.producer = 27
        self.rng = rng

    def add(self, name: str, op: str, inputs=(), **attrs) -> str:
        self.graph.node.append(G.node(name, op, list(inputs), **attrs))
        return name

    def const(self, name: str, value, dtype=F32) -> str:
        arr = np.asarray(value, dtype=dtype)
        return self.add(name, "Const", dtype=arr.dtype, value=arr)

    def variable(self, name: str, value) -> str:
        """A frozen variable: its constant and the `read` Identity TensorFlow keeps."""
        return self.add(f"{name}/read", "Identity", [self.const(name, value)], T=F32)

    def placeholder(self, name: str, shape) -> str:
        return self.add(name, "Placeholder", dtype=F32, shape=("shape", list(shape)))

    def dense(self, scope: str, x: str, n_in: int, units: int, activation: str | None = "Relu") -> str:
        w = self.variable(f"{scope}/kernel", self.rng.normal(0, np.sqrt(2.0 / n_in), (n_in, units)))
        b = self.variable(f"{scope}/bias", self.rng.normal(0, 0.1, units))
        y = self.add(f"{scope}/BiasAdd", "BiasAdd", [self.add(f"{scope}/MatMul", "MatMul", [x, w], T=F32), b], T=F32)
        return self.add(f"{scope}/{activation}", activation, [y], T=F32) if activation else y

    def conv(self, scope: str, x: str, c_in: int, filters: int, k: int, s: int, padding: str = "VALID") -> str:
        w = self.variable(f"{scope}/kernel", self.rng.normal(0, np.sqrt(2.0 / (k * k * c_in)), (k, k, c_in, filters)))
        b = self.variable(f"{scope}/bias", self.rng.normal(0, 0.1, filters))
        y = self.add(f"{scope}/Conv2D", "Conv2D", [x, w], T=F32, strides=[1, s, s, 1], padding=padding,
                     data_format="NHWC", dilations=[1, 1, 1, 1], use_cudnn_on_gpu=True)  # fmt: skip
        return self.add(f"{scope}/BiasAdd", "BiasAdd", [y, b], T=F32, data_format="NHWC")

    def flatten(self, scope: str, x: str) -> str:
        """Keras' Flatten as TensorFlow 1 writes it: reshape to (shape(x)[0], -1)."""
        shape = self.add(f"{scope}/Shape", "Shape", [x], T=F32, out_type=np.dtype(np.int32))
        i32 = np.int32
        batch = self.add(f"{scope}/strided_slice", "StridedSlice", [
            shape, self.const(f"{scope}/stack", [0], i32), self.const(f"{scope}/stack_1", [1], i32),
            self.const(f"{scope}/stack_2", [1], i32)], T=np.dtype(i32), Index=np.dtype(i32),
            begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0, shrink_axis_mask=1)  # fmt: skip
        target = self.add(f"{scope}/Reshape/shape", "Pack", [batch, self.const(f"{scope}/Reshape/shape/1", -1, i32)],
                          T=np.dtype(i32), N=2, axis=0)  # fmt: skip
        return self.add(f"{scope}/Reshape", "Reshape", [x, target], T=F32, Tshape=np.dtype(i32))

    def scaled(self, scope: str, x: str, rescale: float) -> str:
        """rl_coach's input embedder: x / rescaling - offset (255 for images, 1 for vectors)."""
        y = self.add(f"{scope}/truediv", "RealDiv", [x, self.const(f"{scope}/truediv/y", rescale)], T=F32)
        return self.add(f"{scope}/sub", "Sub", [y, self.const(f"{scope}/sub/y", 0.0)], T=F32)


def _camera_embedder(g: TFGraph, scope: str, x: str, channels: int, convs) -> tuple[str, int]:
    x, h, w = g.scaled(scope, x, 255.0), 120, 160
    for i, (filters, k, s) in enumerate(convs):
        x = g.add(f"{scope}/Conv2d_{i}/Relu", "Relu", [g.conv(f"{scope}/Conv2d_{i}", x, channels, filters, k, s)], T=F32)
        channels, h, w = filters, (h - k) // s + 1, (w - k) // s + 1
    return g.flatten(f"{scope}/Flatten", x), channels * h * w


def _lidar_embedder(g: TFGraph, scope: str, x: str) -> tuple[str, int]:
    x = g.dense(f"{scope}/Dense_0", g.scaled(scope, x, 1.0), 64, 32)
    return g.dense(f"{scope}/Dense_1", x, 32, 32), 32


def deepracer_graph(
    sensors=("FRONT_FACING_CAMERA",),
    algorithm: str = "clipped_ppo",
    action: str = "discrete",
    n_actions: int = 5,
    convs=SMALL_CONVS,
    middleware: int = 32,
    seed: int = 7,
) -> bytes:
    """A frozen console graph. PPO builds the value network (network_0) and the policy
    network (network_1) on the shared input placeholders, as rl_coach does; SAC its
    policy network (network_0 under `policy`)."""
    g = TFGraph(np.random.default_rng(seed))
    agent = "main_level/agent/policy/online" if algorithm == "sac" else "main_level/agent/main/online"
    inputs = {s: g.placeholder(f"{agent}/network_0/{s}/{s}", CAMERA_SHAPE[s]) for s in sensors}
    for net in ([0] if algorithm == "sac" else [0, 1]):
        scope = f"{agent}/network_{net}"
        parts = []
        for s in sorted(sensors):
            if s == "LIDAR":
                parts.append(_lidar_embedder(g, f"{scope}/{s}", inputs[s]))
            else:
                parts.append(_camera_embedder(g, f"{scope}/{s}", inputs[s], CAMERA_SHAPE[s][3], convs))
        x, width = parts[0]
        if len(parts) > 1:
            x = g.add(f"{scope}/concat", "ConcatV2", [p for p, _ in parts] + [g.const(f"{scope}/concat/axis", -1, np.int32)],
                      T=F32, N=len(parts), Tidx=np.dtype(np.int32))  # fmt: skip
            width = sum(w for _, w in parts)
        x = g.dense(f"{scope}/middleware_fc_embedder/Dense_0", x, width, middleware)
        # rl_coach's gradient rescaler: (1 - r) * stop_gradient(x) + r * x, r frozen at 1.
        r = g.variable(f"{scope}/gradients_from_head_0-0_rescalers", 1.0)
        keep = g.add(f"{scope}/sub", "Sub", [g.const(f"{scope}/sub/x", 1.0), r], T=F32)
        stopped = g.add(f"{scope}/mul", "Mul", [keep, g.add(f"{scope}/StopGradient", "StopGradient", [x], T=F32)], T=F32)
        x = g.add(f"{scope}/add", "Add", [stopped, g.add(f"{scope}/mul_1", "Mul", [r, x], T=F32)], T=F32)
        if algorithm == "sac":
            head = f"{scope}/sac_policy_head_0"
            x = g.dense(f"{head}/dense", x, middleware, 16)
            mean = g.dense(f"{head}/policy_mean", x, 16, 2, activation=None)
            g.add(f"{head}/policy", "Identity", [mean], T=F32)
            log_std = g.dense(f"{head}/dense_2", x, 16, 2, activation=None)  # training only
            g.add(f"{head}/policy_log_std", "Maximum", [log_std, g.const(f"{head}/min", -20.0)], T=F32)
        elif net == 0:
            g.dense(f"{scope}/v_values_head_0/output", x, middleware, 1, activation=None)
        elif action == "discrete":
            head = f"{scope}/ppo_head_0"
            logits = g.dense(f"{head}/policy_fc", x, middleware, n_actions, activation=None)
            g.add(f"{head}/policy", "Softmax", [logits], T=F32)
            g.placeholder(f"{head}/old_policy_mean", [-1, n_actions])  # training input, never read here
        else:
            head = f"{scope}/ppo_head_0"
            g.add(f"{head}/policy", "Identity", [g.dense(f"{head}/policy_mean", x, middleware, 2, activation=None)], T=F32)
    return g.graph.SerializeToString()


# --- metadata and archives --------------------------------------------------------------------

DISCRETE_SPACE = [{"steering_angle": a, "speed": v, "index": i}
                  for i, (a, v) in enumerate(((-30, 1.0), (-15, 2.0), (0, 3.0), (15, 2.0), (30, 1.0)))]  # fmt: skip
CONTINUOUS_SPACE = {"steering_angle": {"low": -25, "high": 27}, "speed": {"low": 1, "high": 3.3}}


def console_metadata(sensors=("FRONT_FACING_CAMERA",), algorithm="clipped_ppo", action="discrete",
                     network="DEEP_CONVOLUTIONAL_NETWORK_SHALLOW", **extra) -> dict:  # fmt: skip
    return {
        "action_space": DISCRETE_SPACE if action == "discrete" else CONTINUOUS_SPACE,
        "sensor": list(sensors),
        "neural_network": network,
        "training_algorithm": algorithm,
        "action_space_type": action,
        "version": "5",
        "preprocess_type": "GREY_SCALE",
        **extra,
    }


def tar_bytes(members, *, gzip: bool = True, fmt=tarfile.PAX_FORMAT) -> bytes:
    """A tar(.gz) of (name, bytes) pairs, or of prepared (TarInfo, bytes | None) pairs."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gzip else "w", format=fmt) as tar:
        for name, data in members:
            if isinstance(name, tarfile.TarInfo):
                tar.addfile(name, io.BytesIO(data) if data is not None else None)
                continue
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_700_000_000
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def console_archive(graph: bytes, metadata: dict | bytes | None, *, graph_name="agent/model.pb",
                    metadata_name="model_metadata.json", extra=()) -> bytes:  # fmt: skip
    """An export as the console packs it: metadata at the top, the graph under agent/."""
    members = []
    if metadata is not None:
        members.append((metadata_name, metadata if isinstance(metadata, bytes) else json.dumps(metadata).encode()))
    members.append((graph_name, graph))
    return tar_bytes(members + list(extra))
