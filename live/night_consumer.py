"""`ws/live/<race_id>/`: a race night as it happens (live/nights.py, docs/live.md). Public
for a public race; a private race's stream answers 4404 to whoever may not see it."""

from __future__ import annotations

from channels.db import database_sync_to_async

from league import access
from nights.selectors import live_race_get

from . import nights
from .consumers import CLOSE_NOT_FOUND, LiveConsumer, Refused


class NightConsumer(LiveConsumer):
    async def resolve(self) -> str:
        self.live = await database_sync_to_async(self._live)()
        if self.live is None:
            raise Refused(CLOSE_NOT_FOUND, "There is no such live race.")
        return nights.night_group(self.live.race_id)

    def _live(self):
        # A private race is "no such race" to whoever may not see it.
        race = access.visible_races(self.scope.get("user")).filter(pk=self.scope["url_route"]["kwargs"]["race_id"]).first()
        return None if race is None else live_race_get(race)

    def snapshot(self, offset=None, limit=None) -> dict:
        self.live.refresh_from_db()
        return nights.snapshot(self.live)
