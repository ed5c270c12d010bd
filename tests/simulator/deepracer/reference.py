"""What TensorFlow would compute for a frozen graph, written out plainly in numpy (float64).

The parity tests compare the converted ONNX model with this, so it shares nothing with
the converter: its own tensor decoding, convolution by explicit window sums, pooling by
explicit windows, and TensorFlow's padding rule written from its documentation.
"""

from __future__ import annotations

import math

import numpy as np

_DTYPES = {1: np.float32, 2: np.float64, 3: np.int32, 4: np.uint8, 9: np.int64, 10: np.bool_}


def _tensor(t) -> np.ndarray:
    dims = [d.size for d in t.tensor_shape.dim]
    dtype = np.dtype(_DTYPES[t.dtype])
    if t.tensor_content:
        return np.frombuffer(t.tensor_content, dtype=dtype).reshape(dims).copy()
    vals = {1: t.float_val, 2: t.double_val, 3: t.int_val, 9: t.int64_val, 10: t.bool_val}[t.dtype]
    out = np.empty(int(np.prod(dims)), dtype=dtype)
    out[:] = vals[-1] if vals else 0
    out[: len(vals)] = vals
    return out.reshape(dims)


def _pads(size: int, k: int, s: int, padding: str) -> tuple[int, int, int]:
    """(pad before, pad after, output size) in one spatial dimension."""
    if padding == "VALID":
        return 0, 0, (size - k) // s + 1
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2, out


def _windows(x: np.ndarray, kh: int, kw: int, strides, padding: str, fill: float):
    """Yields (dy, dx, x[:, windows at offset dy, dx, :]) for an NHWC input."""
    th, bh, oh = _pads(x.shape[1], kh, strides[1], padding)
    tw, bw, ow = _pads(x.shape[2], kw, strides[2], padding)
    xp = np.pad(x, ((0, 0), (th, bh), (tw, bw), (0, 0)), constant_values=fill)
    for dy in range(kh):
        for dx in range(kw):
            yield dy, dx, xp[:, dy: dy + strides[1] * (oh - 1) + 1: strides[1], dx: dx + strides[2] * (ow - 1) + 1: strides[2], :]


def _conv(x, w, strides, padding):
    out = None
    for dy, dx, patch in _windows(x, w.shape[0], w.shape[1], strides, padding, 0.0):
        term = np.einsum("nhwc,co->nhwo", patch, w[dy, dx])
        out = term if out is None else out + term
    return out


def _max_pool(x, ksize, strides, padding):
    out = None
    for _, _, patch in _windows(x, ksize[1], ksize[2], strides, padding, -np.inf):
        out = patch if out is None else np.maximum(out, patch)
    return out


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _strided_slice(node, x, begin, end, strides):
    mask = {k: node.attr[k].i for k in ("begin_mask", "end_mask", "shrink_axis_mask", "ellipsis_mask")}
    index = []
    for k in range(len(begin)):
        if mask["ellipsis_mask"] >> k & 1:
            index.append(Ellipsis)
        elif mask["shrink_axis_mask"] >> k & 1:
            index.append(int(begin[k]))
        else:
            index.append(slice(None if mask["begin_mask"] >> k & 1 else begin[k],
                               None if mask["end_mask"] >> k & 1 else end[k], strides[k]))  # fmt: skip
    return np.array(x[tuple(index)])


def evaluate(graph, feeds: dict[str, np.ndarray], output: str) -> np.ndarray:
    """The value of node `output` (port 0) with the placeholders fed."""
    nodes = {n.name: n for n in graph.node}
    memo: dict[str, list] = {}
    dead = object()

    def value(ref: str):
        name, _, port = ref.partition(":")
        if name not in memo:
            memo[name] = run(nodes[name])
        outs = memo[name]
        return outs[int(port or 0)] if outs is not dead else dead

    def run(node):
        ins = [value(r) for r in node.input if not r.startswith("^")]
        op, a = node.op, node.attr
        if op != "Merge" and any(i is dead for i in ins):
            return dead
        f64 = [i.astype(np.float64) if isinstance(i, np.ndarray) and i.dtype == np.float32 else i for i in ins]
        simple = {
            "Identity": lambda: ins[0], "StopGradient": lambda: ins[0],
            "Relu": lambda: np.maximum(f64[0], 0), "Tanh": lambda: np.tanh(f64[0]),
            "Sigmoid": lambda: 1 / (1 + np.exp(-f64[0])), "Exp": lambda: np.exp(f64[0]),
            "Log": lambda: np.log(f64[0]), "Softmax": lambda: _softmax(f64[0]),
            "Add": lambda: f64[0] + f64[1], "AddV2": lambda: f64[0] + f64[1], "BiasAdd": lambda: f64[0] + f64[1],
            "Sub": lambda: f64[0] - f64[1], "Mul": lambda: f64[0] * f64[1], "RealDiv": lambda: f64[0] / f64[1],
            "Maximum": lambda: np.maximum(f64[0], f64[1]), "Minimum": lambda: np.minimum(f64[0], f64[1]),
            "MatMul": lambda: f64[0] @ f64[1],
            "Reshape": lambda: ins[0].reshape([int(d) for d in ins[1]]),
            "Shape": lambda: np.array(ins[0].shape, np.int32),
            "Pack": lambda: np.stack(ins, axis=a["axis"].i),
            "ConcatV2": lambda: np.concatenate(f64[:-1], axis=int(ins[-1])),
            "Squeeze": lambda: np.squeeze(ins[0], axis=tuple(a["squeeze_dims"].list.i) or None),
            "ExpandDims": lambda: np.expand_dims(ins[0], int(ins[1])),
            "Mean": lambda: f64[0].mean(axis=tuple(np.atleast_1d(ins[1])), keepdims=a["keep_dims"].b),
            "Split": lambda: np.split(ins[1], a["num_split"].i, axis=int(ins[0])),
        }
        if op == "Const":
            return [_tensor(a["value"].tensor)]
        if op == "Placeholder":
            return [feeds[node.name].astype(np.float64)]
        if op in simple:
            out = simple[op]()
            return out if isinstance(out, list) else [out]
        if op == "Conv2D":
            padding = a["padding"].s.decode()
            return [_conv(f64[0], f64[1], list(a["strides"].list.i), padding)]
        if op == "MaxPool":
            return [_max_pool(f64[0], list(a["ksize"].list.i), list(a["strides"].list.i), a["padding"].s.decode())]
        if op == "StridedSlice":
            return [_strided_slice(node, ins[0], *ins[1:4])]
        if op == "FusedBatchNormV3":
            x, scale, offset, mean, var = f64
            return [(x - mean) / np.sqrt(var + a["epsilon"].f) * scale + offset]
        if op == "Switch":
            return [dead, ins[0]] if bool(ins[1]) else [ins[0], dead]
        if op == "Merge":
            k = next(k for k, i in enumerate(ins) if i is not dead)
            return [ins[k], np.int32(k)]
        raise NotImplementedError(op)

    result = value(output)
    assert result is not dead and math.prod(result.shape) > 0
    return result
