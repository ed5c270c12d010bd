"""Hostile and broken archives are refused with a message, before their data is read, and
nothing is ever written to disk."""

from __future__ import annotations

import gzip
import io
import os
import tarfile

import pytest

from simulator.deepracer.archive import ArchiveError, read_archive
from simulator.metadata import ModelError

from . import builders as B

KiB = 1024


def _read(data: bytes, **limits):
    return read_archive(data, want=lambda name: name.endswith(".json"), **limits)


def _info(name: str, kind=tarfile.REGTYPE, size: int = 0, **fields) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.size = kind, size
    for key, value in fields.items():
        setattr(info, key, value)
    return info


@pytest.fixture(autouse=True)
def in_empty_folder(tmp_path, monkeypatch):
    """Every test runs in an empty folder that must stay empty: nothing is extracted."""
    monkeypatch.chdir(tmp_path)
    yield
    assert os.listdir(tmp_path) == []


def test_reads_only_the_members_asked_for():
    data = B.tar_bytes([("model_metadata.json", b"{}"), ("agent/model.pb", b"x" * 100), ("./a/./b.json", b"[]")])
    contents = _read(data)
    assert contents.names == ["model_metadata.json", "agent/model.pb", "a/b.json"]
    assert contents.files == {"model_metadata.json": b"{}", "a/b.json": b"[]"}
    assert contents.unpacked_bytes == 104


def test_a_plain_tar_is_read_too():
    assert _read(B.tar_bytes([("model_metadata.json", b"{}")], gzip=False)).files == {"model_metadata.json": b"{}"}


HOSTILE = {
    "path traversal": ([("../../etc/cron.d/evil.json", b"x")], "points outside the archive"),
    "traversal inside": ([("agent/../../evil.json", b"x")], "points outside the archive"),
    "absolute path": ([("/etc/passwd.json", b"x")], "absolute path"),
    "windows drive": ([("C:/evil.json", b"x")], "absolute path"),
    "backslash": ([("..\\evil.json", b"x")], "backslash"),
    "symlink": ([(_info("model_metadata.json", tarfile.SYMTYPE, linkname="/etc/passwd"), None)], "is a link"),
    "hardlink": ([("a.json", b"{}"), (_info("model_metadata.json", tarfile.LNKTYPE, linkname="a.json"), None)], "is a link"),
    "char device": ([(_info("dev.json", tarfile.CHRTYPE, devmajor=1, devminor=3), None)], "device or a pipe"),
    "block device": ([(_info("disk", tarfile.BLKTYPE, devmajor=8, devminor=0), None)], "device or a pipe"),
    "fifo": ([(_info("pipe", tarfile.FIFOTYPE), None)], "device or a pipe"),
    "duplicate": ([("model_metadata.json", b"{}"), ("./model_metadata.json", b"[]")], "appears twice"),
}


@pytest.mark.parametrize("members, phrase", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_members_are_refused(members, phrase):
    with pytest.raises(ArchiveError, match=phrase) as err:
        _read(B.tar_bytes(members))
    assert err.value.field == "archive" and isinstance(err.value, ModelError)
    assert "\n" not in str(err.value)


def test_a_2_gb_declared_member_is_refused_before_reading():
    """A header that declares 2 GB and no data behind it: refused on the declaration."""
    header = _info("agent/model.pb", size=2 * 1024**3).tobuf(tarfile.GNU_FORMAT)
    data = gzip.compress(header + b"\0" * 1024)
    with pytest.raises(ArchiveError, match=r"declares 2,147,483,648 bytes.*200 MiB limit"):
        _read(data)


def test_members_over_the_unpacked_budget_together_are_refused():
    members = [(f"part{k}.bin", b"\0" * 400 * KiB) for k in range(3)]
    with pytest.raises(ArchiveError, match="part2.bin.*declares"):
        _read(B.tar_bytes(members), max_unpacked_bytes=1024 * KiB)


def test_a_gzip_bomb_in_the_tar_headers_stops_at_the_limit():
    """A pax header is read whole into memory by tarfile: the stream cap stops it."""
    bomb = _info("model_metadata.json", size=2)
    bomb.pax_headers = {"comment": "0" * (3 * 1024 * KiB)}
    data = B.tar_bytes([(bomb, b"{}")])
    assert len(data) < 64 * KiB  # it compresses to almost nothing
    with pytest.raises(ArchiveError, match="unpacks to more than"):
        _read(data, max_unpacked_bytes=1024 * KiB, max_members=10)


def test_thousands_of_members_are_refused():
    data = B.tar_bytes([(f"ckpt/{k}.data", b"") for k in range(1001)])
    with pytest.raises(ArchiveError, match="more than 1000 members"):
        _read(data)


def test_an_archive_over_the_compressed_cap_is_refused_unread():
    with pytest.raises(ArchiveError, match=r"larger than the 1 KiB limit"):
        _read(b"\x1f\x8b" + b"\0" * 2000, max_archive_bytes=KiB)


BROKEN = {
    "empty": (b"", "empty"),
    "not an archive": (b"just some text that is long enough " * 20, "not a .tar.gz"),
    "zip": (b"PK\x03\x04" + b"\0" * 600, "is a .zip"),
    "truncated": (B.tar_bytes([("model_metadata.json", os.urandom(40 * KiB))])[:5000], "damaged"),
    "gzip of garbage": (gzip.compress(b"\x01" * 4096), "damaged"),
    "no files": (B.tar_bytes([(_info("agent", tarfile.DIRTYPE), None)]), "holds no files"),
}


@pytest.mark.parametrize("data, phrase", BROKEN.values(), ids=BROKEN.keys())
def test_broken_archives_are_refused(data, phrase):
    with pytest.raises(ArchiveError, match=phrase):
        _read(data)


def test_the_stream_cap_holds_whatever_tarfile_asks_for():
    """The decompressed stream never yields more than its cap, even to one big read()."""
    from simulator.deepracer.archive import _CappedReader

    reader = _CappedReader(io.BytesIO(b"\0" * 10_000), 4096, "too big")
    assert len(reader.read(4000)) == 4000
    with pytest.raises(ArchiveError, match="too big"):
        reader.read(1_000_000)
