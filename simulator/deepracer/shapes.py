"""Reshaping, slicing and joining tensors as ONNX nodes, or folded into constants when
their inputs are known (the shape arithmetic around Keras' Flatten always is)."""

from __future__ import annotations

import math

import numpy as np
from onnx import helper

from .graphdef import NUMPY_DTYPES, NodeDef
from .values import (
    ConversionError,
    Value,
    attr_of,
    axes_of,
    const_of,
    constant,
    handler_table,
    int64_const,
)

EMIT, _op = handler_table()
_INT64_MIN = np.iinfo(np.int64).min


def _static_shape(node: NodeDef, v: Value, target: np.ndarray) -> tuple[int, ...]:
    """Reshape's target with its -1 resolved, checked against the element count."""
    dims = [int(d) for d in target.reshape(-1)]
    size = math.prod(v.shape)
    if dims.count(-1) == 1:
        known = math.prod(d for d in dims if d != -1)
        dims[dims.index(-1)] = size // known if known else 0
    if math.prod(dims) != size or any(d < 1 for d in dims):
        raise ConversionError(f"Reshape node {node.name!r} cannot make {list(v.shape)} into {target.tolist()}")
    return tuple(dims)



@_op("Reshape")
def _reshape(em, node, x):
    shape = _static_shape(node, x[0], const_of(node, x[1], "target shape"))
    if x[0].const is not None:
        return [constant(x[0].const.reshape(shape))]
    return [Value(shape, x[0].dtype, name=em.emit("Reshape", [x[0], int64_const(shape)], node.name)[0])]



@_op("Squeeze")
def _squeeze(em, node, x):
    v = x[0]
    # Without axes, every dimension of 1 goes: with a batch of one that is what TensorFlow
    # does at run time too.
    axes = axes_of(node, len(v.shape), attr_of(node, "squeeze_dims", None) or attr_of(node, "axis", None)
                 or [k for k, d in enumerate(v.shape) if d == 1])  # fmt: skip
    if any(v.shape[a] != 1 for a in axes):
        raise ConversionError(f"Squeeze node {node.name!r} squeezes a dimension that is not 1")
    shape = tuple(d for k, d in enumerate(v.shape) if k not in axes)
    if v.const is not None:
        return [constant(v.const.reshape(shape))]
    return [Value(shape, v.dtype, name=em.emit("Squeeze", [v, int64_const(axes)], node.name)[0])]


@_op("ExpandDims")
def _expand_dims(em, node, x):
    v = x[0]
    axis = axes_of(node, len(v.shape) + 1, const_of(node, x[1], "axis"))
    shape = list(v.shape)
    shape.insert(axis[0], 1)
    if v.const is not None:
        return [constant(v.const.reshape(shape))]
    return [Value(tuple(shape), v.dtype, name=em.emit("Unsqueeze", [v, int64_const(axis)], node.name)[0])]


def _concat(em, node, parts: list, axis_value) -> list:
    rank = len(parts[0].shape)
    axis = axes_of(node, rank, axis_value)[0]
    if any(len(p.shape) != rank or p.shape[:axis] + p.shape[axis + 1:] != parts[0].shape[:axis] + parts[0].shape[axis + 1:]
           for p in parts):  # fmt: skip
        raise ConversionError(f"{node.op} node {node.name!r} joins tensors of different shapes")
    if all(p.const is not None for p in parts):
        return [constant(np.concatenate([p.const for p in parts], axis=axis))]
    shape = list(parts[0].shape)
    shape[axis] = sum(p.shape[axis] for p in parts)
    return [Value(tuple(shape), parts[0].dtype, name=em.emit("Concat", parts, node.name, axis=axis)[0])]


@_op("ConcatV2")
def _concat_v2(em, node, x):
    return _concat(em, node, x[:-1], const_of(node, x[-1], "axis"))


@_op("Pack")
def _pack(em, node, x):
    axis = axes_of(node, len(x[0].shape) + 1, attr_of(node, "axis", 0))
    expanded = [constant(np.expand_dims(v.const, axis[0])) if v.const is not None else Value(
        v.shape[: axis[0]] + (1,) + v.shape[axis[0]:], v.dtype,
        name=em.emit("Unsqueeze", [v, int64_const(axis)], f"{node.name}/unsqueeze")[0]) for v in x]  # fmt: skip
    return _concat(em, node, expanded, axis)


@_op("Shape")
def _shape(em, node, x):
    return [constant(np.array(x[0].shape, dtype=NUMPY_DTYPES.get(attr_of(node, "out_type", 3), np.int32)))]


@_op("Cast")
def _cast(em, node, x):
    dtype = NUMPY_DTYPES.get(attr_of(node, "DstT", 1))
    if dtype is None:
        raise ConversionError(f"Cast node {node.name!r} casts to a type a policy does not use")
    if x[0].const is not None:
        return [constant(x[0].const.astype(dtype))]
    to = helper.np_dtype_to_tensor_dtype(dtype)
    return [Value(x[0].shape, dtype, name=em.emit("Cast", [x[0]], node.name, to=to)[0])]


_REDUCE = {"Mean": ("ReduceMean", np.mean), "Sum": ("ReduceSum", np.sum), "Max": ("ReduceMax", np.max),
           "Min": ("ReduceMin", np.min), "Prod": ("ReduceProd", np.prod)}  # fmt: skip


@_op(*_REDUCE)
def _reduce(em, node, x):
    v = x[0]
    axes = axes_of(node, len(v.shape), const_of(node, x[1], "axes"))
    keep = bool(attr_of(node, "keep_dims", False))
    onnx_op, fold = _REDUCE[node.op]
    if v.const is not None:
        return [constant(np.asarray(fold(v.const, axis=tuple(axes), keepdims=keep)).astype(v.dtype))]
    shape = tuple(1 if k in axes else d for k, d in enumerate(v.shape) if keep or k not in axes)
    if onnx_op == "ReduceSum":  # opset 13 moved ReduceSum's axes to an input, the others in 18
        out = em.emit(onnx_op, [v, int64_const(axes)], node.name, keepdims=int(keep))[0]
    else:
        out = em.emit(onnx_op, [v], node.name, axes=axes, keepdims=int(keep))[0]
    return [Value(shape, v.dtype, name=out)]


@_op("Split")
def _split(em, node, x):
    v = x[1]
    axis = axes_of(node, len(v.shape), const_of(node, x[0], "axis"))[0]
    n = int(attr_of(node, "num_split", 1))
    if n < 1 or v.shape[axis] % n:
        raise ConversionError(f"Split node {node.name!r} cannot cut {v.shape[axis]} into {n} equal parts")
    if v.const is not None:
        return [constant(p) for p in np.split(v.const, n, axis=axis)]
    shape = v.shape[:axis] + (v.shape[axis] // n,) + v.shape[axis + 1:]
    outs = em.emit("Split", [v, int64_const([shape[axis]] * n)], node.name, outputs=n, axis=axis)
    return [Value(shape, v.dtype, name=o) for o in outs]


@_op("Transpose")
def _transpose(em, node, x):
    perm = [int(p) for p in const_of(node, x[1], "permutation").reshape(-1)]
    if sorted(perm) != list(range(len(x[0].shape))):
        raise ConversionError(f"Transpose node {node.name!r} has an invalid permutation")
    if x[0].const is not None:
        return [constant(np.transpose(x[0].const, perm))]
    shape = tuple(x[0].shape[p] for p in perm)
    return [Value(shape, x[0].dtype, name=em.emit("Transpose", [x[0]], node.name, perm=perm)[0])]


def _strided_index(node: NodeDef, begin, end, strides) -> tuple:
    """StridedSlice's masks as a numpy index: TensorFlow's semantics are numpy's."""
    index = []
    for k in range(len(begin)):
        bit = 1 << k
        if attr_of(node, "ellipsis_mask", 0) & bit:
            index.append(Ellipsis)
        elif attr_of(node, "new_axis_mask", 0) & bit:
            index.append(None)
        elif attr_of(node, "shrink_axis_mask", 0) & bit:
            index.append(int(begin[k]))
        else:
            if strides[k] == 0:
                raise ConversionError(f"StridedSlice node {node.name!r} has a stride of 0")
            index.append(slice(None if attr_of(node, "begin_mask", 0) & bit else int(begin[k]),
                               None if attr_of(node, "end_mask", 0) & bit else int(end[k]), int(strides[k])))
    return tuple(index)


@_op("StridedSlice")
def _strided_slice(em, node, x):
    v = x[0]
    begin, end, strides = (const_of(node, t, "bounds").reshape(-1) for t in x[1:4])
    index = _strided_index(node, begin, end, strides)
    try:  # the result's shape, from a view of zero bytes
        shape = np.broadcast_to(np.zeros((), np.int8), v.shape)[index].shape
    except IndexError as exc:
        raise ConversionError(f"StridedSlice node {node.name!r}: {exc}") from None
    if v.const is not None:
        return [constant(np.array(v.const[index]))]
    explicit = sum(1 for e in index if e is not None and e is not Ellipsis)
    full = [slice(None)] * (len(v.shape) - explicit)
    items = [e for i in index for e in (full if i is Ellipsis else [i])]
    items += [] if any(i is Ellipsis for i in index) else full
    starts, ends, axes, steps, shrink, new, axis, out_pos = [], [], [], [], [], [], 0, 0
    for item in items:
        if item is None:
            new.append(out_pos)
            out_pos += 1
            continue
        dim = v.shape[axis]
        if isinstance(item, int):
            i = item + dim if item < 0 else item
            starts.append(i), ends.append(i + 1), axes.append(axis), steps.append(1), shrink.append(axis)
        else:
            start, stop, step = item.indices(dim)
            if (start, stop, step) != (0, dim, 1):
                starts.append(start), axes.append(axis), steps.append(step)
                ends.append(stop if stop >= 0 or step > 0 else _INT64_MIN)
            out_pos += 1
        axis += 1
    name = em.tensor(v)
    if axes:
        name = em.emit("Slice", [name, int64_const(starts), int64_const(ends), int64_const(axes), int64_const(steps)], f"{node.name}/slice")[0]
    if shrink:
        name = em.emit("Squeeze", [name, int64_const(shrink)], f"{node.name}/shrink")[0]
    if new:
        name = em.emit("Unsqueeze", [name, int64_const(new)], f"{node.name}/new_axis")[0]
    if name == em.tensor(v):
        name = em.emit("Identity", [name], node.name)[0]
    return [Value(tuple(shape), v.dtype, name=name)]
