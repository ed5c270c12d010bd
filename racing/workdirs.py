"""The one work root: every race, upload check and video render works in a folder under
settings.RACING["WORK_ROOT"], and nothing else does.

Each process keeps its folders in a subfolder named after its host and pid
(`<work root>/<host>-<pid>/race-12-x1y2z3`). A worker killed with -9 cannot remove its
own, so `sweep` (at worker start and every RACING["SWEEP_INTERVAL_S"]) removes the
subfolder of every process of this host that is gone, and in a live process's subfolder,
anything older than the longest run allowed (pid reuse, a thread that died). The sandbox
binds a work folder as the child's only writable one (racing/isolation.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# Before the work root, temporary folders went to the system's temp folder under these
# names; a sweep removes the old ones that killed workers left there.
LEGACY_PREFIXES = ("league-race-", "league-check-", "league-video-")


def work_root() -> Path:
    return Path(settings.RACING["WORK_ROOT"])


def _host() -> str:
    # A work root on storage shared by several machines: pids mean something only on
    # their own host.
    return socket.gethostname().replace("-", "_") or "host"


def process_dir() -> Path:
    """This process's subfolder of the work root (created, private to this user)."""
    root = work_root()
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    mine = root / f"{_host()}-{os.getpid()}"
    mine.mkdir(mode=0o700, exist_ok=True)
    return mine


@contextmanager
def work_dir(kind: str, label: str | int = "") -> Iterator[Path]:
    """A fresh folder for one run (`kind`: race, check, video...), removed afterwards."""
    prefix = f"{kind}-{label}-" if label != "" else f"{kind}-"
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=process_dir()))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def is_work_dir(path: str | Path) -> bool:
    """True for a run's folder under this process's subfolder of the work root."""
    path = Path(path).resolve()
    return path.parent == process_dir().resolve() and path.is_dir()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _age_s(path: Path, now: float) -> float:
    try:
        return now - path.lstat().st_mtime
    except OSError:
        return 0.0


def _remove(path: Path) -> bool:
    shutil.rmtree(path, ignore_errors=True)
    return not path.exists()


def sweep(max_age_s: float, now: float | None = None) -> int:
    """Remove what dead processes left in the work root, and any run folder older than
    `max_age_s` (the longest run allowed, with a margin). Returns how many folders went."""
    now = time.time() if now is None else now
    removed = 0
    root = work_root()
    host = _host()
    try:
        owners = list(root.iterdir()) if root.is_dir() else []
    except OSError:
        owners = []
    for owner in owners:
        name_host, _, pid = owner.name.rpartition("-")
        if not owner.is_dir() or owner.is_symlink():
            continue
        if name_host == host and pid.isdigit() and not _pid_alive(int(pid)):
            removed += _remove(owner)
            continue
        for run in list(owner.iterdir()):
            if _age_s(run, now) > max_age_s:
                removed += _remove(run)
        if name_host != host and _age_s(owner, now) > max_age_s and not any(owner.iterdir()):
            owner.rmdir()
    legacy = Path(tempfile.gettempdir())
    try:
        old = [p for p in legacy.iterdir() if p.name.startswith(LEGACY_PREFIXES)]
    except OSError:
        old = []
    for path in old:
        if path.is_dir() and not path.is_symlink() and _age_s(path, now) > max_age_s:
            removed += _remove(path)
    if removed:
        logger.info("swept %d leftover work folder(s)", removed)
    return removed
