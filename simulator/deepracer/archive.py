"""Reading an uploaded archive (.tar.gz, .tgz or .tar) in memory, within limits.

The archive is hostile until proven otherwise, and nothing is ever extracted to disk:
members are read into memory, and only the ones the caller asks for. Refused before any
member's data is read: an archive over the compressed size cap, more members than the
cap, a member declaring more bytes than the uncompressed budget has left (a "2 GB"
member costs nothing to declare), absolute names, `..` in a name, links, devices and
fifos, sparse files, and a name that appears twice (which copy would be meant?).
The decompressed stream itself is capped too, so metadata blocks (pax headers, GNU long
names) cannot balloon in memory: reading stops at the budget, whatever tarfile asked for.

Zip files are not read: console exports are .tar.gz, and a zip's central directory can
claim millions of entries before any check could run.

The one exception every refusal of an import raises lives here too (`ArchiveError`), so
the CLI and the league's upload say the same thing.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from ..formatting import format_size
from ..metadata import ModelError

MiB = 1024 * 1024
# A console export is a frozen graph (~23 MB for the shallow network) and a JSON file; a
# training checkpoint adds a few copies of the weights, which we skip but must read past.
DEFAULT_MAX_ARCHIVE_BYTES = 100 * MiB
DEFAULT_MAX_UNPACKED_BYTES = 200 * MiB
DEFAULT_MAX_MEMBERS = 1000
# Tar's own bytes around each member's data: a 512-byte header, pax or long-name blocks,
# padding to 512 bytes. Allowed on top of the members' data in the stream budget.
_TAR_OVERHEAD_PER_MEMBER_BYTES = 4096

_GZIP_MAGIC = b"\x1f\x8b"
_HOW_TO_PACK = "pack it again with: tar czf model.tar.gz model_metadata.json agent/model.pb"


class ArchiveError(ModelError):
    """An archive that cannot be imported; `field` is "archive", the message names the fix.

    A ModelError, so that code handling a refused model package handles this too."""

    def __init__(self, message: str):
        super().__init__("archive", message)


@dataclass
class ArchiveContents:
    files: dict[str, bytes] = field(default_factory=dict)  # the members asked for: name -> bytes
    names: list[str] = field(default_factory=list)  # every regular file, in archive order
    unpacked_bytes: int = 0


class _CappedReader(io.RawIOBase):
    """The decompressed stream, refusing to produce more than `limit_bytes` in total."""

    def __init__(self, raw, limit_bytes: int, message: str):
        self._raw = raw
        self._left = limit_bytes
        self._message = message

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        # Never ask the decompressor for more than the budget (+1 to notice the excess):
        # one read(2 GB) from tarfile must not become 2 GB in memory.
        want = self._left + 1 if size is None or size < 0 else min(size, self._left + 1)
        data = self._raw.read(want)
        self._left -= len(data)
        if self._left < 0:
            raise ArchiveError(self._message)
        return data

    def readinto(self, buf) -> int:
        data = self.read(len(buf))
        buf[: len(data)] = data
        return len(data)


def member_name(raw: str) -> str:
    """The member's path in the archive, normalised ("./a//b" -> "a/b"); ArchiveError for
    one that could point outside the archive's own folder."""
    if not raw or "\x00" in raw:
        raise ArchiveError("the archive has a member without a name; " + _HOW_TO_PACK)
    if "\\" in raw:
        raise ArchiveError(f"member {raw!r} has a backslash in its name; {_HOW_TO_PACK}")
    path = PurePosixPath(raw)
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")):
        raise ArchiveError(f"member {raw!r} has an absolute path; archive the files by relative names. {_HOW_TO_PACK}")
    parts = [p for p in path.parts if p != "."]
    if ".." in parts:
        raise ArchiveError(f"member {raw!r} points outside the archive (..); {_HOW_TO_PACK}")
    if not parts:
        raise ArchiveError(f"member {raw!r} has no file name; {_HOW_TO_PACK}")
    return "/".join(parts)


def _kind_refused(member: tarfile.TarInfo) -> str | None:
    if member.issym() or member.islnk():
        return "is a link; archive the file itself"
    if member.ischr() or member.isblk() or member.isfifo():
        return "is a device or a pipe, not a file"
    if member.issparse():
        return "is a sparse file; archive it as a plain file"
    if not (member.isreg() or member.isdir()):
        return "is not a plain file or folder"
    return None


def _decompressed(data: bytes):
    if data[:2] == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb")
    if data[257:262] == b"ustar":  # POSIX ("ustar\0") and GNU ("ustar  ") headers
        return io.BytesIO(data)
    if data[:4] == b"PK\x03\x04":
        raise ArchiveError("the file is a .zip; unpack it and " + _HOW_TO_PACK)
    raise ArchiveError("the file is not a .tar.gz (or .tar) archive; upload the file the DeepRacer console exported")


def read_archive(
    data: bytes,
    *,
    want: Callable[[str], bool],
    max_archive_bytes: int = DEFAULT_MAX_ARCHIVE_BYTES,
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> ArchiveContents:
    """The regular files' names, and the bytes of those `want(name)` accepts.

    Raises ArchiveError for anything hostile or broken, before reading what it refuses.
    """
    if not data:
        raise ArchiveError("the archive is empty")
    if len(data) > max_archive_bytes:
        raise ArchiveError(
            f"the archive is larger than the {format_size(max_archive_bytes)} limit "
            f"({len(data):,} bytes); leave the training checkpoints out"
        )
    stream_limit = max_unpacked_bytes + _TAR_OVERHEAD_PER_MEMBER_BYTES * (max_members + 2)
    capped = _CappedReader(
        _decompressed(data), stream_limit,
        f"the archive unpacks to more than the {format_size(max_unpacked_bytes)} limit",
    )  # fmt: skip
    out = ArchiveContents()
    seen: set[str] = set()
    members = 0
    try:
        # "r|": a stream, read once from the start; tarfile never seeks or looks ahead.
        with tarfile.open(fileobj=io.BufferedReader(capped), mode="r|") as tar:
            for member in tar:
                members += 1
                if members > max_members:
                    raise ArchiveError(f"the archive has more than {max_members} members; leave the checkpoints out")
                name = member_name(member.name)
                if problem := _kind_refused(member):
                    raise ArchiveError(f"member {name!r} {problem}")
                if member.isdir():
                    continue
                if name in seen:
                    raise ArchiveError(f"member {name!r} appears twice in the archive; {_HOW_TO_PACK}")
                seen.add(name)
                left = max_unpacked_bytes - out.unpacked_bytes
                if member.size > left:
                    raise ArchiveError(
                        f"member {name!r} declares {member.size:,} bytes: the archive would unpack "
                        f"to more than the {format_size(max_unpacked_bytes)} limit"
                    )
                out.unpacked_bytes += member.size
                out.names.append(name)
                if want(name):
                    fileobj = tar.extractfile(member)
                    content = fileobj.read(member.size) if fileobj is not None else b""
                    if len(content) != member.size:
                        raise ArchiveError(f"the archive is cut short inside member {name!r}; download it again")
                    out.files[name] = content
    except ArchiveError:
        raise
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as exc:
        # gzip.BadGzipFile is an OSError; a truncated stream is an EOFError.
        reason = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else type(exc).__name__
        raise ArchiveError(f"the archive is damaged or not a tar archive ({reason}); download it again") from None
    if not out.names:
        raise ArchiveError("the archive holds no files")
    return out
