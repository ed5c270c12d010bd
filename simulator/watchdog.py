"""Ending an inference that never returns.

A step's time is measured after the inference returns, so a model whose step never ends
(a Loop with 2x10^9 trips) would hold its race until the CPU cap ends the process, and
the local CLI forever. Each inference therefore runs with its own onnxruntime
`RunOptions`; one daemon thread per process looks at the running inferences every
`POLL_S` and sets `terminate` on any that has outlived its limit. onnxruntime then stops
it between two of its nodes (a Loop checks between iterations) and the policy reports
the step as too slow. A normal step is never touched: its options are only read by the
thread, and no result depends on them.
"""

from __future__ import annotations

import threading
import weakref
from time import perf_counter, sleep

POLL_S = 0.05  # an inference is ended at most this long after its limit (plus a node)


class InferenceWatch:
    """What the watchdog knows of one policy: the running inference, if any."""

    __slots__ = ("__weakref__", "limit_s", "running")

    def __init__(self, limit_s: float):
        self.limit_s = limit_s
        # (perf_counter at its start, its RunOptions) while an inference runs, else None.
        # One attribute, written whole by the policy's thread: the watchdog never sees a
        # start time paired with the options of another step.
        self.running: tuple[float, object] | None = None
        _watchdog.add(self)


class _Watchdog:
    def __init__(self) -> None:
        self._watches: weakref.WeakSet[InferenceWatch] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, watch: InferenceWatch) -> None:
        with self._lock:
            self._watches.add(watch)
            if self._thread is None or not self._thread.is_alive():
                # Started with the first policy: a process that never runs a model (the
                # league's web server) has no such thread.
                self._thread = threading.Thread(target=self._run, name="inference-watchdog", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while True:
            if self._scan():
                sleep(POLL_S)
            else:  # every policy is gone: sleep until the next one comes
                self._wake.wait()
                self._wake.clear()

    def _scan(self) -> bool:
        """End the inferences past their limit; False if no policy is left to watch.
        (The list is local: no reference to a policy outlives a scan.)"""
        with self._lock:
            watches = list(self._watches)
        now = perf_counter()
        for watch in watches:
            running = watch.running
            if running is not None and now - running[0] > watch.limit_s:
                running[1].terminate = True
        return bool(watches)


_watchdog = _Watchdog()
