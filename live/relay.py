"""The embedded transport of live updates: the event log, read by one poller per process.

Without Redis, a worker and a web process share no memory, so the in-memory channel
layer cannot carry a worker's message to a socket. Instead every published message is a
`LiveEvent` row (written inside the transaction of the change), and each web process
runs one `Relay`: a thread that, while at least one socket of this process is open,
reads the rows after the last id it has seen every `LIVE_POLL_INTERVAL_S` (0.25 s; every
`BUSY_POLL_S` while rows keep coming), one query on the primary key whatever the number
of sockets, and hands them to the event loop, which sends them to the groups of the
in-memory layer.

Ids are handed out in insert order but, on PostgreSQL, may become visible out of order
(a transaction that took id 7 commits after the one that took id 8). The relay therefore
keeps looking for a skipped id for `GAP_WAIT_S` before giving up on it; on SQLite (one
writer at a time) there are no gaps.

The thread keeps its own database connection (it is not a request thread, so nothing
closes it between polls) and stops when the last socket of the process closes; the next
socket starts it again from the newest row (that socket gets a snapshot first).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import timedelta

from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from .models import LiveEvent

logger = logging.getLogger("live")

GAP_WAIT_S = 10.0
RETENTION_S = 600.0  # rows older than this are deleted (a poller reads them within 1 s)
PRUNE_EVERY_S = 60.0
BATCH = 500
MAX_GAPS = 200


# While events flow (a race night's 15 frames a second), the log is read this often, until
# BUSY_FOR_S after the last new row: a frame waits 40 ms for the poller, not up to the
# idle interval. A read is one query on the primary key, whatever the number of sockets.
BUSY_POLL_S = 0.04
BUSY_FOR_S = 2.0


def poll_interval_s() -> float:
    return float(getattr(settings, "LIVE_POLL_INTERVAL_S", 0.25))


class Relay:
    """One per process. `subscribe()`/`unsubscribe()` from the consumers (in the event
    loop); the polling runs in a daemon thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loops: dict[asyncio.AbstractEventLoop, int] = {}
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self.polls = 0  # queries made, for tests and the curious

    # --- called from the event loop -----------------------------------------------------

    async def subscribe(self) -> None:
        """Count a socket of the running loop; returns once the poller knows where the
        log ends, so that a snapshot read afterwards misses nothing."""
        loop = asyncio.get_running_loop()
        with self._lock:
            self._loops[loop] = self._loops.get(loop, 0) + 1
            if self._thread is None or not self._thread.is_alive():
                self._ready = threading.Event()
                self._stop = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, args=(self._ready, self._stop), name="live-relay", daemon=True
                )
                self._thread.start()
            ready = self._ready
        if not ready.is_set():
            await loop.run_in_executor(None, ready.wait, 10.0)

    async def unsubscribe(self) -> None:
        loop = asyncio.get_running_loop()
        with self._lock:
            count = self._loops.get(loop, 0) - 1
            if count > 0:
                self._loops[loop] = count
            else:
                self._loops.pop(loop, None)

    @property
    def subscribers(self) -> int:
        with self._lock:
            return sum(self._loops.values())

    # --- the poller thread --------------------------------------------------------------

    def _active_loops(self, stop: threading.Event) -> list[asyncio.AbstractEventLoop]:
        with self._lock:
            for loop in [loop for loop in self._loops if loop.is_closed()]:
                del self._loops[loop]  # its sockets died with it
            loops = [loop for loop, n in self._loops.items() if n > 0]
            if not loops:
                # Last socket gone: this thread ends; the next subscriber starts another.
                stop.set()
                if self._thread is threading.current_thread():
                    self._thread = None
            return loops

    def _run(self, ready: threading.Event, stop: threading.Event) -> None:
        last_id: int | None = None
        gaps: dict[int, float] = {}  # skipped id -> when first missed
        next_prune = time.monotonic() + PRUNE_EVERY_S
        busy_until = 0.0
        try:
            while not stop.is_set():
                try:
                    if last_id is None:
                        last_id = LiveEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
                        ready.set()
                    else:
                        seen, last_id = last_id, self._poll_once(LiveEvent, last_id, gaps, stop)
                        if last_id != seen:
                            busy_until = time.monotonic() + BUSY_FOR_S
                        if time.monotonic() >= next_prune:
                            next_prune = time.monotonic() + PRUNE_EVERY_S
                            LiveEvent.objects.filter(
                                created_at__lt=timezone.now() - timedelta(seconds=RETENTION_S)
                            ).delete()
                except Exception:
                    logger.exception("live relay: reading the event log failed")
                    connection.close()
                    stop.wait(1.0)
                idle = poll_interval_s()
                stop.wait(min(idle, BUSY_POLL_S) if time.monotonic() < busy_until else idle)
        finally:
            ready.set()  # never leave a subscriber waiting
            connection.close()

    def _poll_once(self, LiveEvent, last_id: int, gaps: dict[int, float], stop) -> int:
        loops = self._active_loops(stop)
        if not loops:
            return last_id
        wanted = Q(id__gt=last_id)
        if gaps:
            wanted |= Q(id__in=list(gaps))
        rows = list(
            LiveEvent.objects.filter(wanted).order_by("id").values_list("id", "group", "payload")[:BATCH]
        )
        self.polls += 1
        batch = []
        for row_id, group, payload in rows:
            if row_id <= last_id:
                if gaps.pop(row_id, None) is None:
                    continue  # delivered already
            else:
                now = time.monotonic()
                for missing in range(max(last_id + 1, row_id - MAX_GAPS), row_id):
                    gaps[missing] = now
                last_id = row_id
            batch.append((group, payload))
        if gaps:
            too_old = time.monotonic() - GAP_WAIT_S
            for missing in [i for i, seen in gaps.items() if seen < too_old]:
                del gaps[missing]
            if len(gaps) > MAX_GAPS:  # a burst of rolled-back inserts: stop waiting for them
                for missing in sorted(gaps)[: len(gaps) - MAX_GAPS]:
                    del gaps[missing]
        if batch:
            for loop in loops:
                try:
                    asyncio.run_coroutine_threadsafe(_deliver(batch), loop)
                except RuntimeError:  # the loop closed meanwhile
                    pass
        return last_id


async def _deliver(batch: list[tuple[str, dict]]) -> None:
    layer = get_channel_layer()
    for group, payload in batch:
        try:
            await layer.group_send(group, {"type": "live.event", "event": payload})
        except Exception:
            logger.exception("live relay: could not send to %s", group)


relay = Relay()
