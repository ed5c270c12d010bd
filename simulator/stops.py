"""The sandbox's limits as the clean end of a race: a race that runs out of CPU time or of
wall clock fails where it is, with where and when and its replay so far, instead of
being killed with nothing to show.

The league's sandbox sets a soft CPU limit two seconds under the hard one, so the kernel
sends SIGXCPU first; the wall clock is the child's own alarm (`race --stop-after`), armed
a little before the sandbox's deadline. Either raises RaceStopped in the race's thread,
which the race loops (race.py, live.py) turn into a failed run. It is a BaseException so
that no `except Exception` on the way (a model's crash in policy.py) mistakes it for the
model's own failure. A stop is never part of an official result that finished: it only
ends runs that the sandbox would otherwise have killed.
"""

from __future__ import annotations

import resource
import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator


class RaceStopped(BaseException):
    """The race ran out of CPU time or wall clock; the message says which (failures.py
    reads its kind from the start of it)."""


def cpu_message(soft_limit_s: int) -> str:
    limit = f" ({soft_limit_s} s)" if soft_limit_s != resource.RLIM_INFINITY else ""
    return (f"the race used up its CPU time{limit}: the model is too slow on average over the whole "
            "race for this time cap")


def wall_message(stop_after_s: float) -> str:
    return (f"the race ran out of time ({stop_after_s:g} s of wall clock): the model is too slow "
            "for this time cap, or the machine is overloaded")


@contextmanager
def stopping(stop_after_s: float | None = None, *, started: float | None = None) -> Iterator[None]:
    """While the block runs, SIGXCPU and the alarm (`stop_after_s` after `started`, a
    time.monotonic() value, or now) raise RaceStopped, once. Afterwards they only
    note it: the result is being written, and the sandbox's hard limits still end a
    child that overstays."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only: a race run from another one has no stop
        return
    armed = [True]

    def stop(message: str) -> None:
        if armed[0]:
            armed[0] = False
            raise RaceStopped(message)

    # Read now: the kernel raises the soft limit by a second with each SIGXCPU it sends.
    cpu_text = cpu_message(resource.getrlimit(resource.RLIMIT_CPU)[0])
    previous_cpu = signal.signal(signal.SIGXCPU, lambda signum, frame: stop(cpu_text))
    previous_alarm = None
    if stop_after_s is not None:
        remaining_s = stop_after_s - (time.monotonic() - (started if started is not None else time.monotonic()))
        previous_alarm = signal.signal(signal.SIGALRM, lambda signum, frame: stop(wall_message(stop_after_s)))
        signal.setitimer(signal.ITIMER_REAL, max(remaining_s, 0.001))
    try:
        yield
    finally:
        armed[0] = False
        if stop_after_s is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous_alarm)
        # SIGXCPU repeats every second until the hard limit: ignored from here on, not
        # the default (which would end the process before its result is written).
        signal.signal(signal.SIGXCPU, signal.SIG_IGN if previous_cpu == signal.SIG_DFL else previous_cpu)
