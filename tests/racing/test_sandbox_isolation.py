"""The sandbox isolates: each escape a hostile model would try is attempted from inside a
real child, started through the same entry point as checks, races and videos
(`run_sandboxed`), and fails. Runs in bubblewrap mode (the default; CI installs it)."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from racing.isolation import PROJECT_ROOT, SANDBOX_UID
from racing.sandbox import Limits, run_sandboxed, sandbox_check
from racing.workdirs import work_dir

LIMITS = Limits(memory_bytes=512 * 1024 * 1024, cpu_s=10, wall_s=60, processes=16)

# Each attempt is reported as "ok: <what it got>" or the name of the error it met.
PRELUDE = '''
import json, os, sys
seen = {}
def attempt(name, action):
    try:
        seen[name] = "ok: " + str(action())[:200]
    except Exception as exc:
        seen[name] = type(exc).__name__
'''


def inside(code: str, limits: Limits = LIMITS) -> dict:
    """Run `code` (using `attempt`) in a sandboxed child; what each attempt got."""
    program = PRELUDE + textwrap.dedent(code) + "\nprint(json.dumps(seen))\n"
    with work_dir("isolation-test") as scratch:
        out = run_sandboxed(["-c", program], limits, cwd=scratch)
    assert out.returncode == 0 and out.limit is None, out.stderr
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


def failed(value: str) -> bool:
    return not value.startswith("ok:")


def test_the_child_is_nobody_without_capabilities():
    seen = inside('''
    attempt("uid", lambda: (os.getuid(), os.geteuid(), os.getgid(), os.getgroups()))
    status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
    attempt("caps", lambda: (status["CapEff"].strip(), status["CapPrm"].strip(), status["NoNewPrivs"].strip()))
    attempt("setuid", lambda: os.setuid(0))
    ''')
    assert seen["uid"] == f"ok: ({SANDBOX_UID}, {SANDBOX_UID}, {SANDBOX_UID}, [])"
    assert seen["caps"] == "ok: ('0000000000000000', '0000000000000000', '1')"
    assert failed(seen["setuid"])


def test_the_parents_environment_cannot_be_read(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "hush-" * 8)
    monkeypatch.setenv("DATABASE_URL", "postgres://league:pw@db/league")
    seen = inside(f'''
    attempt("parent", lambda: open("/proc/{os.getpid()}/environ", "rb").read())
    attempt("pid1", lambda: open("/proc/1/environ", "rb").read())
    attempt("own", lambda: sorted(os.environ))
    ''')
    assert failed(seen["parent"])
    text = json.dumps(seen)
    assert "hush" not in text and "postgres" not in text and "SECRET_KEY" not in text


@pytest.mark.django_db
def test_the_database_file_cannot_be_opened(settings):
    from django.db import connection

    database = Path(connection.settings_dict["NAME"])
    assert database.is_file()  # the test database: a file the worker uses
    seen = inside(f'''
    attempt("read", lambda: open({str(database)!r}, "rb").read(16))
    attempt("write", lambda: open({str(database)!r}, "r+b").write(b"x"))
    attempt("folder", lambda: os.listdir({str(database.parent)!r}))
    attempt("dev_db", lambda: open({str(PROJECT_ROOT / "db.sqlite3")!r}, "rb").read(16))
    ''')
    assert all(failed(v) for v in seen.values()), seen


def test_other_models_in_media_cannot_be_read(settings):
    other = Path(settings.MEDIA_ROOT) / "models" / "7" / "someone-elses.onnx"
    other.parent.mkdir(parents=True, exist_ok=True)
    other.write_bytes(b"another racer's model")
    seen = inside(f'''
    attempt("model", lambda: open({str(other)!r}, "rb").read())
    attempt("listing", lambda: os.listdir({str(settings.MEDIA_ROOT)!r}))
    ''')
    assert failed(seen["model"]) and failed(seen["listing"])


def test_the_projects_other_code_and_the_hosts_files_are_not_there():
    seen = inside(f'''
    attempt("settings", lambda: open({str(PROJECT_ROOT / "config" / "settings.py")!r}).read(10))
    attempt("racing", lambda: os.listdir({str(PROJECT_ROOT / "racing")!r}))
    attempt("project", lambda: sorted(os.listdir({str(PROJECT_ROOT)!r})))
    attempt("passwd", lambda: open("/etc/passwd").read(10))
    attempt("home", lambda: os.listdir("/home"))
    attempt("simulator", lambda: __import__("simulator").__name__)
    ''')
    assert failed(seen["settings"]) and failed(seen["racing"])
    assert failed(seen["passwd"]) and failed(seen["home"])
    assert "racing" not in seen["project"] and "config" not in seen["project"]
    assert seen["simulator"] == "ok: simulator"  # what it needs is there


def test_no_network_not_even_the_hosts_loopback():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.3)
    port = server.getsockname()[1]
    try:
        seen = inside(f'''
        import socket
        def connect(host, port):
            s = socket.create_connection((host, port), timeout=2)
            s.sendall(b"hello")
            return "connected"
        attempt("host", lambda: connect("127.0.0.1", {port}))
        attempt("outside", lambda: connect("1.1.1.1", 80))
        ''')
        with pytest.raises(socket.timeout):
            server.accept()  # nobody came
    finally:
        server.close()
    assert failed(seen["host"]) and failed(seen["outside"])


def test_the_process_limit_stops_a_fork_bomb():
    seen = inside('''
    import time
    children = []
    def fork_many():
        for n in range(200):
            pid = os.fork()
            if pid == 0:
                time.sleep(5)
                os._exit(0)
            children.append(pid)
        return len(children)
    attempt("forks", fork_many)
    seen["forked"] = len(children)
    ''')
    assert seen["forks"] == "BlockingIOError"  # EAGAIN: RLIMIT_NPROC
    assert seen["forked"] < LIMITS.processes


def test_the_parents_processes_are_out_of_sight():
    seen = inside(f'''
    attempt("signal_parent", lambda: os.kill({os.getpid()}, 0))
    attempt("ppid", lambda: os.getppid())
    attempt("pids", lambda: sorted(p for p in os.listdir("/proc") if p.isdigit()))
    ''')
    assert failed(seen["signal_parent"])
    assert seen["ppid"] == "ok: 0" and seen["pids"] == "ok: ['1']"


def test_nothing_but_the_scratch_folder_is_written(tmp_path):
    marker = f"sandbox-marker-{os.getpid()}"
    targets = {
        "root": "/escape",
        "usr": "/usr/lib/escape",
        "simulator": str(PROJECT_ROOT / "simulator" / "escape.py"),
        "project": str(PROJECT_ROOT / "escape"),
        "host_tmp_path": str(tmp_path / "escape"),
    }
    attempts = "\n".join(f'attempt({k!r}, lambda: open({v!r}, "w").write("x"))' for k, v in targets.items())
    with work_dir("isolation-test") as scratch:
        code = PRELUDE + attempts + f'''
attempt("scratch", lambda: open("mine.txt", "w").write("x"))
attempt("private_tmp", lambda: open("/tmp/{marker}", "w").write("x"))
print(json.dumps(seen))
'''
        out = run_sandboxed(["-c", code], LIMITS, cwd=scratch)
        seen = json.loads(out.stdout)
        assert (scratch / "mine.txt").read_text() == "x"  # its own folder works
    assert all(failed(seen[k]) for k in targets), seen
    assert seen["private_tmp"] == "ok: 1" and not Path("/tmp", marker).exists()
    assert not any(Path(p).exists() for p in targets.values())


def test_the_kernel_is_asked_for_little():
    # The seccomp filter (racing/syscalls.py): no nested namespaces, no tracing, no
    # network sockets even where a network namespace has none to reach.
    seen = inside('''
    import ctypes, socket
    libc = ctypes.CDLL(None, use_errno=True)
    def call(result):
        if result != 0:
            raise OSError(ctypes.get_errno(), "refused")
        return result
    attempt("user_namespace", lambda: call(libc.unshare(0x10000000)))
    attempt("mount_namespace", lambda: call(libc.unshare(0x00020000)))
    attempt("ptrace", lambda: call(libc.ptrace(16, 1, 0, 0)))  # PTRACE_ATTACH
    attempt("inet_socket", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    attempt("netlink_socket", lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0))
    attempt("unix_socket", lambda: socket.socketpair()[0].family)
    attempt("thread", lambda: __import__("threading").Thread(target=int).start())
    ''')
    assert all(failed(seen[k]) for k in ("user_namespace", "mount_namespace", "ptrace",
                                         "inet_socket", "netlink_socket")), seen
    assert not failed(seen["unix_socket"]) and not failed(seen["thread"])


def test_weak_mode_warns_on_every_run(settings, caplog):
    settings.RACING = {**settings.RACING, "SANDBOX": "weak"}
    with work_dir("isolation-test") as scratch:
        for _ in range(2):
            out = run_sandboxed(["-c", "import os; print(os.getuid())"], LIMITS, cwd=scratch)
            assert out.returncode == 0 and out.stdout.strip() == str(os.getuid()).encode()
    warnings = [r for r in caplog.records if "RACING_SANDBOX=weak" in r.getMessage()]
    assert len(warnings) == 2 and all(r.levelname == "WARNING" for r in warnings)


def test_a_host_without_bubblewrap_is_told_how_to_fix_it(settings):
    settings.RACING = {**settings.RACING, "BWRAP": "/nonexistent/bwrap"}
    with pytest.raises(CommandError, match="apt-get install bubblewrap"):
        call_command("db_worker")
    # A bwrap that cannot build a sandbox (user namespaces off) fails the probe alike.
    settings.RACING = {**settings.RACING, "BWRAP": "/bin/false"}
    with pytest.raises(CommandError, match="user namespaces"):
        call_command("db_worker")
    settings.RACING = {**settings.RACING, "BWRAP": "", "SANDBOX": "weak"}
    assert sandbox_check() == "weak"  # the organiser's explicit choice


def test_the_sandbox_works_here():
    assert sandbox_check() == "bwrap"


def test_what_it_may_read_stays_visible_under_the_hosts_tmp():
    """A checkout or a venv under /tmp on the host (CI clones into one) is still bound:
    the child's private /tmp is mounted before the read-only binds, not over them."""
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        os.chmod(folder, 0o755)  # readable by the sandbox's unprivileged user, as a venv is
        Path(folder, "shared.txt").write_text("visible")
        with work_dir("isolation-test") as scratch:
            out = run_sandboxed(
                ["-c", f"print(open({str(Path(folder, 'shared.txt'))!r}).read())"], LIMITS,
                cwd=scratch, ro_paths=[folder],
            )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.decode().strip() == "visible"
