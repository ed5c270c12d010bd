"""The sandbox's walls: the bubblewrap command line that every untrusted child runs under.

`racing.sandbox.run_sandboxed` starts its child through `popen_jailed`, which puts
`jail_argv(...)` in front of the child's command. The child then has:

- its own user, PID, IPC, UTS, cgroup and network namespaces (no network at all: only
  its own loopback), no capabilities, PR_SET_NO_NEW_PRIVS (bubblewrap sets it), a new
  session (no terminal to inject into) and a SIGKILL when its worker dies;
- its own unprivileged user, "nobody" (65534). When the worker runs as root, bubblewrap
  maps root for its own setup and the bootstrap in `sandbox.py` switches to 65534 before
  anything else runs, so the child is 65534 on the host too and RLIMIT_NPROC counts its
  processes alone (the kernel never enforces that limit on root);
- a root of its own holding only, read-only: the shared libraries (/usr/lib), the
  loader's cache, the Python interpreter with its standard library and installed
  packages, and the project's `simulator/` package; plus one writable scratch folder
  (/scratch: the run's work folder, holding the model, track or replay bytes), a small
  private /tmp, its own /proc and a minimal /dev. No database, no media, no other
  model, none of the project's other code, no /etc/passwd, no /home, no /sys;
- an environment of its own (`--clearenv`, then only what `sandbox.child_env` sets);
- a seccomp filter (racing/syscalls.py) when libseccomp is installed: no new
  namespaces, mounts, tracing, eBPF, io_uring, keyrings, kernel modules or network
  sockets. (bubblewrap's own `--disable-userns` cannot be combined with the root-mode
  mapping; the filter refuses nested user namespaces in both modes.)
"""

from __future__ import annotations

import functools
import json
import os
import select
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from django.conf import settings

from .syscalls import SeccompUnavailable, filter_fd

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SIMULATOR_DIR = PROJECT_ROOT / "simulator"
SCRATCH = "/scratch"  # the work folder, as the child sees it
SANDBOX_UID = SANDBOX_GID = 65534  # "nobody": owns nothing on the host
TMP_BYTES = 64 * 1024 * 1024  # the child's private /tmp (memory-backed)
# The shared libraries; and on merged-/usr systems (Debian 12) the top-level names that
# point into /usr, which the dynamic loader's paths go through.
LIB_DIRS = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32")
TOP_LINKS = ("/lib", "/lib64", "/lib32", "/libx32")
# Without the loader's cache, libraries in the multiarch folders are not found.
ETC_FILES = ("/etc/ld.so.cache",)
# Fonts for the video's overlay (the renderer falls back to Pillow's own without them).
FONT_DIRS = ("/usr/share/fonts",)
SETUP_TIMEOUT_S = 10.0

INSTALL = (
    "Install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap) and allow "
    "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or "
    "user.max_user_namespaces > 0)"
)
FIX = (
    f"{INSTALL}; or set RACING_SANDBOX=weak to run models with resource limits only "
    "(not recommended: see docs/organisers.md, Security)."
)


class SandboxUnavailable(RuntimeError):
    """This host cannot build the sandbox; the message names the fix."""


def sandbox_mode() -> str:
    mode = str(settings.RACING.get("SANDBOX") or "bwrap").strip().lower()
    if mode not in ("bwrap", "weak"):
        raise SandboxUnavailable(f"RACING_SANDBOX is {mode!r}: use 'bwrap' (default) or 'weak'.")
    return mode


def bwrap_executable() -> str:
    configured = settings.RACING.get("BWRAP") or ""
    found = configured if configured and os.access(configured, os.X_OK) else shutil.which(configured or "bwrap")
    if not found:
        raise SandboxUnavailable(f"bubblewrap ({configured or 'bwrap'}) is not installed. {FIX}")
    return found


def as_root() -> bool:
    """bubblewrap started by root needs the mapping below; any other user gets its own."""
    return os.geteuid() == 0


@functools.lru_cache(maxsize=8)
def interpreter_paths(python: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """(folders and files to bind, symlinks to recreate) for `python` to start and import
    its installed packages, asked of the interpreter itself once per process."""
    code = "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, sys.path]))"
    try:
        done = subprocess.run([python, "-I", "-c", code], capture_output=True, timeout=60,
                              env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}, check=True)
        prefix, base_prefix, path = json.loads(done.stdout)
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        raise SandboxUnavailable(f"cannot ask {python} where its libraries are: {exc}") from None
    binds = [os.path.join(base_prefix, "lib")]
    if prefix != base_prefix:
        binds.append(prefix)  # the virtual environment: pyvenv.cfg, bin/, site-packages
    binds += [p for p in path if p and os.path.isdir(p)]
    # The interpreter through its chain of symlinks (venv/bin/python -> python3 -> ...).
    links = []
    hop = python
    for _ in range(16):
        if not os.path.islink(hop):
            break
        target = os.readlink(hop)
        links.append((target, hop))
        hop = os.path.normpath(os.path.join(os.path.dirname(hop), target))
    binds.append(hop)
    project = str(PROJECT_ROOT)
    # Never the project itself nor a folder above it: only `simulator/` is shown.
    binds = [b for b in binds if not _under(project, b)]
    return tuple(_outermost(binds)), tuple(links)


def _under(path: str, folder: str) -> bool:
    path, folder = os.path.normpath(path), os.path.normpath(folder)
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _outermost(paths: Iterable[str]) -> list[str]:
    """The paths without those inside another one (already visible), sorted."""
    out: list[str] = []
    for path in sorted({os.path.normpath(p) for p in paths}, key=lambda p: (p.count("/"), p)):
        if os.path.exists(path) and not any(_under(path, kept) for kept in out):
            out.append(path)
    return sorted(out)


def _parents(paths: Iterable[str]) -> list[str]:
    """Every folder above the mount points, shallowest first: bubblewrap would create them
    0700, which the sandbox's user could not walk through."""
    found = set()
    for path in paths:
        parent = os.path.dirname(os.path.normpath(path))
        while parent not in ("/", ""):
            found.add(parent)
            parent = os.path.dirname(parent)
    return sorted(found, key=lambda p: (p.count("/"), p))


def jail_argv(
    bwrap: str,
    *,
    scratch: Path,
    python: str,
    env: dict[str, str],
    ro_paths: Sequence[str] = (),
    info_fd: int = -1,
    block_fd: int = -1,
    seccomp_fd: int = -1,
) -> list[str]:
    """bubblewrap's options for a child working in `scratch`, up to the command.

    `info_fd`/`block_fd`: the pipes of the root-mode user mapping (`map_root_user`);
    `seccomp_fd`: the compiled seccomp filter (racing/syscalls.py).
    """
    # --as-pid-1: the child is the only process of its PID namespace and bubblewrap's own
    # child, so that its CPU time reaches the worker's wait4 (the compute budget); as an
    # init process it ignores SIGXCPU, and RLIMIT_CPU's hard limit (SIGKILL) ends it.
    argv = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
            "--as-pid-1", "--hostname", "sandbox", "--cap-drop", "ALL"]  # fmt: skip
    if block_fd >= 0:
        # Root: the caller writes the user mapping; the bootstrap switches to 65534 with
        # these two capabilities, which the switch itself then clears.
        argv += ["--userns-block-fd", str(block_fd), "--info-fd", str(info_fd),
                 "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]  # fmt: skip
    else:
        argv += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_GID), "--disable-userns"]
    if seccomp_fd >= 0:
        argv += ["--seccomp", str(seccomp_fd)]
    interpreter, links = interpreter_paths(python)
    ro = _outermost([*LIB_DIRS, *ETC_FILES, *interpreter, str(SIMULATOR_DIR), *ro_paths])
    link_paths = [dest for _, dest in links if not any(_under(dest, r) for r in ro)]
    top = [(os.readlink(p), p) for p in TOP_LINKS if os.path.islink(p)]
    top_dirs = [p for p in TOP_LINKS if not os.path.islink(p) and os.path.isdir(p)]
    ro = _outermost([*ro, *top_dirs])
    # The private /tmp first: the binds below may live under /tmp on the host (a checkout
    # or a venv in /tmp), and a tmpfs mounted after them would hide them.
    argv += ["--size", str(TMP_BYTES), "--perms", "1777", "--tmpfs", "/tmp"]
    for folder in _parents([*ro, *link_paths, SCRATCH]):
        argv += ["--perms", "0755", "--dir", folder]
    for path in ro:
        argv += ["--ro-bind", path, path]
    for target, dest in top:
        argv += ["--symlink", target, dest]
    for target, dest in links:
        if dest in link_paths:
            argv += ["--symlink", target, dest]
    argv += ["--bind", str(scratch), SCRATCH,
             "--proc", "/proc", "--dev", "/dev", "--chdir", SCRATCH, "--clearenv"]  # fmt: skip
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return argv


def map_root_user(info_r: int, block_w: int) -> None:
    """Root mode: map root (for bubblewrap's setup) and 65534 (for the child) into the
    sandbox's user namespace, then let bubblewrap go on. Raises OSError on failure."""
    deadline = time.monotonic() + SETUP_TIMEOUT_S
    data = b""
    info = None
    while info is None:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([info_r], [], [], left)[0]:
            raise OSError("bubblewrap did not report its sandbox in time")
        chunk = os.read(info_r, 4096)
        if not chunk:
            raise OSError("bubblewrap stopped before setting up the sandbox")
        data += chunk
        try:
            info = json.loads(data)
        except ValueError:
            continue
    pid = int(info["child-pid"])
    with open(f"/proc/{pid}/uid_map", "w") as fh:
        fh.write(f"0 0 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n")
    with open(f"/proc/{pid}/gid_map", "w") as fh:
        fh.write(f"0 0 1\n{SANDBOX_GID} {SANDBOX_GID} 1\n")
    os.write(block_w, b"1")


def popen_jailed(
    command: Callable[[int], list[str]], *, bwrap: str, scratch: Path, python: str,
    env: dict[str, str], ro_paths: Sequence[str] = (), **popen,
) -> subprocess.Popen:
    """Start `command(uid)` in bubblewrap, working in `scratch`; `uid` is the user the
    command's bootstrap must become first (-1: it already is that user). Raises OSError
    (or SandboxUnavailable) if the sandbox cannot be built."""
    root = as_root()
    ours: list[int] = []  # our ends of the pipes to bubblewrap
    theirs: list[int] = []  # its ends: passed on, then closed here
    info_r = block_w = info_w = block_r = seccomp = -1
    try:
        if root:
            # The child's own folder; bubblewrap, still root without capabilities when it
            # enters it, needs the search bit (the folder above is private anyway).
            os.chown(scratch, SANDBOX_UID, SANDBOX_GID)
            os.chmod(scratch, 0o711)
            info_r, info_w = os.pipe()
            block_r, block_w = os.pipe()
            ours, theirs = [info_r, block_w], [info_w, block_r]
        try:
            seccomp = filter_fd()
            theirs.append(seccomp)
        except SeccompUnavailable:
            pass  # said at worker start (racing.sandbox.sandbox_check)
        argv = jail_argv(bwrap, scratch=scratch, python=python, env=env, ro_paths=ro_paths,
                         info_fd=info_w, block_fd=block_r, seccomp_fd=seccomp)
        proc = subprocess.Popen(argv + command(SANDBOX_UID if root else -1), env=env,
                                pass_fds=theirs, **popen)
    except BaseException:
        for fd in ours:
            os.close(fd)
        raise
    finally:
        for fd in theirs:
            os.close(fd)
    if root:
        try:
            map_root_user(info_r, block_w)
        except (OSError, KeyError, ValueError) as exc:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            detail = proc.stderr.read(4096).decode("utf-8", "replace").strip() if proc.stderr else ""
            for stream in (proc.stdout, proc.stderr):
                if stream:
                    stream.close()
            raise OSError(detail or str(exc)) from None
        finally:
            for fd in ours:
                os.close(fd)
    return proc
