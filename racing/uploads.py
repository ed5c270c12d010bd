"""Uploads: a model package (ONNX + model_metadata.json) checked and stored.

The cheap checks run here; the ONNX checks and the trial inference run in the sandboxed
child (racing/runner.py), because the bytes are hostile until then.
"""

from __future__ import annotations

import hashlib
import json
import math
from contextlib import contextmanager

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from league.models import Racer
from simulator.metadata import ModelError, parse_metadata
from simulator.formatting import format_size

from .checkslots import check_slot
from .models import PolicyModel
from .runner import ModelRejected, check_upload, import_archive


def _read_upload(upload, limit: int) -> bytes | None:
    """The bytes of an uploaded file (Django UploadedFile, file object or bytes), reading
    at most limit + 1 bytes so that a huge file is not pulled into memory."""
    if upload is None:
        return None
    if isinstance(upload, (bytes, bytearray)):
        return bytes(upload[: limit + 1])
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        return b"\0" * (limit + 1)  # only the length matters from here on
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(limit + 1)
    return data.encode() if isinstance(data, str) else data


def model_upload(*, owner: Racer, name: str, onnx_file=None, metadata_file=None, archive_file=None) -> PolicyModel:
    """Check an uploaded model package and store it: `onnx_file` + `metadata_file`, or a
    DeepRacer console export (`archive_file`, a .tar.gz) converted on the way in.

    Raises ModelRejected({field: [messages]}) for anything wrong (nothing is stored),
    ChecksBusy if the check cannot start now (racing/checkslots.py) and PlatformFault if
    the check itself could not run.
    """
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if problems := model_name_errors(owner, name):
        errors["name"] = problems

    if archive_file is not None:
        if onnx_file is not None or metadata_file is not None:
            errors["archive"] = ["Upload a console export (`archive`) or `onnx` + `metadata`, not both."]
        archive_bytes = _archive_bytes(archive_file, errors)
        if errors:
            raise ModelRejected(errors)
        with _sentences(), check_slot(owner.pk):
            onnx_bytes, metadata_bytes, report = import_archive(archive_bytes)
        info = {**report.get("check", {}), "import": report.get("import", {})}
        meta = parse_metadata(metadata_bytes)  # written by our importer, checked with the model
        raw = meta.raw if meta.raw else json.loads(metadata_bytes)
        if same := _same_package(owner, onnx_bytes, raw):
            raise ModelRejected({"archive": [_same_message(same)]})
    else:
        onnx_bytes, metadata_bytes, meta = _package(onnx_file, metadata_file, errors)
        raw = (meta.raw if meta.raw else json.loads(metadata_bytes)) if meta is not None else None
        # Before the sandboxed check: the same files again need no second look.
        if raw is not None and "onnx" not in errors and (same := _same_package(owner, onnx_bytes, raw)):
            errors.setdefault("onnx", []).append(_same_message(same))
        if errors:
            raise ModelRejected(errors)
        with _sentences(), check_slot(owner.pk):
            info = check_upload(onnx_bytes, metadata_bytes)
    return _store(owner, name, onnx_bytes, raw, meta, info)


MAX_NAME_LENGTH = 80


def model_name_errors(owner: Racer, name: str, *, model: PolicyModel | None = None) -> list[str]:
    """What is wrong with `name` for a model of `owner` (`model`: the one being renamed)."""
    if not name:
        return [f"Give the model a name (up to {MAX_NAME_LENGTH} characters)."]
    if len(name) > MAX_NAME_LENGTH:
        return [f"The name has {len(name)} characters; use at most {MAX_NAME_LENGTH}."]
    others = PolicyModel.objects.filter(owner=owner, name__iexact=name)
    if model is not None:
        others = others.exclude(pk=model.pk)
    if others.exists():
        return [f"You already have a model called {name!r}; choose another name."]
    return []


def _same_package(owner: Racer, onnx_bytes: bytes, raw_metadata: dict) -> PolicyModel | None:
    """The owner's model in the garage with these very bytes and this metadata, if any (the
    same network with other metadata is another model: its actions differ)."""
    digest = hashlib.sha256(onnx_bytes).hexdigest()
    candidates = PolicyModel.objects.filter(owner=owner, sha256=digest, archived_at__isnull=True)
    return next((m for m in candidates.order_by("created_at", "id") if m.metadata == raw_metadata), None)


def _same_message(model: PolicyModel) -> str:
    return (
        f"You uploaded these exact files before: they are your model “{model.name}” (uploaded "
        f"{model.created_at:%d %b %Y %H:%M} UTC). Enter that one in a race; nothing new was stored."
    )


def _archive_bytes(archive_file, errors: dict) -> bytes | None:
    max_archive = int(settings.RACING["MAX_ARCHIVE_BYTES"])
    data = _read_upload(archive_file, max_archive)
    if not data:
        errors["archive"] = ["The archive is empty; export the model from the DeepRacer console again."]
    elif len(data) > max_archive:
        errors["archive"] = [f"The archive is larger than the {format_size(max_archive)} limit."]
    return data


def _package(onnx_file, metadata_file, errors: dict):
    """The ONNX and metadata bytes of a two-file upload, with what is wrong in `errors`."""
    max_bytes = int(settings.RACING["MAX_MODEL_BYTES"])
    max_meta = int(settings.RACING["MAX_METADATA_BYTES"])
    onnx_bytes = _read_upload(onnx_file, max_bytes)
    metadata_bytes = _read_upload(metadata_file, max_meta)
    if _is_json_object(onnx_bytes) and metadata_bytes and not _is_json_object(metadata_bytes):
        errors["onnx"] = [SWAPPED]
        errors["metadata"] = [SWAPPED_METADATA]
        return onnx_bytes, metadata_bytes, None
    if onnx_bytes is None:
        errors["onnx"] = [
            "Attach the exported policy as the `onnx` file (model.onnx), or a DeepRacer console "
            "export as `archive`."
        ]
    elif not onnx_bytes:
        errors["onnx"] = ["The ONNX file is empty; export the model again."]
    elif len(onnx_bytes) > max_bytes:
        errors["onnx"] = [
            f"The ONNX file is larger than the {format_size(max_bytes)} limit; use a smaller network."
        ]

    meta = None
    if metadata_bytes is None:
        errors["metadata"] = ["Attach model_metadata.json as the `metadata` file."]
    elif not metadata_bytes.strip():
        errors["metadata"] = ["model_metadata.json is empty; it needs action_space and sensor."]
    elif len(metadata_bytes) > max_meta:
        errors["metadata"] = [f"model_metadata.json is larger than {format_size(max_meta)}."]
    else:
        try:
            meta = parse_metadata(metadata_bytes)
        except ModelError as exc:
            errors.setdefault(exc.field, []).append(_sentence(exc.message))
        except RecursionError:  # json.loads of "[[[[..." : not a ValueError
            errors["metadata"] = [METADATA_TOO_DEEP]
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            reason = str(exc).split(":")[0].strip().rstrip(".")
            errors["metadata"] = [f"model_metadata.json is not valid JSON: {reason}."]
        else:
            if problem := _metadata_problem(meta.raw):
                errors["metadata"] = [problem]
    return onnx_bytes, metadata_bytes, meta


SWAPPED = (
    "The two files look swapped: the model.onnx field got a JSON file and the "
    "model_metadata.json field got one that is not JSON. Put each file in its own field."
)
SWAPPED_METADATA = "This looks like the ONNX file, not model_metadata.json: swap the two files."


def _is_json_object(data: bytes | None) -> bool:
    """Whether `data` is a JSON object (what model_metadata.json holds, never an ONNX file)."""
    if not data or not data.lstrip()[:1] == b"{":
        return False
    try:
        return isinstance(json.loads(data), dict)
    except (ValueError, RecursionError):
        return False


@contextmanager
def _sentences():
    """The checking child's messages, as sentences."""
    try:
        yield
    except ModelRejected as exc:
        raise ModelRejected({k: [_sentence(m) for m in v] for k, v in exc.errors.items()}) from None


def _store(owner: Racer, name: str, onnx_bytes: bytes, raw_metadata: dict, meta, info: dict) -> PolicyModel:
    try:
        with transaction.atomic():
            model = PolicyModel(
                owner=owner,
                name=name,
                metadata=raw_metadata,
                sha256=hashlib.sha256(onnx_bytes).hexdigest(),
                sensors=list(info.get("sensors") or meta.sensors),
                action_space_type=info.get("action_space_type") or meta.action_space_type,
                action_count=info.get("n_actions") if meta.action_space_type == "discrete" else None,
                size_bytes=len(onnx_bytes),
                info=info,
            )
            model.onnx.save("model.onnx", ContentFile(onnx_bytes), save=False)
            model.save()
    except IntegrityError:
        raise ModelRejected(
            {"name": [f"You already have a model called {name!r}; choose another name."]}
        ) from None
    return model


MAX_METADATA_DEPTH = 32
METADATA_TOO_DEEP = (
    f"model_metadata.json is nested too deeply (more than {MAX_METADATA_DEPTH} levels); "
    "DeepRacer metadata needs three."
)


def _metadata_problem(value, depth: int = 0) -> str | None:
    """What Python's json module accepts but the database and the JSON encoders
    downstream do not: NaN and Infinity, lone surrogates and NUL in text, very deep
    nesting."""
    if depth > MAX_METADATA_DEPTH:
        return METADATA_TOO_DEEP
    if isinstance(value, float) and not math.isfinite(value):
        return (
            "model_metadata.json contains NaN or Infinity, which JSON does not allow; "
            "write a number or remove the key."
        )
    texts = [value] if isinstance(value, str) else list(value) if isinstance(value, dict) else []
    for text in texts:
        try:
            text.encode("utf-8")  # fails on a lone surrogate ("\ud800" in the JSON)
            bad = "\x00" in text
        except UnicodeEncodeError:
            bad = True
        if bad:
            return (
                "model_metadata.json contains text that is not valid Unicode (a lone surrogate "
                "or a NUL character); remove it."
            )
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        if problem := _metadata_problem(child, depth + 1):
            return problem
    return None


_OWN_CASE = ("model_metadata", "onnxruntime", "onnx.")


def _sentence(message: str) -> str:
    message = message.strip()
    if not message:
        return message
    if not message.split(" ", 1)[0].startswith(_OWN_CASE):  # a file's or a program's name keeps its case
        message = message[0].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def model_metadata_bytes(model: PolicyModel) -> bytes:
    return json.dumps(model.metadata, indent=2).encode()
