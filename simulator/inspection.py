"""Static checks of an uploaded ONNX file against its metadata, before anything runs it.

An uploaded model is hostile until proven otherwise: a size cap, `onnx.checker`, only the
standard operator domains, no external data references anywhere a tensor can live, and
declared inputs and output that match the metadata's sensors and actions. Warnings (in
`ModelInfo.warnings`) for what passes but would not race as meant: the pixel-scale trap.

`onnx` is imported inside `inspect_model`: the league's web process imports the simulator
(metadata checks, tracks, replays) and never inspects a model itself, so it does not load
onnx (about 15 MB).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from . import layout as L
from .formatting import format_size
from .metadata import ModelError, ModelMetadata
from .params import DEFAULT_MAX_MODEL_BYTES, CameraParams, LidarParams

ALLOWED_DOMAINS = ("", "ai.onnx", "ai.onnx.ml")

# What a file that is not ONNX should have been, and how to find out before uploading.
NOT_ONNX_FIX = (
    "Expected the policy exported to ONNX (torch.onnx.export, or tf2onnx for TensorFlow); "
    "a DeepRacer console export (.tar.gz) is converted by `python -m simulator import`. "
    "Run `python -m simulator check model.onnx` on your machine to check the file before uploading it."
)


@dataclass(frozen=True)
class InputSpec:
    name: str
    sensor: str
    shape: tuple[int, ...]  # the concrete shape we feed
    dtype: str  # "float32" | "uint8"
    layout: str = ""  # "NHWC" | "NCHW" for the camera


@dataclass(frozen=True)
class ModelInfo:
    sha256: str
    size_bytes: int
    sensors: tuple[str, ...]
    action_space_type: str
    n_actions: int
    inputs: tuple[InputSpec, ...]
    output_name: str
    trial_inference_ms: float = 0.0
    # Things that pass the checks but probably do not race as the author expects.
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "sensors": list(self.sensors),
            "action_space_type": self.action_space_type,
            "n_actions": self.n_actions,
            "inputs": [
                {"name": i.name, "sensor": i.sensor, "shape": list(i.shape), "dtype": i.dtype, "layout": i.layout}
                for i in self.inputs
            ],
            "output": self.output_name,
            "trial_inference_ms": round(self.trial_inference_ms, 3),
            "warnings": list(self.warnings),
        }


_ONNX_DTYPES = {1: "float32", 2: "uint8", 10: "float16", 11: "float64"}
# Element types an action output may have: numbers numpy can hold (no strings, no bools).
_NUMERIC_OUTPUT_TYPES = {1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13}


def _dims(value_info) -> list:
    t = value_info.type.tensor_type
    if not t.HasField("shape"):
        return []
    return [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]


def _shape_str(dims: list) -> str:
    return "[" + ",".join("?" if d is None else str(d) for d in dims) + "]"


def _match(dims: list, expected: tuple[int, ...]) -> bool:
    """Declared dims match; a symbolic batch dimension (first) is accepted as 1."""
    if len(dims) != len(expected):
        return False
    return all(d == e or (d is None and k == 0) for k, (d, e) in enumerate(zip(dims, expected)))


def _input_spec(name: str, sensor: str, dims: list, dtype: str, cam: CameraParams, lidar: LidarParams) -> InputSpec:
    if sensor in L.CAMERA_SENSORS:
        # One grey channel, or two for the stereo pair (left, right).
        h, w = cam.height_px, cam.width_px
        c = 2 if sensor == "STEREO_CAMERAS" else 1
        if dtype not in ("float32", "uint8"):
            raise ModelError("onnx", f"camera input {name!r} is {dtype}; declare it float32 (0..1) or uint8 (0..255)")
        if _match(dims, (1, h, w, c)):
            return InputSpec(name, sensor, (1, h, w, c), dtype, "NHWC")
        if _match(dims, (1, c, h, w)):
            return InputSpec(name, sensor, (1, c, h, w), dtype, "NCHW")
        raise ModelError("onnx", f"camera input {name!r} has shape {_shape_str(dims)}; expected "
                                 + _expected_shape(sensor, cam, lidar))  # fmt: skip
    size = L.STATE_SIZE if sensor == "STATE" else lidar.beams
    if dtype != "float32":
        raise ModelError("onnx", f"{sensor} input {name!r} is {dtype}; declare it float32")
    if not _match(dims, (1, size)):
        raise ModelError(
            "onnx", f"{sensor} input {name!r} has shape {_shape_str(dims)}; expected {_expected_shape(sensor, cam, lidar)}"
        )
    return InputSpec(name, sensor, (1, size), "float32")


def _expected_shape(sensor: str, cam: CameraParams, lidar: LidarParams) -> str:
    """The input shape a sensor's model declares, in words."""
    if sensor in L.CAMERA_SENSORS:
        h, w = cam.height_px, cam.width_px
        c = 2 if sensor == "STEREO_CAMERAS" else 1
        what = f"two grayscale {w}x{h} images (left, right)" if c == 2 else f"a grayscale {w}x{h} image"
        return f"[1,{h},{w},{c}] (NHWC) or [1,{c},{h},{w}] (NCHW) for {what}"
    return f"[1,{L.STATE_SIZE if sensor == 'STATE' else lidar.beams}]"


def _sensor_of_shape(dims: list, cam: CameraParams, lidar: LidarParams) -> tuple[str, str] | None:
    """(sensor, what the input holds) for an input shaped as one sensor's, else None."""
    h, w = cam.height_px, cam.width_px
    fits = [
        ("STATE", (1, L.STATE_SIZE), f"STATE's {L.STATE_SIZE} values"),
        ("LIDAR", (1, lidar.beams), f"LIDAR's {lidar.beams} ranges"),
        *[("FRONT_FACING_CAMERA", shape, f"a {w}x{h} grayscale camera image (FRONT_FACING_CAMERA)")
          for shape in ((1, h, w, 1), (1, 1, h, w))],
        *[("STEREO_CAMERAS", shape, f"two {w}x{h} grayscale camera images (STEREO_CAMERAS)")
          for shape in ((1, h, w, 2), (1, 2, h, w))],
    ]  # fmt: skip
    return next(((sensor, what) for sensor, shape, what in fits if _match(dims, shape)), None)


def _refuse_other_sensor(dims: list, sensor: str, cam: CameraParams, lidar: LidarParams) -> None:
    """A one-input model shaped for another sensor than the metadata names: usually the
    metadata's `sensor` is the mistake (copied from another model), so say so there."""
    fit = _sensor_of_shape(dims, cam, lidar)
    if fit is None or fit[0] == sensor:
        return
    other, what = fit
    raise ModelError(
        "metadata",
        f'the metadata names {sensor} while the model takes {what}: fix "sensor" in model_metadata.json '
        f'(["{other}"]), or export the model for {sensor}: {_expected_shape(sensor, cam, lidar)}',
    )


def _refuse_external_data(onnx, graph) -> None:
    """Every place a tensor can live: onnxruntime would read an external reference from
    the worker's disk. Operators outside the standard domains are refused on the way."""

    def external(t) -> bool:
        return t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data) > 0

    def refuse(where: str) -> None:
        raise ModelError("onnx", f"{where} refers to external data; save the model as a single file")

    for init in graph.initializer:
        if external(init):
            refuse(f"tensor {init.name!r}")
    for sparse in graph.sparse_initializer:
        if external(sparse.values) or external(sparse.indices):
            refuse(f"sparse tensor {sparse.values.name!r}")
    for node in graph.node:
        if node.domain not in ALLOWED_DOMAINS:
            raise ModelError(
                "onnx",
                f"operator {node.op_type!r} in domain {node.domain!r} is not allowed; "
                "only the standard ONNX operators are",
            )
        for attr in node.attribute:
            tensors = ([attr.t] if attr.HasField("t") else []) + list(attr.tensors)
            sparse = ([attr.sparse_tensor] if attr.HasField("sparse_tensor") else []) + list(attr.sparse_tensors)
            if any(external(t) for t in tensors) or any(external(t.values) or external(t.indices) for t in sparse):
                refuse(f"node {node.name or node.op_type!r}")
            if attr.HasField("g"):
                _refuse_external_data(onnx, attr.g)
            for g in attr.graphs:
                _refuse_external_data(onnx, g)


def _load(onnx_bytes: bytes, max_model_bytes: int):
    """The parsed model, once its size, structure, domains and the ONNX checker allow it."""
    import onnx  # lazy: see the module docstring
    from google.protobuf.message import DecodeError

    if not onnx_bytes:
        raise ModelError("onnx", "the model file is empty")
    if len(onnx_bytes) > max_model_bytes:
        raise ModelError(
            "onnx", f"the model file is larger than the {format_size(max_model_bytes)} limit "
            f"({len(onnx_bytes):,} bytes)"
        )
    try:
        model = onnx.load_model_from_string(onnx_bytes)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise ModelError("onnx", f"the file is not an ONNX model ({type(exc).__name__}). {NOT_ONNX_FIX}") from None
    if not model.HasField("graph") or not model.graph.node:
        raise ModelError("onnx", f"the file is not an ONNX model (no graph). {NOT_ONNX_FIX}")
    for opset in model.opset_import:
        if opset.domain not in ALLOWED_DOMAINS:
            raise ModelError(
                "onnx",
                f"operator domain {opset.domain!r} is not allowed; only the standard ONNX operators are",
            )
    if len(model.functions):
        raise ModelError("onnx", "model-local functions are not allowed; export with the standard operators")
    _refuse_external_data(onnx, model.graph)
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as exc:
        first = str(exc).strip().splitlines()[0][:300]
        raise ModelError("onnx", f"the ONNX checker refused the model: {first}") from None
    return onnx, model


def _input_sensors(model, sensors: tuple[str, ...]) -> list[tuple[Any, str]]:
    """(graph input, the sensor it reads) pairs: one input gets the one sensor, several are
    named after theirs."""
    init_names = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in init_names]
    if not inputs:
        raise ModelError("onnx", "the model has no inputs")
    if len(inputs) == 1:
        if len(sensors) != 1:
            raise ModelError(
                "onnx",
                f"the model has one input but the metadata lists {len(sensors)} sensors; "
                "name each input after its sensor (camera, lidar, state)",
            )
        return [(inputs[0], sensors[0])]
    if all(c in sensors for c in L.CAMERA_SENSORS):
        raise ModelError("metadata", f"a model has one camera: list {' or '.join(L.CAMERA_SENSORS)}, not both")
    # Input name -> sensor; `camera` is whichever camera the metadata lists.
    by_name: dict[str, str] = {}
    for sensor, name in L.INPUT_NAMES.items():
        if sensor in sensors or name not in by_name:
            by_name[name] = sensor
    pairs = []
    for vi in inputs:
        sensor = by_name.get(vi.name.lower())
        if sensor is None:
            raise ModelError(
                "onnx",
                f"input {vi.name!r} is not named after a sensor; with several inputs name "
                "them camera, lidar and state",
            )
        pairs.append((vi, sensor))
    named = sorted(s for _, s in pairs)
    if named != sorted(sensors):
        raise ModelError(
            "onnx",
            f"the model's inputs are for {', '.join(named)} but the metadata lists {', '.join(sensors)}",
        )
    return pairs


def _check_output(onnx, out, metadata: ModelMetadata) -> int:
    """The first output holds the action values; returns how many."""
    out_elem = out.type.tensor_type.elem_type if out.type.HasField("tensor_type") else 0
    if out_elem not in _NUMERIC_OUTPUT_TYPES:
        kind = onnx.TensorProto.DataType.Name(out_elem).lower() if out.type.HasField("tensor_type") else "not a tensor"
        raise ModelError(
            "onnx", f"the first output {out.name!r} is {kind}; it must be a float32 tensor of action values"
        )
    out_dims = _dims(out)
    discrete = metadata.action_space_type == "discrete"
    n_actions = len(metadata.actions) if discrete else 2
    if out_dims and not (len(out_dims) == 2 and out_dims[0] in (1, None) and out_dims[1] in (n_actions, None)):
        what = f"{n_actions} scores, one per action in the metadata" if discrete else "2 values (steering, speed) in [-1, 1]"
        raise ModelError(
            "onnx", f"the first output {out.name!r} has shape {_shape_str(out_dims)}; expected [1,{n_actions}]: {what}"
        )
    return n_actions


# Ops that hand the camera on unchanged in value, between the input and a rescaling.
_PIXEL_PASS_THROUGH = {"Identity", "Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten", "Cast"}


def _pixel_scale_warnings(onnx, model, specs: list[InputSpec]) -> tuple[str, ...]:
    """The pixel-scale trap: a float32 camera input that the graph first divides by 255
    (or multiplies by 1/255). TensorFlow exports, DeepRacer's among them, rescale inside
    the graph; fed our float32 pixels in [0, 1], such a model sees a world 255 times too
    dark and still passes every other check."""
    graph = model.graph
    consts = {i.name: i for i in graph.initializer if len(i.dims) <= 4 and all(d == 1 for d in i.dims)}
    consts.update({n.output[0]: a.t for n in graph.node if n.op_type == "Constant"
                   for a in n.attribute if a.name == "value" and a.HasField("t")})  # fmt: skip
    readers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)

    def is_scale(name: str, value: float) -> bool:
        t = consts.get(name)
        if t is None or t.data_type not in (1, 11):  # float, double
            return False
        arr = onnx.numpy_helper.to_array(t)
        return arr.size > 0 and bool(abs(arr.astype("float64") - value).max() <= value * 1e-3)

    found = []
    for spec in specs:
        if not spec.layout or spec.dtype != "float32":  # only camera inputs have a layout
            continue
        frontier, steps = [spec.name], 0
        while frontier and steps < 4 and spec.name not in found:
            nxt = []
            for name in frontier:
                for node in readers.get(name, []):
                    other = [i for i in node.input if i != name]
                    if (node.op_type == "Div" and node.input[0] == name and other and is_scale(other[0], 255.0)) or (
                            node.op_type == "Mul" and other and is_scale(other[0], 1.0 / 255.0)):
                        found.append(spec.name)
                    elif node.op_type in _PIXEL_PASS_THROUGH:
                        nxt.extend(node.output)
            frontier, steps = nxt, steps + 1
    return tuple(
        f"camera input {name!r} is float32 and the model divides it by 255 first: the simulator feeds "
        "float32 pixels in [0, 1], so the model sees its world 255 times too dark. Declare the input "
        "uint8 (the simulator then feeds raw 0..255 pixels) or remove the division; a DeepRacer export "
        "is converted right by `python -m simulator import`."
        for name in found
    )


def inspect_model(
    onnx_bytes: bytes,
    metadata: ModelMetadata,
    camera: CameraParams = CameraParams(),
    lidar: LidarParams = LidarParams(),
    *,
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES,
) -> tuple[ModelInfo, Any]:
    """Static checks of the ONNX file against the metadata; returns (info, onnx model)."""
    onnx, model = _load(onnx_bytes, max_model_bytes)
    pairs = _input_sensors(model, metadata.sensors)
    specs = []
    for vi, sensor in pairs:
        elem = vi.type.tensor_type.elem_type
        dtype = _ONNX_DTYPES.get(elem, f"type {elem}")
        if len(pairs) == 1:  # its sensor is the metadata's word; several inputs are named
            _refuse_other_sensor(_dims(vi), sensor, camera, lidar)
        specs.append(_input_spec(vi.name, sensor, _dims(vi), dtype, camera, lidar))
    if not model.graph.output:
        raise ModelError("onnx", "the model has no outputs")
    out = model.graph.output[0]
    n_actions = _check_output(onnx, out, metadata)
    info = ModelInfo(
        sha256=hashlib.sha256(onnx_bytes).hexdigest(),
        size_bytes=len(onnx_bytes),
        sensors=tuple(s for _, s in pairs),
        action_space_type=metadata.action_space_type,
        n_actions=n_actions,
        inputs=tuple(specs),
        output_name=out.name,
        warnings=_pixel_scale_warnings(onnx, model, specs),
    )
    return info, model
