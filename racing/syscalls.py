"""The sandbox's seccomp filter: system calls a race, a check or a render never needs,
refused before the child runs anything of its own.

Namespaces and a read-only view already keep the child in; the filter narrows what it
can ask of the kernel itself, where a kernel bug would let it out: no new namespaces (in
particular no nested user namespace), no mounts, no tracing of other processes, no eBPF,
io_uring, userfaultfd, keyrings, perf events or kernel modules, and no socket but a local
(AF_UNIX) one. The filter is built by libseccomp (Debian's libseccomp2, which apt itself
depends on) through ctypes, once per process, and handed to bubblewrap (`--seccomp`) as a
compiled BPF program; bubblewrap loads it last, right before the child's command.
Syscalls of another architecture (32-bit calls on x86-64) kill the child.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import functools
import os

ACT_ALLOW = 0x7FFF0000


def ACT_ERRNO(code: int) -> int:  # libseccomp's name for it
    return 0x00050000 | (code & 0xFFFF)


CMP_NE = 1
CMP_MASKED_EQ = 7
AF_UNIX = 1
CLONE_NAMESPACES = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                    0x40000000, 0x00000080)  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME

REFUSED = (
    # namespaces and mounts
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr",
    "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
    # other processes and the kernel's rarer interfaces
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "perf_event_open", "bpf", "userfaultfd", "keyctl", "add_key", "request_key",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "open_by_handle_at", "name_to_handle_at", "iopl", "ioperm", "acct", "swapon", "swapoff",
    "reboot", "syslog", "quotactl", "vhangup", "settimeofday", "clock_settime", "clock_adjtime",
    "adjtimex", "lookup_dcookie", "uselib", "personality",
)  # fmt: skip


class _ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]  # fmt: skip


class SeccompUnavailable(RuntimeError):
    pass


@functools.lru_cache(maxsize=1)
def filter_bpf() -> bytes:
    """The compiled filter (cached); SeccompUnavailable if libseccomp is missing."""
    name = ctypes.util.find_library("seccomp")
    if not name:
        raise SeccompUnavailable("libseccomp is not installed (Debian: apt-get install libseccomp2)")
    lib = ctypes.CDLL(name, use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                           ctypes.c_uint, ctypes.POINTER(_ArgCmp)]  # fmt: skip
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_arch_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
    lib.seccomp_arch_native.restype = ctypes.c_uint32
    ctx = lib.seccomp_init(ACT_ALLOW)
    if not ctx:
        raise SeccompUnavailable("libseccomp could not start a filter")
    try:
        if lib.seccomp_arch_native() == lib.seccomp_arch_resolve_name(b"x86_64"):
            # x32 calls share x86-64's architecture tag under other numbers: the same
            # rules for them (any other architecture kills the child).
            lib.seccomp_arch_add(ctx, lib.seccomp_arch_resolve_name(b"x32"))

        def refuse(syscall: str, code: int = errno.EPERM, *conditions: _ArgCmp) -> None:
            number = lib.seccomp_syscall_resolve_name(syscall.encode())
            if number < 0:
                return  # not a syscall of this architecture
            array = (_ArgCmp * len(conditions))(*conditions) if conditions else None
            if lib.seccomp_rule_add_array(ctx, ACT_ERRNO(code), number, len(conditions), array) < 0:
                raise SeccompUnavailable(f"libseccomp refused the rule for {syscall}")

        for syscall in REFUSED:
            refuse(syscall)
        for flag in CLONE_NAMESPACES:
            refuse("clone", errno.EPERM, _ArgCmp(0, CMP_MASKED_EQ, flag, flag))
        # clone3 passes its flags in memory, out of the filter's sight: "not implemented"
        # makes the C library fall back to clone, whose flags the rules above see.
        refuse("clone3", errno.ENOSYS)
        refuse("socket", errno.EAFNOSUPPORT, _ArgCmp(0, CMP_NE, AF_UNIX, 0))
        read_fd, write_fd = os.pipe()
        try:
            if lib.seccomp_export_bpf(ctx, write_fd) < 0:
                raise SeccompUnavailable("libseccomp could not export the filter")
            os.close(write_fd)
            write_fd = -1
            with os.fdopen(read_fd, "rb") as fh:
                read_fd = -1
                return fh.read()
        finally:
            for fd in (read_fd, write_fd):
                if fd >= 0:
                    os.close(fd)
    finally:
        lib.seccomp_release(ctx)


def filter_fd() -> int:
    """A fresh readable descriptor of the filter for one bubblewrap (it reads it whole);
    the caller passes it on and closes it."""
    data = filter_bpf()
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, data)  # a few hundred bytes: far below a pipe's buffer
    finally:
        os.close(write_fd)
    return read_fd
