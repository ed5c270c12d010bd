"""`ws/live/<race_id>/`: a race night as it happens (live/nights.py, docs/live.md). Public
for a public race; a private race's stream answers 4404 to whoever may not see it.

Frames come 15 a second to every viewer, so this stream does not give each socket its
own channel in the layer (a copy of each frame per socket, encoded once per socket): a
`NightHub` per process subscribes once per race and writes each message, encoded once,
to the process's sockets of that race. A socket that cannot take a message within
`SLOW_SEND_S` is closed (its page reconnects and gets a snapshot), so one stalled viewer
never holds up the others.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from channels.db import database_sync_to_async

from nights.selectors import live_race_get

from . import events, nights
from .consumers import CLOSE_NOT_FOUND, SNAPSHOT_BURST, LiveConsumer, Refused
from .relay import relay

logger = logging.getLogger(__name__)

SLOW_SEND_S = 1.0
CLOSE_TOO_SLOW = 4408


class NightHub:
    """The process's viewers of each race night, fed from one channel of the layer."""

    def __init__(self) -> None:
        self.viewers: dict[str, set] = {}
        # One pump per group, claimed before the first await: viewers arriving while it
        # subscribes (a crowd at once, with Redis) wait for it instead of each starting
        # another pump, which would send them every frame twice or more.
        self.pumps: dict[str, tuple[asyncio.Future, asyncio.Task]] = {}
        self.channels: dict[str, str] = {}

    async def join(self, group: str, consumer, layer) -> None:
        self.viewers.setdefault(group, set()).add(consumer)
        if group not in self.pumps:
            subscribed = asyncio.get_running_loop().create_future()
            self.pumps[group] = (subscribed, asyncio.create_task(self._pump(group, layer, subscribed)))
        await asyncio.shield(self.pumps[group][0])  # in the group before the snapshot

    async def leave(self, group: str, consumer, layer) -> None:
        viewers = self.viewers.get(group)
        if viewers is None:
            return
        viewers.discard(consumer)
        if not viewers:
            del self.viewers[group]
            _, task = self.pumps.pop(group)
            task.cancel()
            channel = self.channels.pop(group, None)
            if channel is not None:
                await layer.group_discard(group, channel)

    async def _pump(self, group: str, layer, subscribed: asyncio.Future) -> None:
        try:
            channel = await layer.new_channel()
            await layer.group_add(group, channel)
            self.channels[group] = channel
        except BaseException as exc:
            if not subscribed.done():
                subscribed.set_exception(exc)
            raise
        subscribed.set_result(channel)
        while True:
            message = await layer.receive(channel)
            text = json.dumps(message.get("event"), separators=(",", ":"))
            for consumer in list(self.viewers.get(group, ())):
                try:
                    # A deadline, not wait_for: no task made per socket and frame (500
                    # viewers at 15 frames a second).
                    async with asyncio.timeout(SLOW_SEND_S):
                        await consumer.send(text_data=text)
                except Exception:  # too slow, or gone: it reconnects and gets a snapshot
                    self.viewers.get(group, set()).discard(consumer)
                    asyncio.ensure_future(_close_quietly(consumer))


async def _close_quietly(consumer) -> None:
    """Close a viewer that was too slow; one already gone raises, and nobody awaits this
    task to hear it (the log would say "Task exception was never retrieved")."""
    try:
        await consumer.close(code=CLOSE_TOO_SLOW)
    except Exception:
        pass


_hubs: dict[asyncio.AbstractEventLoop, NightHub] = {}


def hub() -> NightHub:
    loop = asyncio.get_running_loop()
    for old in [lp for lp in _hubs if lp.is_closed()]:
        del _hubs[old]
    return _hubs.setdefault(loop, NightHub())


class NightConsumer(LiveConsumer):
    async def resolve(self) -> str:
        self.live = await database_sync_to_async(self._live)()
        if self.live is None:
            raise Refused(CLOSE_NOT_FOUND, "There is no such live race.")
        return nights.night_group(self.live.race_id)

    def _live(self):
        race = self.visible_race()
        return None if race is None else live_race_get(race)

    def snapshot(self, offset=None, limit=None) -> dict:
        self.live.refresh_from_db()
        return nights.snapshot(self.live)

    async def connect(self) -> None:
        self._tokens, self._tokens_at = float(SNAPSHOT_BURST), time.monotonic()
        try:
            group = await self.resolve()
        except Refused as refused:
            await self.accept()
            await self.send_json({"type": "error", "error": refused.reason, "code": refused.code})
            await self.close(code=refused.code)
            return
        if events.transport() == "database":
            await relay.subscribe()  # before the snapshot: the relay delivers everything after it
            self.subscribed = True
        self.group = group
        await hub().join(group, self, self.channel_layer)
        await self.accept()
        await self.send_snapshot()

    async def disconnect(self, code) -> None:
        if self.group is not None:
            await hub().leave(self.group, self, self.channel_layer)
            self.group = None
        if self.subscribed:
            self.subscribed = False
            await relay.unsubscribe()
