"""How many upload checks run at once: at most RACING["CHECKS_AT_ONCE"] per web process
and one per racer, anywhere.

Each check is a sandboxed child of up to RACING["SANDBOX_MEMORY_MB"] that runs the model's
trial inference, several seconds of a core. Unbounded, a handful of parallel uploads holds
every core and thread of the web process and the pages and the API's reads queue behind
them. So a check that cannot start at once is not queued either: the upload is refused
with ChecksBusy (the API answers 503 with Retry-After, the page asks to try again), and
the request's thread is free again within a moment.
"""

from __future__ import annotations

import contextlib
import threading
import uuid

from django.conf import settings
from django.core.cache import cache

# How long a request waits for a free slot of its process before it is told to retry:
# long enough to take a slot that is being freed, far too short to pile requests up.
SLOT_WAIT_S = 0.25
# What the refusal suggests: about one check's time.
RETRY_AFTER_S = 10

_slots: threading.BoundedSemaphore | None = None
_slots_size = 0
_slots_lock = threading.Lock()


class ChecksBusy(Exception):
    """No check can start now; try again after `retry_after_s`."""

    def __init__(self, message: str, retry_after_s: int = RETRY_AFTER_S):
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


def _process_slots() -> threading.BoundedSemaphore:
    """The process's semaphore, sized by the setting (made again if the setting changes,
    as in tests)."""
    global _slots, _slots_size
    size = max(1, int(settings.RACING.get("CHECKS_AT_ONCE", 2)))
    with _slots_lock:
        if _slots is None or _slots_size != size:
            _slots, _slots_size = threading.BoundedSemaphore(size), size
        return _slots


def _racer_key(racer_id: int) -> str:
    return f"racing:upload-check:{racer_id}"


@contextlib.contextmanager
def check_slot(racer_id: int):
    """Hold one of the process's check slots and the racer's one check for the block.

    The racer's lock lives in the shared cache (every web process sees it) and expires on
    its own after the longest check, should its process die holding it.
    """
    key, token = _racer_key(racer_id), uuid.uuid4().hex
    timeout_s = int(float(settings.RACING["CHECK_WALL_S"])) + 30
    if not cache.add(key, token, timeout=timeout_s):
        raise ChecksBusy(
            "Your previous upload is still being checked; upload this one when it is done."
        )
    try:
        slots = _process_slots()
        if not slots.acquire(timeout=SLOT_WAIT_S):
            raise ChecksBusy(
                "The server is checking other uploads just now; nothing was stored. "
                f"Please try again in {RETRY_AFTER_S} seconds."
            )
        try:
            yield
        finally:
            slots.release()
    finally:
        if cache.get(key) == token:
            cache.delete(key)
