"""The arithmetic of a DeepRacer network as ONNX nodes: convolutions, pooling, dense
layers, element-wise operations and activations, batch norm, and a `tf.cond` on a
constant (how a frozen `is_training` switch looks).

TensorFlow's convolutions and pools are NHWC, ONNX's are NCHW: each one is wrapped in a
pair of transposes, which onnxruntime's optimizer cancels between consecutive layers.
"""

from __future__ import annotations

import math

import numpy as np

from .graphdef import NodeDef
from .values import (
    DEAD,
    MAX_FOLDED_ELEMENTS,
    ConversionError,
    Emitter,
    Value,
    attr_of,
    const_of,
    constant,
    handler_table,
)

EMIT, _op = handler_table()


def _spatial(node: NodeDef, x: Value, kh: int, kw: int) -> tuple[list[int], list[int], list[int], tuple[int, int]]:
    """(strides, dilations, pads [top, left, bottom, right], output (h, w)) of an NHWC window op."""
    if attr_of(node, "data_format", "NHWC") != "NHWC":
        raise ConversionError(f"{node.op} node {node.name!r} is {attr_of(node, 'data_format')}; DeepRacer networks are NHWC")
    if len(x.shape) != 4:
        raise ConversionError(f"{node.op} node {node.name!r} gets a tensor of rank {len(x.shape)}, not an image")
    strides = attr_of(node, "strides", [1, 1, 1, 1])
    dilations = attr_of(node, "dilations", [1, 1, 1, 1])
    if len(strides) != 4 or len(dilations) != 4 or min(strides + dilations) < 1:
        raise ConversionError(f"{node.op} node {node.name!r} has invalid strides or dilations")
    padding = attr_of(node, "padding", "VALID")
    pads, out = [0, 0, 0, 0], []
    for axis, k in ((1, kh), (2, kw)):
        size, s, k_eff = x.shape[axis], strides[axis], (k - 1) * dilations[axis] + 1
        if padding == "SAME":  # TensorFlow's rule: the odd pixel of padding goes at the end
            n = math.ceil(size / s)
            total = max((n - 1) * s + k_eff - size, 0)
            before, after = total // 2, total - total // 2
        elif padding == "EXPLICIT":
            explicit = attr_of(node, "explicit_paddings", [0] * 8)
            before, after = explicit[2 * axis], explicit[2 * axis + 1]
        elif padding == "VALID":
            before = after = 0
        else:
            raise ConversionError(f"{node.op} node {node.name!r} has padding {padding!r}")
        pads[axis - 1], pads[axis + 1] = before, after
        n = (size + before + after - k_eff) // s + 1
        if n < 1:
            raise ConversionError(f"{node.op} node {node.name!r}: the window is larger than its input")
        out.append(n)
    return strides[1:3], dilations[1:3], pads, (out[0], out[1])


def _nchw(em: Emitter, x: Value, base: str) -> str:
    return em.emit("Transpose", [x], f"{base}/nchw", perm=[0, 3, 1, 2])[0]


@_op("Identity", "StopGradient", "Snapshot", "PreventGradient", "PlaceholderWithDefault")
def _identity(em, node, x):
    return [x[0]]


_UNARY = {"Relu": "Relu", "Tanh": "Tanh", "Sigmoid": "Sigmoid", "Exp": "Exp", "Log": "Log", "Neg": "Neg",
          "Sqrt": "Sqrt", "Abs": "Abs", "Softplus": "Softplus", "Elu": "Elu", "Reciprocal": "Reciprocal",
          "Softmax": "Softmax", "LogSoftmax": "LogSoftmax"}  # fmt: skip


@_op(*_UNARY)
def _unary(em, node, x):
    attrs = {"axis": -1} if node.op in ("Softmax", "LogSoftmax") else {}  # TensorFlow: the last axis
    return [Value(x[0].shape, x[0].dtype, name=em.emit(_UNARY[node.op], [x[0]], node.name, **attrs)[0])]


@_op("Relu6", "LeakyRelu", "Rsqrt", "Square")
def _unary_composite(em, node, x):
    v = x[0]
    if node.op == "Relu6":
        lo, hi = constant(np.array(0, v.dtype)), constant(np.array(6, v.dtype))
        out = em.emit("Clip", [v, lo, hi], node.name)[0]
    elif node.op == "LeakyRelu":
        out = em.emit("LeakyRelu", [v], node.name, alpha=float(attr_of(node, "alpha", 0.2)))[0]
    elif node.op == "Rsqrt":
        out = em.emit("Reciprocal", [em.emit("Sqrt", [v], f"{node.name}/sqrt")[0]], node.name)[0]
    else:
        out = em.emit("Mul", [v, v], node.name)[0]
    return [Value(v.shape, v.dtype, name=out)]


_BINARY = {"Add": ("Add", np.add), "AddV2": ("Add", np.add), "Sub": ("Sub", np.subtract),
           "Mul": ("Mul", np.multiply), "RealDiv": ("Div", np.divide), "Div": ("Div", None),
           "Maximum": ("Max", np.maximum), "Minimum": ("Min", np.minimum), "Pow": ("Pow", np.power),
           "FloorDiv": (None, np.floor_divide)}  # fmt: skip


@_op(*_BINARY, "BiasAdd")
def _binary(em, node, x):
    a, b = x
    if node.op == "BiasAdd" and attr_of(node, "data_format", "NHWC") != "NHWC":
        raise ConversionError(f"BiasAdd node {node.name!r} is NCHW; DeepRacer networks are NHWC")
    try:
        shape = tuple(np.broadcast_shapes(a.shape, b.shape))
    except ValueError:
        raise ConversionError(f"{node.op} node {node.name!r} gets shapes {list(a.shape)} and {list(b.shape)}") from None
    onnx_op, fold = _BINARY.get(node.op, ("Add", np.add))
    if node.op == "Div":  # TensorFlow's Div rounds down for integers, divides for floats
        fold = np.floor_divide if a.dtype.kind in "iu" else np.divide
    if a.const is not None and b.const is not None:
        if math.prod(shape) > MAX_FOLDED_ELEMENTS:
            raise ConversionError(f"{node.op} node {node.name!r} makes a constant of shape {list(shape)}; too large")
        return [constant(fold(a.const, b.const).astype(a.dtype))]
    if onnx_op is None:
        raise ConversionError(f"{node.op} node {node.name!r} works on run-time values; only constants are supported")
    return [Value(shape, a.dtype, name=em.emit(onnx_op, [a, b], node.name)[0])]


@_op("MatMul")
def _matmul(em, node, x):
    a, b = x
    if len(a.shape) != 2 or len(b.shape) != 2:
        raise ConversionError(f"MatMul node {node.name!r} gets tensors of rank {len(a.shape)} and {len(b.shape)}")
    ins = []
    for v, flag in ((a, "transpose_a"), (b, "transpose_b")):
        if attr_of(node, flag, False):
            v = constant(v.const.T) if v.const is not None else Value(
                v.shape[::-1], v.dtype, name=em.emit("Transpose", [v], f"{node.name}/{flag}", perm=[1, 0])[0])
        ins.append(v)
    if ins[0].shape[1] != ins[1].shape[0]:
        raise ConversionError(f"MatMul node {node.name!r} multiplies {list(ins[0].shape)} by {list(ins[1].shape)}")
    return [Value((ins[0].shape[0], ins[1].shape[1]), a.dtype, name=em.emit("MatMul", ins, node.name)[0])]


@_op("Conv2D")
def _conv2d(em, node, x):
    inp, filt = x
    w = const_of(node, filt, "filter")  # HWIO
    if w.ndim != 4 or len(inp.shape) != 4 or w.shape[2] != inp.shape[3]:
        raise ConversionError(f"Conv2D node {node.name!r}: filter {list(w.shape)} does not fit input {list(inp.shape)}")
    strides, dilations, pads, (oh, ow) = _spatial(node, inp, w.shape[0], w.shape[1])
    conv = em.emit("Conv", [_nchw(em, inp, node.name), constant(np.ascontiguousarray(w.transpose(3, 2, 0, 1)))],
                   f"{node.name}/conv", kernel_shape=list(w.shape[:2]), strides=strides, dilations=dilations,
                   pads=pads)[0]  # fmt: skip
    out = em.emit("Transpose", [conv], node.name, perm=[0, 2, 3, 1])[0]
    return [Value((inp.shape[0], oh, ow, w.shape[3]), inp.dtype, name=out)]


@_op("MaxPool", "AvgPool")
def _pool(em, node, x):
    ksize = attr_of(node, "ksize", [1, 1, 1, 1])
    if len(ksize) != 4 or ksize[0] != 1 or ksize[3] != 1:
        raise ConversionError(f"{node.op} node {node.name!r} pools over the batch or channels")
    strides, _, pads, (oh, ow) = _spatial(node, x[0], ksize[1], ksize[2])
    attrs = {"count_include_pad": 0} if node.op == "AvgPool" else {}  # TensorFlow averages real pixels only
    pooled = em.emit("MaxPool" if node.op == "MaxPool" else "AveragePool", [_nchw(em, x[0], node.name)],
                     f"{node.name}/pool", kernel_shape=ksize[1:3], strides=strides, pads=pads, **attrs)[0]
    out = em.emit("Transpose", [pooled], node.name, perm=[0, 2, 3, 1])[0]
    return [Value((x[0].shape[0], oh, ow, x[0].shape[3]), x[0].dtype, name=out)]


@_op("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def _batch_norm(em, node, x):
    """Inference form only: y = x * scale / sqrt(var + eps) + (offset - mean * that)."""
    if attr_of(node, "is_training", True):  # TensorFlow's default
        raise ConversionError(f"{node.op} node {node.name!r} is in training mode; export the model for inference")
    if attr_of(node, "data_format", "NHWC") != "NHWC":
        raise ConversionError(f"{node.op} node {node.name!r} is not NHWC; DeepRacer networks are")
    scale, offset, mean, var = (const_of(node, v, "statistics").astype(np.float64) for v in x[1:5])
    a = scale / np.sqrt(var + float(attr_of(node, "epsilon", 1e-3)))
    b = offset - mean * a
    y = em.emit("Mul", [x[0], constant(a.astype(np.float32))], f"{node.name}/scale")[0]
    y = em.emit("Add", [y, constant(b.astype(np.float32))], node.name)[0]
    return [Value(x[0].shape, x[0].dtype, name=y)] + [DEAD] * 5  # the batch statistics are training outputs


@_op("Switch")
def _switch(em, node, x):
    """A `tf.cond` on a constant (DeepRacer's is_training, frozen False): take one branch."""
    pred = const_of(node, x[1], "condition")
    return [DEAD, x[0]] if bool(pred.reshape(-1)[0]) else [x[0], DEAD]


@_op("Merge")
def _merge(em, node, x):
    for k, v in enumerate(x):
        if v is not DEAD:
            return [v, constant(np.array(k, np.int32))]
    return [DEAD, DEAD]

