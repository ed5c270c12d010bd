"""The converted ONNX computes the console graph's own output: parity with a plain numpy
evaluation of the same GraphDef, for every network and head DeepRacer trains, and
refusals that name the operation or sensor."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from simulator.deepracer import graphdef as G
from simulator.deepracer.convert import ConversionError, convert_graph
from simulator.policy import session_options

from . import builders as B
from .reference import evaluate

MAX_CONST = 50 * 1024 * 1024 // 4


def _run(conversion, feeds: dict) -> np.ndarray:
    session = ort.InferenceSession(conversion.model.SerializeToString(), session_options(),
                                   providers=["CPUExecutionProvider"])  # fmt: skip
    return session.run(["action"], feeds)[0]


def _frames(conversion, rng: np.random.Generator) -> tuple[dict, dict]:
    """(ONNX feeds, TensorFlow feeds) with the same pixels and LIDAR ranges."""
    onnx_feeds, tf_feeds = {}, {}
    for spec in conversion.inputs:
        if spec["name"] == "camera":
            x = rng.integers(0, 256, spec["shape"], dtype=np.uint8)
        else:
            x = rng.uniform(0.15, 1.0, spec["shape"]).astype(np.float32)
        onnx_feeds[spec["name"]] = x
        tf_feeds[spec["graph_input"]] = x.astype(np.float32)  # DeepRacer feeds raw 0..255 floats
    return onnx_feeds, tf_feeds


def assert_parity(graph_bytes: bytes, frames: int = 3, squash: bool = False) -> None:
    graph = G.parse_graph(graph_bytes)
    conversion = convert_graph(graph, max_const_elements=MAX_CONST)
    rng = np.random.default_rng(3)
    for _ in range(frames):
        onnx_feeds, tf_feeds = _frames(conversion, rng)
        expected = evaluate(graph, tf_feeds, conversion.output_node)
        expected = np.tanh(expected) if squash else expected
        got = _run(conversion, onnx_feeds)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


NETWORKS = {
    "ppo-discrete": {},
    "ppo-continuous": {"action": "continuous"},
    "sac": {"algorithm": "sac", "action": "continuous"},
    "camera+lidar": {"sensors": ("FRONT_FACING_CAMERA", "LIDAR")},
    "2019-observation": {"sensors": ("observation",)},
    "stereo": {"sensors": ("STEREO_CAMERAS",)},
    "stereo+lidar-sac": {"sensors": ("STEREO_CAMERAS", "LIDAR"), "algorithm": "sac", "action": "continuous"},
    "standard-4-convs": {"convs": ((4, 5, 2), (4, 3, 1), (8, 3, 2), (8, 3, 1))},
}


@pytest.mark.parametrize("kwargs", NETWORKS.values(), ids=NETWORKS.keys())
def test_converted_network_computes_the_graphs_output(kwargs):
    assert_parity(B.deepracer_graph(**kwargs), squash=kwargs.get("algorithm") == "sac")


def test_the_real_shallow_network_converts_with_parity():
    """3 convolutions (32, 64, 64) and a 512-unit layer: DeepRacer's ~5.8 M parameters."""
    assert_parity(B.deepracer_graph(convs=B.SHALLOW_CONVS, middleware=512), frames=1)


def test_inputs_and_output_follow_the_contract():
    conv = convert_graph(G.parse_graph(B.deepracer_graph(sensors=("LIDAR", "FRONT_FACING_CAMERA"))),
                         max_const_elements=MAX_CONST)  # fmt: skip
    graph = conv.model.graph
    assert [i.name for i in graph.input] == ["camera", "lidar"]
    assert [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim] == [1, 120, 160, 1]
    assert graph.input[0].type.tensor_type.elem_type == 2  # uint8: raw pixels, no rescaling contract
    assert graph.input[1].type.tensor_type.elem_type == 1  # float32 ranges in metres
    assert [o.name for o in graph.output] == ["action"]
    assert conv.sensors == ("FRONT_FACING_CAMERA", "LIDAR")
    assert conv.algorithm == "clipped_ppo" and conv.n_outputs == 5
    # The value network (network_0 here) and the training inputs are not converted.
    assert conv.op_counts["Placeholder"] == 2 and conv.op_counts["Conv2D"] == 3
    assert not [n for n in graph.node if "v_values_head" in n.name]


def test_conversion_is_deterministic():
    graph = B.deepracer_graph()
    a = convert_graph(G.parse_graph(graph), max_const_elements=MAX_CONST).model.SerializeToString()
    assert a == convert_graph(G.parse_graph(graph), max_const_elements=MAX_CONST).model.SerializeToString()


# --- every other operation the importer converts ------------------------------------------------


def _kitchen_sink() -> bytes:
    """SAME padding and strides, max pooling, batch norm behind a frozen `is_training`
    cond whose training branch holds an op we do not convert (it must not matter), mean,
    split, multi-input concat, a sliced tensor and the usual activations."""
    g = B.TFGraph(np.random.default_rng(11))
    agent = "main_level/agent/main/online/network_1"
    cam = "main_level/agent/main/online/network_0/FRONT_FACING_CAMERA/FRONT_FACING_CAMERA"
    g.placeholder(cam, [-1, 120, 160, 1])
    x = g.scaled(f"{agent}/cam", cam, 255.0)
    x = g.add(f"{agent}/c0/Relu", "Relu", [g.conv(f"{agent}/c0", x, 1, 4, 5, 3, padding="SAME")], T=B.F32)
    x = g.add(f"{agent}/pool", "MaxPool", [x], T=B.F32, ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME",
              data_format="NHWC")  # fmt: skip
    training = g.const(f"{agent}/is_training", False, np.bool_)
    sw = next(g.add(f"{agent}/bn/Switch_{k}", "Switch", [x, training], T=B.F32) for k in range(1))
    stats = [g.const(f"{agent}/bn/{n}", v) for n, v in (("gamma", [1.5, 0.5, 1.0, 2.0]), ("beta", [0.1, -0.2, 0.0, 0.3]),
                                                          ("mean", [0.2, 0.1, 0.0, 0.4]), ("var", [1.0, 0.5, 2.0, 0.25]))]  # fmt: skip
    infer = g.add(f"{agent}/bn/infer", "FusedBatchNormV3", [sw] + stats, T=B.F32, U=B.F32, epsilon=0.001,
                  is_training=False, data_format="NHWC")  # fmt: skip
    noise = g.add(f"{agent}/bn/noise", "RandomUniform", [g.add(f"{agent}/bn/shape", "Shape", [f"{sw}:1"], T=B.F32)],
                  T=np.dtype(np.int32), dtype=B.F32)  # fmt: skip
    train = g.add(f"{agent}/bn/train", "Mul", [f"{sw}:1", noise], T=B.F32)
    x = g.add(f"{agent}/bn/Merge", "Merge", [train, infer], T=B.F32, N=2)
    pooled = g.add(f"{agent}/mean", "Mean", [x, g.const(f"{agent}/mean/axes", [1, 2], np.int32)], T=B.F32, keep_dims=False)
    flat = g.flatten(f"{agent}/flat", x)
    n_flat = 4 * 20 * 27
    halves = g.add(f"{agent}/split", "Split", [g.const(f"{agent}/split/dim", 1, np.int32), pooled], T=B.F32, num_split=2)
    first = g.add(f"{agent}/slice", "StridedSlice", [
        flat, *(g.const(f"{agent}/slice/{n}", v, np.int32) for n, v in (("b", [0, 0]), ("e", [0, 8]), ("s", [1, 2])))],
        T=B.F32, Index=np.dtype(np.int32), begin_mask=1, end_mask=1, ellipsis_mask=0, new_axis_mask=0,
        shrink_axis_mask=0)  # fmt: skip
    act = [g.add(f"{agent}/sig", "Sigmoid", [halves], T=B.F32), g.add(f"{agent}/tanh", "Tanh", [f"{halves}:1"], T=B.F32),
           g.add(f"{agent}/log", "Log", [g.add(f"{agent}/exp", "Exp", [first], T=B.F32)], T=B.F32)]  # fmt: skip
    x = g.add(f"{agent}/concat", "ConcatV2", act + [g.const(f"{agent}/concat/axis", 1, np.int32)], T=B.F32, N=3)
    x = g.add(f"{agent}/clip", "Minimum", [g.add(f"{agent}/floor", "Maximum", [x, g.const(f"{agent}/lo", -0.5)], T=B.F32),
                                           g.const(f"{agent}/hi", 3.0)], T=B.F32)  # fmt: skip
    x = g.add(f"{agent}/expand", "ExpandDims", [x, g.const(f"{agent}/expand/dim", 1, np.int32)], T=B.F32)
    x = g.add(f"{agent}/squeeze", "Squeeze", [x], T=B.F32, squeeze_dims=[1])
    x = g.add(f"{agent}/join", "AddV2", [g.dense(f"{agent}/fc", x, 8, 8, activation="Tanh"),
                                         g.dense(f"{agent}/fc_flat", flat, n_flat, 8, activation=None)], T=B.F32)  # fmt: skip
    logits = g.dense(f"{agent}/ppo_head_0/policy_fc", x, 8, 3, activation=None)
    g.add(f"{agent}/ppo_head_0/policy", "Softmax", [logits], T=B.F32)
    return g.graph.SerializeToString()


def test_every_supported_operation_keeps_parity():
    assert_parity(_kitchen_sink())


# --- refusals -----------------------------------------------------------------------------------


def _convert(graph_bytes: bytes):
    return convert_graph(G.parse_graph(graph_bytes), max_const_elements=MAX_CONST)


def _with_node_replaced(graph_bytes: bytes, suffix: str, **changes) -> bytes:
    graph = G.parse_graph(graph_bytes)
    node = next(n for n in graph.node if n.name.endswith(suffix))
    for key, value in changes.items():
        if key == "shape":
            node.attr["shape"].CopyFrom(G.attr(("shape", value)))
        else:
            setattr(node, key, value)
    return graph.SerializeToString()


def _renamed(graph_bytes: bytes, old: str, new: str) -> bytes:
    graph = G.parse_graph(graph_bytes)
    for n in graph.node:
        n.name = n.name.replace(old, new)
        n.input[:] = [i.replace(old, new) for i in n.input]
    return graph.SerializeToString()


def test_an_unknown_operation_is_refused_by_name():
    graph = _with_node_replaced(B.deepracer_graph(), "network_1/FRONT_FACING_CAMERA/Conv2d_1/Relu", op="Selu")
    with pytest.raises(ConversionError, match=r"operation 'Selu' \(node 'main_level/.*Conv2d_1/Relu'\)"):
        _convert(graph)


def test_an_unknown_sensor_is_refused_by_name():
    sector = _renamed(B.deepracer_graph(sensors=("FRONT_FACING_CAMERA", "LIDAR")), "LIDAR", "SECTOR_LIDAR")
    with pytest.raises(ConversionError, match="sensor SECTOR_LIDAR, which this simulator does not have"):
        _convert(sector)


def test_an_rgb_camera_is_refused():
    rgb = _with_node_replaced(B.deepracer_graph(), "FRONT_FACING_CAMERA/FRONT_FACING_CAMERA", shape=[-1, 120, 160, 3])
    with pytest.raises(ConversionError, match="RGB image.*GREY_SCALE"):
        _convert(rgb)


def test_a_camera_of_another_size_is_refused():
    small = _with_node_replaced(B.deepracer_graph(), "FRONT_FACING_CAMERA/FRONT_FACING_CAMERA", shape=[-1, 60, 80, 1])
    with pytest.raises(ConversionError, match=r"shape \[-1, 60, 80, 1\]; expected \[-1, 120, 160, 1\]"):
        _convert(small)


def test_a_graph_without_a_policy_output_is_refused():
    with pytest.raises(ConversionError, match="no DeepRacer policy output.*ppo_head_0/policy"):
        _convert(_renamed(B.deepracer_graph(), "ppo_head_0/policy", "ppo_head_0/probabilities"))


def test_a_policy_that_needs_a_training_input_is_refused():
    graph = G.parse_graph(B.deepracer_graph())
    policy = next(n for n in graph.node if n.name.endswith("ppo_head_0/policy"))
    policy.input[0] = "main_level/agent/main/online/network_1/ppo_head_0/old_policy_mean"
    with pytest.raises(ConversionError, match="old_policy_mean.*not a DeepRacer sensor input"):
        _convert(graph.SerializeToString())


def test_a_constant_larger_than_the_model_limit_is_refused():
    graph = G.parse_graph(B.deepracer_graph())
    const = next(n for n in graph.node if n.op == "Const" and n.name.endswith("network_1/FRONT_FACING_CAMERA/Conv2d_0/kernel"))
    huge = G.TensorProto(dtype=G.DT_FLOAT)
    huge.tensor_shape.dim.extend(G.TensorShapeProto.Dim(size=d) for d in (100_000, 100_000, 1, 4))
    huge.float_val.append(1.0)  # four bytes that declare 160 GB
    const.attr["value"].tensor.CopyFrom(huge)
    with pytest.raises(G.GraphFormatError, match="larger than the model size limit"):
        _convert(graph.SerializeToString())
