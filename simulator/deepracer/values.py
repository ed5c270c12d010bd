"""What a TensorFlow tensor becomes while a graph is converted, and the ONNX graph being written.

Every tensor of the graph becomes a `Value` with its static shape for a batch of one
(the simulator feeds one frame per step): either a constant known now (weights, and
everything computed from constants and shapes, such as Keras' Flatten, which builds its
target shape from `Shape`, `StridedSlice` and `Pack` at run time in TensorFlow) or an
ONNX tensor. Shape arithmetic is folded with numpy, so the ONNX graph holds only the
network's own computation, in the same order and float32 arithmetic as TensorFlow's.

The operations themselves are in `layers.py` (the network's arithmetic) and `shapes.py`
(reshaping, slicing, joining); each registers its handlers in its own `EMIT` table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from onnx import helper, numpy_helper

from .graphdef import NodeDef

# A constant computed while converting (two broadcast constants, say) may not grow past
# this: a graph of a few bytes must not make the converter allocate gigabytes.
MAX_FOLDED_ELEMENTS = 1 << 24


class ConversionError(ValueError):
    """The graph cannot be converted; the message names the node or operation."""


@dataclass(eq=False)
class Value:
    shape: tuple[int, ...]
    dtype: np.dtype
    const: np.ndarray | None = None  # known at conversion time
    name: str | None = None  # the ONNX tensor otherwise
    initializer: str | None = None  # a constant's ONNX name, once a node reads it


DEAD = Value((), np.dtype(np.bool_))  # the output of a Switch branch that is not taken


def constant(array) -> Value:
    a = np.asarray(array)
    return Value(tuple(a.shape), a.dtype, const=a)


class Emitter:
    """The ONNX graph being written: nodes, initializers and unique names."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.initializers: list = []
        self._names: set[str] = set()

    def fresh(self, base: str) -> str:
        name, k = base, 1
        while name in self._names:
            k += 1
            name = f"{base}_{k}"
        self._names.add(name)
        return name

    def tensor(self, value: Value) -> str:
        """The ONNX name of a value; a constant becomes an initializer (once)."""
        if value.const is None:
            return value.name
        if value.initializer is None:
            value.initializer = self.fresh("const")
            self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value.const), value.initializer))
        return value.initializer

    def emit(self, op_type: str, inputs: list, base: str, outputs: int = 1, **attrs) -> list[str]:
        names = [i if isinstance(i, str) else self.tensor(i) for i in inputs]
        outs = [self.fresh(f"{base}:{k}" if outputs > 1 else base) for k in range(outputs)]
        self.nodes.append(helper.make_node(op_type, names, outs, name=self.fresh(f"node/{base}"), **attrs))
        return outs


# --- attributes and constant inputs -----------------------------------------------------------


def attr_of(node: NodeDef, key: str, default=None):
    """An attribute as a Python value (str, int, float, bool, list), or `default`."""
    if key not in node.attr:
        return default
    a = node.attr[key]
    kind = a.WhichOneof("value")
    if kind == "list":
        return list(a.list.i) or [s.decode() for s in a.list.s] or list(a.list.f)
    if kind == "s":
        return a.s.decode("utf-8", "replace")
    return getattr(a, kind) if kind else default


def const_of(node: NodeDef, value: Value, what: str) -> np.ndarray:
    """An input that must be known at conversion time (a filter, a shape, an axis)."""
    if value.const is None:
        raise ConversionError(f"{node.op} node {node.name!r} computes its {what} at run time; only constants are supported")
    return value.const


def int64_const(values) -> Value:
    return constant(np.asarray(values, dtype=np.int64).reshape(-1))


def axes_of(node: NodeDef, rank: int, axes) -> list[int]:
    """Axes as sorted non-negative ints, checked against the rank."""
    out = sorted({int(a) + rank if int(a) < 0 else int(a) for a in np.asarray(axes).reshape(-1)})
    if any(not 0 <= a < rank for a in out):
        raise ConversionError(f"{node.op} node {node.name!r} has an axis outside its rank {rank}")
    return out


# --- handlers: (emitter, node, inputs) -> one Value per output ---------------------------------

Handler = Callable[[Emitter, NodeDef, list], list]


def handler_table() -> tuple[dict[str, Handler], Callable]:
    """A module's table of handlers, and the decorator that files one under TensorFlow op names."""
    table: dict[str, Handler] = {}

    def op(*names: str):
        def register(fn: Handler) -> Handler:
            for n in names:
                table[n] = fn
            return fn

        return register

    return table, op
