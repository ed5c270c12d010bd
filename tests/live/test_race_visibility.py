"""A private race's socket: whoever may not see the race is refused with 4404, as for a
race that does not exist; its racers, its facilitator and admins get the board."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from league.community import entrant_join
from live.consumers import CLOSE_NOT_FOUND
from racing.entrants import entrant_remove
from tests import factories as f
from tests.live.test_consumers import closed_with, connect, fresh_layer, receive  # noqa: F401 (fixture)
from tests.live_support import record_result

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _world(visibility: str) -> dict:
    fran = f.facilitator("Fran")
    race = f.community_race(fran, visibility=visibility)
    ann, cyd = f.racer("Ann"), f.racer("Cyd")
    for racer in (ann, cyd):
        entrant_join(race, racer)
    record_result(ann, race, 30.0)
    entrant_remove(race, cyd)
    return {
        "race": race, "fran": fran.user, "ann": ann.user, "cyd": cyd.user, "oscar": f.racer("Oscar").user,
        "olga": f.facilitator("Olga").user, "admin": f.racer("Admin", staff=True).user, "anonymous": None,
    }  # fmt: skip


async def _refused(path: str, user) -> int:
    socket = connect(path, user)
    connected, _ = await socket.connect()
    assert connected
    return await closed_with(socket)


async def test_a_private_race_socket_is_a_missing_race_to_outsiders():
    world = await sync_to_async(_world)("private")
    path = f"/ws/races/{world['race'].pk}/"
    for who in ("anonymous", "oscar", "olga", "cyd"):
        assert await _refused(path, world[who]) == CLOSE_NOT_FOUND, who
    assert await _refused("/ws/races/999999/", None) == CLOSE_NOT_FOUND
    for who in ("ann", "fran", "admin"):
        socket = connect(path, world[who])
        assert (await socket.connect())[0]
        snapshot = await receive(socket)
        assert snapshot["type"] == "leaderboard.snapshot", who
        assert [r["racer"] for r in snapshot["rows"]] == ["Ann"]
        await socket.disconnect()


async def test_an_unlisted_race_socket_is_open_to_anyone_with_the_link():
    world = await sync_to_async(_world)("unlisted")
    socket = connect(f"/ws/races/{world['race'].pk}/")
    assert (await socket.connect())[0]
    assert (await receive(socket))["type"] == "leaderboard.snapshot"
    await socket.disconnect()
