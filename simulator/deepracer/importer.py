"""A DeepRacer console export (.tar.gz) as a model package: ONNX policy + metadata.

Where things are in an export, and what we accept:
- the frozen graph: `agent/model.pb` (console exports), `model.pb` (2019 exports and
  physical-car bundles) or `model/model_N.pb` (a training checkpoint folder: the highest
  N), in that order of preference. Checkpoints (`*.ckpt.*`, `coach_checkpoint`, ...) are
  skipped unread;
- `model_metadata.json` at the top of the archive, or next to the graph (the checkpoint
  folder keeps its copy there). Anywhere else it is refused as "in the wrong place":
  which graph it describes would be a guess;
- everything may sit inside one top-level folder (an export unpacked and packed again).

The metadata is kept as it is (unknown keys too) with `sensor`, `training_algorithm` and
`action_space_type` written out from what the graph really has, and validated like any
uploaded metadata.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass

from ..formatting import format_size
from ..metadata import ModelError, parse_metadata
from ..params import DEFAULT_MAX_METADATA_BYTES, DEFAULT_MAX_MODEL_BYTES
from .archive import (
    DEFAULT_MAX_ARCHIVE_BYTES,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_UNPACKED_BYTES,
    ArchiveError,
    read_archive,
)
from .convert import (
    SENSOR_INPUTS,
    SUPPORTED_GRAPH_SENSORS,
    ConversionError,
    convert_graph,
)
from .graphdef import GraphFormatError, parse_graph

METADATA_FILE = "model_metadata.json"
GRAPH_FILES = ("agent/model.pb", "model.pb")
_CHECKPOINT_GRAPH = re.compile(r"^model/model_(\d+)\.pb$")
_GREY = ("GREY_SCALE", "GRAYSCALE", "GREYSCALE")
_ALGORITHMS = {"clipped_ppo": "clipped_ppo", "ppo": "clipped_ppo", "sac": "sac"}


@dataclass(frozen=True)
class ImportInfo:
    archive_sha256: str
    archive_bytes: int
    graph_file: str  # the member converted
    metadata_file: str
    sensors: tuple[str, ...]
    network: str | None  # the metadata's neural_network
    algorithm: str  # "clipped_ppo" | "sac", from the graph's policy head
    action_space_type: str
    n_outputs: int
    inputs: tuple[dict, ...]  # name, sensor, shape, dtype, graph_input
    graph_output: str
    op_counts: dict
    onnx_sha256: str
    onnx_bytes: int

    def to_dict(self) -> dict:
        d = asdict(self)
        d["sensors"], d["inputs"] = list(self.sensors), [dict(i) for i in self.inputs]
        return d


def _wanted(name: str) -> bool:
    base = name.rpartition("/")[2]
    return base in (METADATA_FILE, "model.pb") or re.fullmatch(r"model_\d+\.pb", base) is not None


def _graph_in(names: set[str], prefix: str) -> str | None:
    for name in GRAPH_FILES:
        if prefix + name in names:
            return prefix + name
    steps = [(int(m.group(1)), n) for n in names if n.startswith(prefix) and (m := _CHECKPOINT_GRAPH.match(n[len(prefix):]))]
    return max(steps)[1] if steps else None


def _locate(names: list[str]) -> tuple[str, str]:
    """(graph member, metadata member)."""
    present = set(names)
    tops = {n.split("/", 1)[0] for n in names}
    prefixes = [""] + ([f"{tops.pop()}/"] if len(tops) == 1 and all("/" in n for n in names) else [])
    for prefix in prefixes:
        graph = _graph_in(present, prefix)
        if graph:
            break
    else:
        found = sorted(n for n in names if n.endswith(".pb"))[:3]
        raise ArchiveError(
            "the archive has no frozen graph: expected agent/model.pb, model.pb or model/model_N.pb"
            + (f" (found {', '.join(found)})" if found else "; export the model again from the console")
        )
    folder = graph.rpartition("/")[0]
    for candidate in (prefix + METADATA_FILE, f"{folder}/{METADATA_FILE}"):
        if candidate in present:
            return graph, candidate
    elsewhere = sorted(n for n in names if n.rpartition("/")[2] == METADATA_FILE)
    if elsewhere:
        raise ArchiveError(
            f"model_metadata.json is in the wrong place ({elsewhere[0]}): put it at the top of the "
            f"archive, next to {graph}, as the console exports it"
        )
    raise ArchiveError("the archive has no model_metadata.json; export the model again from the console (it holds the action space)")


def _read_metadata(data: bytes, max_metadata_bytes: int) -> dict:
    if len(data) > max_metadata_bytes:
        raise ArchiveError(f"model_metadata.json is larger than the {format_size(max_metadata_bytes)} limit")
    try:
        raw = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ArchiveError("model_metadata.json is not valid JSON; export the model again from the console") from None
    if not isinstance(raw, dict):
        raise ArchiveError("model_metadata.json must be a JSON object")
    return raw


def _metadata_sensors(raw: dict) -> list[str] | None:
    sensors = raw.get("sensor")
    if sensors is None:
        return None  # 2019 exports name no sensor: the graph says which
    sensors = [sensors] if isinstance(sensors, str) else sensors
    if not isinstance(sensors, list) or not all(isinstance(s, str) for s in sensors):
        raise ArchiveError('model_metadata.json: "sensor" must be a list of sensor names')
    unknown = [s for s in sensors if s not in SENSOR_INPUTS]
    if unknown:
        raise ArchiveError(
            f"the model uses sensor {', '.join(unknown)}, which this simulator does not have; "
            f"supported: {', '.join(SUPPORTED_GRAPH_SENSORS)}"
        )
    return sorted(SENSOR_INPUTS[s].sensor for s in sensors)


def _check_preprocess(raw: dict) -> None:
    kind = raw.get("preprocess_type")
    if kind is None or (isinstance(kind, str) and kind.upper() in _GREY):
        return
    if isinstance(kind, str) and kind.upper() == "RGB":
        raise ArchiveError(
            "the model was trained on colour images (preprocess_type RGB); the simulator's cameras "
            "are greyscale, and grey pixels in an RGB network would not drive as it trained: "
            "train with preprocess_type GREY_SCALE"
        )
    raise ArchiveError(f"preprocess_type {json.dumps(kind)} is not supported; use GREY_SCALE")


def _metadata(raw: dict, conversion, *, max_metadata_bytes: int) -> dict:
    """The package's metadata: the export's, with what the graph says written out."""
    algorithm = raw.get("training_algorithm", conversion.algorithm)
    if _ALGORITHMS.get(str(algorithm).lower()) != conversion.algorithm:
        raise ArchiveError(
            f"model_metadata.json says training_algorithm {json.dumps(algorithm)} but the graph has a "
            f"{conversion.algorithm} policy head; the metadata belongs to another model"
        )
    space = raw.get("action_space")
    kind = raw.get("action_space_type", "discrete" if isinstance(space, list) else "continuous")
    if kind == "discrete" and isinstance(space, list) and len(space) != conversion.n_outputs:
        raise ArchiveError(
            f"the graph scores {conversion.n_outputs} actions but model_metadata.json lists {len(space)}; "
            "the metadata belongs to another model"
        )
    if kind == "continuous" and conversion.n_outputs != 2:
        raise ArchiveError(f"a continuous model has 2 outputs (steering, speed); this graph has {conversion.n_outputs}")
    meta = {**raw, "sensor": list(conversion.sensors), "training_algorithm": conversion.algorithm,
            "action_space_type": kind}  # fmt: skip
    try:
        parse_metadata(meta, max_metadata_bytes=max_metadata_bytes)
    except ModelError as exc:
        raise ArchiveError(f"model_metadata.json: {exc.message}") from None
    if len(json.dumps(meta).encode()) > max_metadata_bytes:
        raise ArchiveError(f"model_metadata.json is larger than the {format_size(max_metadata_bytes)} limit")
    return meta


def import_archive(
    data: bytes,
    *,
    max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
    max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES,
    max_metadata_bytes: int = DEFAULT_MAX_METADATA_BYTES,
) -> tuple[bytes, dict, ImportInfo]:
    """(model.onnx bytes, model_metadata.json dict, what was imported) from a console
    export; ArchiveError (field "archive") with a message that says how to fix anything else."""
    contents = read_archive(data, want=_wanted, max_archive_bytes=max_archive_bytes,
                            max_unpacked_bytes=max_unpacked_bytes, max_members=max_members)  # fmt: skip
    graph_file, metadata_file = _locate(contents.names)
    raw = _read_metadata(contents.files[metadata_file], max_metadata_bytes)
    _check_preprocess(raw)
    declared = _metadata_sensors(raw)
    try:
        conversion = convert_graph(parse_graph(contents.files[graph_file]), max_const_elements=max_model_bytes // 4)
    except (ConversionError, GraphFormatError) as exc:
        raise ArchiveError(f"{graph_file}: {exc}") from None
    if declared is not None and declared != sorted(conversion.sensors):
        raise ArchiveError(
            f"model_metadata.json lists sensors {', '.join(declared)} but the graph reads "
            f"{', '.join(conversion.sensors)}; the metadata belongs to another model"
        )
    meta = _metadata(raw, conversion, max_metadata_bytes=max_metadata_bytes)
    model = conversion.model
    model.metadata_props.add(key="deepracer_graph_sha256", value=hashlib.sha256(contents.files[graph_file]).hexdigest())
    onnx_bytes = model.SerializeToString()
    if len(onnx_bytes) > max_model_bytes:
        raise ArchiveError(
            f"the converted model is {format_size(len(onnx_bytes))}, over the {format_size(max_model_bytes)} "
            "model size limit; use a smaller network"
        )
    info = ImportInfo(
        archive_sha256=hashlib.sha256(data).hexdigest(),
        archive_bytes=len(data),
        graph_file=graph_file,
        metadata_file=metadata_file,
        sensors=conversion.sensors,
        network=raw.get("neural_network") if isinstance(raw.get("neural_network"), str) else None,
        algorithm=conversion.algorithm,
        action_space_type=meta["action_space_type"],
        n_outputs=conversion.n_outputs,
        inputs=conversion.inputs,
        graph_output=conversion.output_node,
        op_counts=conversion.op_counts,
        onnx_sha256=hashlib.sha256(onnx_bytes).hexdigest(),
        onnx_bytes=len(onnx_bytes),
    )
    return onnx_bytes, meta, info
