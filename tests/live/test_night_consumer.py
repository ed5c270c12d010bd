"""The night stream's hub: a crowd of viewers arriving at once on the Redis layer (whose
group_add really waits on the network) shares one subscription per process, so each
frame reaches each viewer exactly once."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers, get_channel_layer

from live.night_consumer import hub
from live.nights import night_group
from nights import control
from tests import factories as f
from tests.live.test_consumers import connect, receive
from tests.live.test_redis_layer import redis_server  # noqa: F401 (fixture)

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

CROWD = 20


@pytest.fixture
def redis_layer(redis_server, settings):  # noqa: F811
    settings.LIVE_TRANSPORT = "channel_layer"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": [redis_server.url]}}}
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


def live_race():
    race = f.community_race()
    control.live_settings_set(race, mode="live")
    return race


async def test_a_crowd_arriving_at_once_gets_each_frame_once(redis_layer):
    race = await sync_to_async(live_race)()
    sockets = [connect(f"/ws/live/{race.pk}/") for _ in range(CROWD)]
    connected = await asyncio.gather(*(socket.connect() for socket in sockets))
    assert all(ok for ok, _ in connected)
    for socket in sockets:
        assert (await receive(socket))["type"] == "snapshot"
    assert len(hub().pumps) == 1  # one subscription for the whole crowd

    frame = {"type": "frame", "step": 7, "clock": 0.467, "x": 1.0, "y": 2.0}
    await get_channel_layer().group_send(night_group(race.pk), {"type": "live.event", "event": frame})
    for socket in sockets:
        assert await receive(socket) == frame
    for socket in sockets:
        assert await socket.receive_nothing(timeout=0.2)  # no second copy

    for socket in sockets:
        await socket.disconnect()
    assert not hub().pumps  # the last viewer gone, the subscription too
