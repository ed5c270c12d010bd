"""TensorFlow's frozen-graph format (GraphDef) without TensorFlow.

A DeepRacer export holds its network as a serialized `tensorflow.GraphDef`. We only need
to read it, so rather than depend on TensorFlow (1.7 GB) or ship generated `*_pb2.py`
files (a protoc step), the message classes are built here at run time from a
FileDescriptorProto with the field numbers of tensorflow/core/framework/{graph, node_def,
attr_value, tensor, tensor_shape, versions}.proto. Fields we never read (function
libraries, resource handles, debug info) are left out: protobuf keeps them as unknown
fields, so a real graph still parses.

Also the way back (numpy -> TensorProto, attribute values), which the tests use to write
console-like graphs.
"""

from __future__ import annotations

import math

import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

_F = descriptor_pb2.FieldDescriptorProto
_OPTIONAL, _REPEATED = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
_SCALARS = {
    "int32": _F.TYPE_INT32, "int64": _F.TYPE_INT64, "float": _F.TYPE_FLOAT,
    "double": _F.TYPE_DOUBLE, "bool": _F.TYPE_BOOL, "string": _F.TYPE_STRING,
    "bytes": _F.TYPE_BYTES,
}  # fmt: skip

# (message, [(field, number, type, repeated, oneof)]), an outer message before the ones
# nested in it ("Outer.Inner"). A type that is not a scalar is a message of this file.
# `DataType` is an enum in TensorFlow; int32 has the same wire encoding (a varint) and
# needs no enum declaration.
_SCHEMA = [
    ("TensorShapeProto", [("dim", 2, "TensorShapeProto.Dim", True, None),
                          ("unknown_rank", 3, "bool", False, None)]),
    ("TensorShapeProto.Dim", [("size", 1, "int64", False, None), ("name", 2, "string", False, None)]),
    ("TensorProto", [
        ("dtype", 1, "int32", False, None), ("tensor_shape", 2, "TensorShapeProto", False, None),
        ("version_number", 3, "int32", False, None), ("tensor_content", 4, "bytes", False, None),
        ("float_val", 5, "float", True, None), ("double_val", 6, "double", True, None),
        ("int_val", 7, "int32", True, None), ("string_val", 8, "bytes", True, None),
        ("int64_val", 10, "int64", True, None), ("bool_val", 11, "bool", True, None),
        ("half_val", 13, "int32", True, None),
    ]),
    ("AttrValue", [
        ("list", 1, "AttrValue.ListValue", False, "value"), ("s", 2, "bytes", False, "value"),
        ("i", 3, "int64", False, "value"), ("f", 4, "float", False, "value"),
        ("b", 5, "bool", False, "value"), ("type", 6, "int32", False, "value"),
        ("shape", 7, "TensorShapeProto", False, "value"), ("tensor", 8, "TensorProto", False, "value"),
        ("placeholder", 9, "string", False, "value"),
    ]),
    ("AttrValue.ListValue", [
        ("s", 2, "bytes", True, None), ("i", 3, "int64", True, None), ("f", 4, "float", True, None),
        ("b", 5, "bool", True, None), ("type", 6, "int32", True, None),
        ("shape", 7, "TensorShapeProto", True, None), ("tensor", 8, "TensorProto", True, None),
    ]),
    ("NodeDef", [
        ("name", 1, "string", False, None), ("op", 2, "string", False, None),
        ("input", 3, "string", True, None), ("device", 4, "string", False, None),
        ("attr", 5, "NodeDef.AttrEntry", True, None),
    ]),
    ("NodeDef.AttrEntry", [("key", 1, "string", False, None), ("value", 2, "AttrValue", False, None)]),
    ("VersionDef", [("producer", 1, "int32", False, None), ("min_consumer", 2, "int32", False, None),
                    ("bad_consumers", 3, "int32", True, None)]),
    ("GraphDef", [("node", 1, "NodeDef", True, None), ("version", 3, "int32", False, None),
                  ("versions", 4, "VersionDef", False, None)]),
]


def _build_classes() -> dict:
    file = descriptor_pb2.FileDescriptorProto(
        name="simulator/deepracer/tensorflow_graph.proto", package="tensorflow", syntax="proto3"
    )
    protos = {}
    for full, fields in _SCHEMA:
        outer, _, inner = full.partition(".")
        if inner:
            msg = protos[outer].nested_type.add(name=inner)
        else:
            msg = file.message_type.add(name=outer)
        protos[full] = msg
        if full == "NodeDef.AttrEntry":
            msg.options.map_entry = True  # `map<string, AttrValue> attr = 5;`
        oneofs: dict[str, int] = {}
        for name, number, kind, repeated, oneof in fields:
            field = msg.field.add(name=name, number=number, label=_REPEATED if repeated else _OPTIONAL)
            if kind in _SCALARS:
                field.type = _SCALARS[kind]
            else:
                field.type, field.type_name = _F.TYPE_MESSAGE, f".tensorflow.{kind}"
            if oneof is not None:
                if oneof not in oneofs:
                    oneofs[oneof] = len(msg.oneof_decl)
                    msg.oneof_decl.add(name=oneof)
                field.oneof_index = oneofs[oneof]
    # A pool of our own: TensorFlow's real classes may live in the default pool.
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return {
        name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"tensorflow.{name}"))
        for name in ("GraphDef", "NodeDef", "AttrValue", "TensorProto", "TensorShapeProto")
    }


_CLASSES = _build_classes()
GraphDef = _CLASSES["GraphDef"]
NodeDef = _CLASSES["NodeDef"]
AttrValue = _CLASSES["AttrValue"]
TensorProto = _CLASSES["TensorProto"]
TensorShapeProto = _CLASSES["TensorShapeProto"]

# TensorFlow's DataType codes (types.proto) for the dtypes a policy network holds.
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_UINT8, DT_INT16, DT_INT8 = 1, 2, 3, 4, 5, 6
DT_INT64, DT_BOOL, DT_HALF = 9, 10, 19
NUMPY_DTYPES = {
    DT_FLOAT: np.dtype(np.float32), DT_DOUBLE: np.dtype(np.float64), DT_INT32: np.dtype(np.int32),
    DT_UINT8: np.dtype(np.uint8), DT_INT16: np.dtype(np.int16), DT_INT8: np.dtype(np.int8),
    DT_INT64: np.dtype(np.int64), DT_BOOL: np.dtype(np.bool_), DT_HALF: np.dtype(np.float16),
}  # fmt: skip
TF_DTYPES = {v: k for k, v in NUMPY_DTYPES.items()}


class GraphFormatError(ValueError):
    """The bytes are not a GraphDef we can read; the message says what is wrong."""


def parse_graph(data: bytes) -> GraphDef:
    graph = GraphDef()
    try:
        graph.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError):
        raise GraphFormatError("the frozen graph is not a TensorFlow GraphDef (it does not parse)") from None
    if not graph.node:
        raise GraphFormatError("the frozen graph has no nodes")
    return graph


def shape_of(proto: TensorShapeProto) -> tuple[int, ...] | None:
    """Dims with -1 for unknown ones; None for an unknown rank."""
    if proto.unknown_rank:
        return None
    return tuple(int(d.size) for d in proto.dim)


_VALUE_FIELDS = {
    DT_FLOAT: "float_val", DT_DOUBLE: "double_val", DT_INT32: "int_val", DT_UINT8: "int_val",
    DT_INT16: "int_val", DT_INT8: "int_val", DT_INT64: "int64_val", DT_BOOL: "bool_val",
    DT_HALF: "half_val",
}  # fmt: skip


def to_numpy(tensor: TensorProto, max_elements: int) -> np.ndarray:
    """The tensor's value; GraphFormatError for a type we do not use, a broken size, or
    more than `max_elements` elements (a 4-byte constant can declare any shape)."""
    dtype = NUMPY_DTYPES.get(tensor.dtype)
    if dtype is None:
        raise GraphFormatError(f"a constant has TensorFlow data type {tensor.dtype}, which a policy does not use")
    shape = shape_of(tensor.tensor_shape)
    if shape is None or any(d < 0 for d in shape):
        raise GraphFormatError("a constant has an unknown shape")
    count = math.prod(shape)
    if count > max_elements:
        raise GraphFormatError(f"a constant of shape {list(shape)} is larger than the model size limit")
    if tensor.tensor_content:
        if len(tensor.tensor_content) != count * dtype.itemsize:
            raise GraphFormatError(f"a constant of shape {list(shape)} holds the wrong number of bytes")
        # TensorFlow writes its tensors in the machine's order: little-endian on every
        # machine that trained a DeepRacer model.
        return np.frombuffer(tensor.tensor_content, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)
    values = getattr(tensor, _VALUE_FIELDS[tensor.dtype])
    if len(values) > count:
        raise GraphFormatError(f"a constant of shape {list(shape)} holds too many values")
    if tensor.dtype == DT_HALF:
        flat = np.array(values, dtype=np.uint16).view(np.float16)
    else:
        flat = np.array(values, dtype=dtype)
    if 0 < len(flat) < count:  # TensorFlow's rule: the last value fills the rest
        flat = np.concatenate([flat, np.full(count - len(flat), flat[-1], dtype=dtype)])
    elif len(flat) == 0:
        flat = np.zeros(count, dtype=dtype)
    return flat.reshape(shape)


# --- writing (the tests build console-like graphs with these) ---------------------------------


def from_numpy(value) -> TensorProto:
    arr = np.asarray(value)
    if arr.dtype not in TF_DTYPES:
        arr = arr.astype(np.float32 if arr.dtype.kind == "f" else np.int32)
    t = TensorProto(dtype=TF_DTYPES[arr.dtype])
    t.tensor_shape.dim.extend(TensorShapeProto.Dim(size=d) for d in arr.shape)
    t.tensor_content = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    return t


def attr(value) -> AttrValue:
    """An AttrValue from a Python value: bool, int, float, str/bytes, np.dtype (a type),
    a shape as ("shape", dims), a numpy array (a tensor), or a list of ints/floats/strings."""
    if isinstance(value, AttrValue):
        return value
    if isinstance(value, bool):
        return AttrValue(b=value)
    if isinstance(value, int):
        return AttrValue(i=value)
    if isinstance(value, float):
        return AttrValue(f=value)
    if isinstance(value, str):
        return AttrValue(s=value.encode())
    if isinstance(value, bytes):
        return AttrValue(s=value)
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return AttrValue(type=TF_DTYPES[np.dtype(value)])
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "shape":
        shape = TensorShapeProto()
        shape.dim.extend(TensorShapeProto.Dim(size=d) for d in value[1])
        return AttrValue(shape=shape)
    if isinstance(value, np.ndarray):
        return AttrValue(tensor=from_numpy(value))
    if isinstance(value, list):
        lv = AttrValue.ListValue()
        if all(isinstance(v, int) for v in value):
            lv.i.extend(value)
        elif all(isinstance(v, float) for v in value):
            lv.f.extend(value)
        else:
            lv.s.extend(v.encode() if isinstance(v, str) else v for v in value)
        return AttrValue(list=lv)
    raise TypeError(f"no AttrValue for {value!r}")


def node(name: str, op: str, inputs=(), **attrs) -> NodeDef:
    n = NodeDef(name=name, op=op)
    n.input.extend(inputs)
    for key, value in attrs.items():
        n.attr[key].CopyFrom(attr(value))
    return n
