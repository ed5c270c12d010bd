"""A DeepRacer frozen graph as an ONNX policy that honours the simulator's contract.

Only the part of the graph the policy output depends on is converted: training ops,
the value head and the optimiser's slots are never looked at. What it becomes:

- inputs named after their sensors (`camera`, `lidar`) with a batch of one. The camera
  input is declared uint8: the simulator then feeds raw 0..255 pixels, and a Cast inside
  the model turns them into the float32 0..255 values DeepRacer's graph was trained on
  before the graph's own division by 255. No rescaling is added or removed, so the
  numbers are the original graph's;
- one output, `action`: PPO's softmax over the discrete actions or its continuous mean
  (the simulator clips it to [-1, 1], as DeepRacer does), or SAC's mean through the tanh
  DeepRacer's SAC agent applies before scaling onto the action space.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import TensorProto, helper

from ..onnx_build import OPSET
from ..params import CameraParams, LidarParams
from . import layers, shapes
from .graphdef import DT_FLOAT, GraphDef, GraphFormatError, NodeDef, shape_of, to_numpy
from .values import DEAD, ConversionError, Emitter, Value, constant

OUTPUT_NAME = "action"
_NODE = r"main_level/agent/(?:main|policy)/online/network_\d+"
_INPUT_RE = re.compile(rf"^{_NODE}/(?P<sensor>[^/]+)/(?P=sensor)$")
_OUTPUT_RE = re.compile(rf"^{_NODE}/(?P<head>ppo_head|sac_policy_head)_0/policy$")
ALGORITHMS = {"ppo_head": "clipped_ppo", "sac_policy_head": "sac"}
# A frozen DeepRacer graph has a few hundred nodes (a few thousand with the training ops).
MAX_GRAPH_NODES = 100_000
EMIT = {**layers.EMIT, **shapes.EMIT}  # TensorFlow op -> handler


@dataclass(frozen=True)
class SensorInput:
    """How a DeepRacer input placeholder maps onto one of our sensors."""

    sensor: str  # ours
    onnx_name: str
    shape: tuple[int, ...]  # without the batch dimension
    dtype: int  # the ONNX input's element type


def _sensor_inputs() -> dict[str, SensorInput]:
    cam, lidar = CameraParams(), LidarParams()
    grey = SensorInput("FRONT_FACING_CAMERA", "camera", (cam.height_px, cam.width_px, 1), TensorProto.UINT8)
    return {
        "FRONT_FACING_CAMERA": grey,
        "observation": grey,  # 2019 exports
        "STEREO_CAMERAS": SensorInput("STEREO_CAMERAS", "camera", (cam.height_px, cam.width_px, 2), TensorProto.UINT8),
        "LIDAR": SensorInput("LIDAR", "lidar", (lidar.beams,), TensorProto.FLOAT),
    }


SENSOR_INPUTS = _sensor_inputs()
SUPPORTED_GRAPH_SENSORS = ("FRONT_FACING_CAMERA", "STEREO_CAMERAS", "LIDAR")


@dataclass(frozen=True)
class Conversion:
    model: onnx.ModelProto
    algorithm: str  # "clipped_ppo" | "sac"
    sensors: tuple[str, ...]  # ours, in input order
    inputs: tuple[dict, ...]  # {"name", "sensor", "shape", "dtype", "graph_input"}
    output_node: str
    n_outputs: int
    op_counts: dict[str, int] = field(default_factory=dict)


def _source(ref: str) -> tuple[str, int] | None:
    """("node", port) of an input reference; None for a control dependency."""
    if ref.startswith("^"):
        return None
    name, _, port = ref.rpartition(":")
    if name and port.isdigit():
        return name, int(port)
    return ref, 0


def _subgraph(nodes: dict[str, NodeDef], output: str) -> list[NodeDef]:
    """The nodes `output` depends on, each after its inputs (no recursion: graphs are deep)."""
    order, state, stack = [], {}, [(output, False)]
    while stack:
        name, done = stack.pop()
        if done:
            state[name] = 2
            order.append(nodes[name])
            continue
        if state.get(name) == 2:
            continue
        if state.get(name) == 1:
            raise ConversionError(f"the graph has a loop through node {name!r}; loops are not supported")
        if name not in nodes:
            raise ConversionError(f"the graph refers to a node {name!r} it does not have")
        state[name] = 1
        stack.append((name, True))
        for ref in nodes[name].input:
            src = _source(ref)
            if src is not None and state.get(src[0]) != 2:
                if state.get(src[0]) == 1:
                    raise ConversionError(f"the graph has a loop through node {src[0]!r}; loops are not supported")
                stack.append((src[0], False))
    return order


def _find_output(graph: GraphDef) -> tuple[str, str]:
    found = sorted((n.name, m.group("head")) for n in graph.node if (m := _OUTPUT_RE.match(n.name)))
    if not found:
        raise ConversionError(
            "the graph has no DeepRacer policy output: expected a node named "
            "main_level/agent/main/online/network_1/ppo_head_0/policy (PPO) or "
            "main_level/agent/policy/online/network_0/sac_policy_head_0/policy (SAC)"
        )
    if len(found) > 1:
        raise ConversionError(f"the graph has several policy outputs ({', '.join(n for n, _ in found)}); expected one")
    return found[0]


def _input(node: NodeDef, em: Emitter, graph_inputs: list) -> Value:
    match = _INPUT_RE.match(node.name)
    sensor = match.group("sensor") if match else None
    if sensor is None:
        raise ConversionError(f"the policy needs input {node.name!r}, which is not a DeepRacer sensor input")
    spec = SENSOR_INPUTS.get(sensor)
    if spec is None:
        raise ConversionError(
            f"the graph reads sensor {sensor}, which this simulator does not have; "
            f"supported: {', '.join(SUPPORTED_GRAPH_SENSORS)}"
        )
    if node.attr["dtype"].type != DT_FLOAT:
        raise ConversionError(f"input {sensor} is not float32")
    shape = shape_of(node.attr["shape"].shape) if "shape" in node.attr else None
    if shape is not None and spec.onnx_name == "camera" and len(shape) == 4 and shape[3] == 3:
        raise ConversionError(
            f"input {sensor} is an RGB image; the simulator's cameras are greyscale: "
            "retrain the model with preprocess_type GREY_SCALE"
        )
    if shape is None or len(shape) != len(spec.shape) + 1 or shape[0] not in (-1, 1) or shape[1:] != spec.shape:
        raise ConversionError(
            f"input {sensor} has shape {list(shape) if shape else '?'}; expected {[-1, *spec.shape]}"
        )
    if any(g["sensor"] == spec.sensor for g in graph_inputs):
        raise ConversionError(f"the graph reads {spec.sensor} twice")
    dims = [1, *spec.shape]  # one frame per step: the batch of -1 becomes 1
    graph_inputs.append({"name": spec.onnx_name, "sensor": spec.sensor, "shape": dims, "dtype": spec.dtype,
                         "graph_input": node.name})  # fmt: skip
    if spec.dtype == TensorProto.UINT8:
        return Value(tuple(dims), np.dtype(np.float32), name=em.emit(
            "Cast", [spec.onnx_name], f"{spec.onnx_name}/float32", to=TensorProto.FLOAT)[0])
    return Value(tuple(dims), np.dtype(np.float32), name=spec.onnx_name)


def convert_graph(graph: GraphDef, *, max_const_elements: int) -> Conversion:
    """The ONNX policy of a DeepRacer frozen graph; ConversionError or GraphFormatError
    naming what cannot be converted."""
    if len(graph.node) > MAX_GRAPH_NODES:
        raise ConversionError(f"the graph has more than {MAX_GRAPH_NODES:,} nodes; a DeepRacer policy has a few hundred")
    nodes: dict[str, NodeDef] = {}
    for n in graph.node:
        if n.name in nodes:
            raise ConversionError(f"the graph has two nodes named {n.name!r}")
        nodes[n.name] = n
    output, head = _find_output(graph)
    em = Emitter()
    for name in (OUTPUT_NAME, *(s.onnx_name for s in SENSOR_INPUTS.values())):
        em.fresh(name)  # reserved: the graph's own names must not take them
    values: dict[str, list[Value]] = {}
    graph_inputs: list[dict] = []
    counts: Counter = Counter()
    budget = max_const_elements
    for node in _subgraph(nodes, output):
        inputs = []
        for ref in node.input:
            src = _source(ref)
            if src is None:
                continue
            outs = values[src[0]]
            inputs.append(outs[src[1]] if src[1] < len(outs) else (DEAD if outs and outs[0] is DEAD else None))
            if inputs[-1] is None:
                raise ConversionError(f"node {node.name!r} reads output {src[1]} of {src[0]!r}, which has none")
        if node.op != "Merge" and any(v is DEAD for v in inputs):
            values[node.name] = [DEAD]  # inside the branch of a cond that is not taken
            continue
        counts[node.op] += 1
        if node.op == "Const":
            value = to_numpy(node.attr["value"].tensor, budget)
            budget -= value.size
            values[node.name] = [constant(value)]
        elif node.op == "Placeholder":
            values[node.name] = [_input(node, em, graph_inputs)]
        elif node.op in EMIT:
            values[node.name] = EMIT[node.op](em, node, inputs)
        else:
            raise ConversionError(
                f"the graph uses the TensorFlow operation {node.op!r} (node {node.name!r}), "
                "which the importer does not convert"
            )
    result = values[output][0]
    if result is DEAD or result.const is not None or not graph_inputs:
        raise ConversionError("the policy output does not depend on any sensor input")
    if len(result.shape) != 2 or result.shape[0] != 1 or result.dtype != np.float32:
        raise ConversionError(f"the policy output has shape {list(result.shape)}; expected [batch, actions] float32")
    algorithm = ALGORITHMS[head]
    last = em.tensor(result)
    if algorithm == "sac":  # DeepRacer's SAC acts on tanh(mean), scaled onto the action space
        last = em.emit("Tanh", [last], "sac_policy_head/tanh")[0]
    em.nodes.append(helper.make_node("Identity", [last], [OUTPUT_NAME], name="node/action"))
    graph_inputs.sort(key=lambda g: g["name"])  # camera, then lidar
    onnx_graph = helper.make_graph(
        em.nodes, "deepracer_policy",
        [helper.make_tensor_value_info(g["name"], g["dtype"], g["shape"]) for g in graph_inputs],
        [helper.make_tensor_value_info(OUTPUT_NAME, TensorProto.FLOAT, list(result.shape))],
        em.initializers,
    )  # fmt: skip
    model = helper.make_model(onnx_graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="virtual-racing-league deepracer import")
    model.ir_version = 8
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:  # our bug, but say so rather than write a broken file
        raise ConversionError(f"the converted model is invalid: {str(exc).splitlines()[0][:200]}") from None
    return Conversion(
        model=model,
        algorithm=algorithm,
        sensors=tuple(g["sensor"] for g in graph_inputs),
        inputs=tuple({**g, "dtype": "uint8" if g["dtype"] == TensorProto.UINT8 else "float32"} for g in graph_inputs),
        output_node=output,
        n_outputs=int(result.shape[1]),
        op_counts=dict(sorted(counts.items())),
    )


__all__ = ["SENSOR_INPUTS", "Conversion", "ConversionError", "GraphFormatError", "convert_graph"]
