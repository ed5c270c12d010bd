"""Importing AWS DeepRacer console exports (a .tar.gz with a frozen TensorFlow graph and
`model_metadata.json`) as model packages, without TensorFlow.

- `archive`: reading the uploaded archive in memory, within limits (`ArchiveError`);
- `graphdef`: TensorFlow's GraphDef protobuf classes, built at run time;
- `ops`, `convert`: the graph's operations as ONNX nodes, the policy's inputs and output;
- `importer`: `import_archive(data) -> (onnx_bytes, metadata, ImportInfo)`, which the CLI
  (`python -m simulator import`) and the league's upload both call.

The submodules import onnx: `import simulator.deepracer` alone loads nothing heavy.
"""

from __future__ import annotations

from .archive import (
    DEFAULT_MAX_ARCHIVE_BYTES,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_UNPACKED_BYTES,
    ArchiveError,
)

__all__ = [
    "DEFAULT_MAX_ARCHIVE_BYTES",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_UNPACKED_BYTES",
    "ArchiveError",
]
