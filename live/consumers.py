"""Websocket consumers of the live league (routes in live/routing.py, messages in
docs/live.md).

Every socket follows one stream (a channel-layer group). On connect it gets a snapshot
of the stream's current state, so a page that reconnects after a dropped connection
catches up by itself; afterwards it gets the updates the services publish
(live/events.py). A page may ask for a snapshot again, e.g. of another page of a board:
`{"type": "snapshot", "offset": 50, "limit": 50}`.

Race and season streams are public. A submission stream is its owner's only: other
users are closed with 4404, exactly as for a submission that does not exist (a page
answers them 404 too), and anonymous sockets with 4401, before anything is sent.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from league import access
from league.models import Season
from racing.models import Submission

from . import events, messages
from .relay import relay

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404

SNAPSHOT_BURST = 10  # snapshot requests a socket may make at once...
SNAPSHOT_REFILL_S = 1.0  # ...and one more per second after that


class Refused(Exception):
    def __init__(self, code: int, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """One stream per socket; subclasses say which (`resolve`) and what its snapshot is."""

    group: str | None = None
    subscribed = False

    async def resolve(self) -> str:
        """Check the socket may follow its stream and return the group; raise Refused."""
        raise NotImplementedError

    def snapshot(self, offset=None, limit=None) -> dict:
        """The stream's current state (runs in a thread: may use the database)."""
        raise NotImplementedError

    def visible_race(self):
        """The race of the URL, or None: a private race is "no such race" to whoever may
        not see it (runs in a thread)."""
        races = access.visible_races(self.scope.get("user"))
        return races.filter(pk=self.scope["url_route"]["kwargs"]["race_id"]).first()

    # --- connection -----------------------------------------------------------------------

    async def connect(self) -> None:
        self._tokens = float(SNAPSHOT_BURST)
        self._tokens_at = time.monotonic()
        try:
            group = await self.resolve()
        except Refused as refused:
            # Accept, then close with an application code, so that the page can tell a
            # refusal (stop trying) from a network failure (reconnect).
            await self.accept()
            await self.send_json({"type": "error", "error": refused.reason, "code": refused.code})
            await self.close(code=refused.code)
            return
        if events.transport() == "database":
            # Before the snapshot is read: the relay then delivers everything after it.
            await relay.subscribe()
            self.subscribed = True
        self.group = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        # The page may say which rows it shows: ws/races/1/?offset=50&limit=50.
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        await self.send_snapshot(
            (query.get("offset") or [None])[0], (query.get("limit") or [None])[0]
        )

    async def disconnect(self, code) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
            self.group = None
        if self.subscribed:
            self.subscribed = False
            await relay.unsubscribe()

    # --- from the page ----------------------------------------------------------------------

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        if self.group is None:
            return
        try:
            content = json.loads(text_data or "")
        except ValueError:
            await self.send_json({"type": "error", "error": "Messages are JSON objects."})
            return
        if not isinstance(content, dict):
            await self.send_json({"type": "error", "error": "Messages are JSON objects."})
            return
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind == "snapshot":
            if not self._take_token():
                await self.send_json({"type": "error", "error": "Too many snapshot requests."})
                return
            await self.send_snapshot(content.get("offset"), content.get("limit"))
        else:
            await self.send_json({"type": "error", "error": f"Unknown message type {kind!r}."})

    def _take_token(self) -> bool:
        now = time.monotonic()
        self._tokens = min(SNAPSHOT_BURST, self._tokens + (now - self._tokens_at) / SNAPSHOT_REFILL_S)
        self._tokens_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    async def send_snapshot(self, offset=None, limit=None) -> None:
        try:
            message = await database_sync_to_async(self.snapshot)(offset, limit)
        except Exception:
            logger.exception("live snapshot of %s failed", self.group)
            await self.send_json({"type": "error", "error": "The snapshot could not be read."})
            return
        await self.send_json(message)

    # --- from the channel layer ---------------------------------------------------------

    async def live_event(self, message: dict) -> None:
        await self.send_json(message["event"])


class RaceConsumer(LiveConsumer):
    """`ws/races/<id>/`: the race's leaderboard (public, or a private race's members)."""

    async def resolve(self) -> str:
        self.race = await database_sync_to_async(self.visible_race)()
        if self.race is None:
            raise Refused(CLOSE_NOT_FOUND, "There is no such race.")
        return events.race_group(self.race.pk)


    def snapshot(self, offset=None, limit=None) -> dict:
        return messages.leaderboard(self.race, offset=offset, limit=limit)


class SeasonConsumer(LiveConsumer):
    """`ws/seasons/<slug>/`: the season's standings (public)."""

    async def resolve(self) -> str:
        self.season = await database_sync_to_async(self._season)()
        if self.season is None:
            raise Refused(CLOSE_NOT_FOUND, "There is no such season.")
        return events.season_group(self.season.slug)

    def _season(self):
        return Season.objects.filter(slug=self.scope["url_route"]["kwargs"]["slug"]).first()

    def snapshot(self, offset=None, limit=None) -> dict:
        return messages.standings(self.season, offset=offset, limit=limit)


class SubmissionConsumer(LiveConsumer):
    """`ws/submissions/<id>/`: status, progress and result of one submission, for its
    owner only (session authentication)."""

    async def resolve(self) -> str:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            raise Refused(CLOSE_UNAUTHENTICATED, "Sign in to follow your submissions.")
        self.submission_id = int(self.scope["url_route"]["kwargs"]["submission_id"])
        owned = await database_sync_to_async(self._owned)(user)
        if not owned:
            # Someone else's submission looks exactly like one that does not exist.
            raise Refused(CLOSE_NOT_FOUND, "There is no such submission.")
        return events.submission_group(self.submission_id)

    def _owned(self, user) -> bool:
        return Submission.objects.filter(pk=self.submission_id, racer__user_id=user.pk).exists()

    def snapshot(self, offset=None, limit=None) -> dict:
        return messages.submission_status(Submission.objects.get(pk=self.submission_id))
