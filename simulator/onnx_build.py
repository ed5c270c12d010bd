"""Small helpers to write ONNX graphs with `onnx.helper`, no training framework needed.

Used by the house drivers, the benchmarks and the tests.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


class GraphBuilder:
    """Accumulates nodes and constants; `node()` returns the name of its output."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.initializers: list = []
        self._n = 0

    def _name(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}_{self._n}"

    def const(self, value, dtype=np.float32) -> str:
        name = self._name("c")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op: str, *inputs: str, **attrs) -> str:
        out = self._name(op.lower())
        self.nodes.append(helper.make_node(op, list(inputs), [out], **attrs))
        return out

    def model(self, inputs: list[tuple[str, int, list]], output: str, output_name: str,
              output_shape: list, output_type: int = TensorProto.FLOAT) -> onnx.ModelProto:
        self.nodes.append(helper.make_node("Identity", [output], [output_name]))
        graph = helper.make_graph(
            self.nodes,
            "policy",
            [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
            [helper.make_tensor_value_info(output_name, output_type, output_shape)],
            self.initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="virtual-racing-league")
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def mlp(sizes: list[int], rng: np.random.Generator, input_name: str = "state",
        output_name: str = "action", final: str = "Tanh", scale: float = 0.3) -> onnx.ModelProto:
    """A dense network with ReLU between layers, random weights from `rng`."""
    b = GraphBuilder()
    x = input_name
    for k, (a, c) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = b.const(rng.normal(0.0, scale / np.sqrt(a), (a, c)))
        bias = b.const(np.zeros(c))
        x = b.node("Gemm", x, w, bias)
        if k < len(sizes) - 2:
            x = b.node("Relu", x)
    if final:
        x = b.node(final, x)
    return b.model([(input_name, TensorProto.FLOAT, [1, sizes[0]])], x, output_name, [1, sizes[-1]])


def camera_cnn(rng: np.random.Generator, layout: str = "NHWC", outputs: int = 2,
               input_name: str = "camera") -> onnx.ModelProto:
    """DeepRacer's "shallow" network size: 3 convolutions and a dense layer."""
    b = GraphBuilder()
    if layout == "NHWC":
        x = b.node("Transpose", input_name, perm=[0, 3, 1, 2])
        shape = [1, 120, 160, 1]
    else:
        x = input_name
        shape = [1, 1, 120, 160]
    channels = 1
    h, w = 120, 160
    for filters, k, stride in ((32, 8, 4), (64, 4, 2), (64, 3, 1)):
        wt = b.const(rng.normal(0.0, 1.0 / np.sqrt(channels * k * k), (filters, channels, k, k)))
        bias = b.const(np.zeros(filters))
        x = b.node("Conv", x, wt, bias, kernel_shape=[k, k], strides=[stride, stride])
        x = b.node("Relu", x)
        channels = filters
        h = (h - k) // stride + 1
        w = (w - k) // stride + 1
    x = b.node("Flatten", x, axis=1)
    flat = channels * h * w
    x = b.node("Gemm", x, b.const(rng.normal(0.0, 1.0 / np.sqrt(flat), (flat, 512))), b.const(np.zeros(512)))
    x = b.node("Relu", x)
    x = b.node("Gemm", x, b.const(rng.normal(0.0, 1.0 / np.sqrt(512), (512, outputs))), b.const(np.zeros(outputs)))
    x = b.node("Tanh", x)
    return b.model([(input_name, TensorProto.FLOAT, shape)], x, "action", [1, outputs])
