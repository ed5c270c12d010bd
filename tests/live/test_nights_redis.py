"""The race-night stream over channels-redis: two uvicorn processes and a worker, all
with REDIS_URL; the worker drives a real night and the viewers of both servers get its
frames and result, nothing through the database event log."""

from __future__ import annotations

import pytest
from channels.layers import channel_layers

from live.models import LiveEvent
from nights import control
from nights.queue import queue_join
from tests import factories as f
from tests.live.test_redis_layer import redis_server  # noqa: F401 (fixture)
from tests.live_support import WebServer, WsClient

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_a_night_reaches_viewers_of_two_web_processes(redis_server, settings, start_worker):  # noqa: F811
    env = {"REDIS_URL": redis_server.url}
    servers = [WebServer(str(settings.MEDIA_ROOT), kind="uvicorn", **env) for _ in range(2)]
    viewers: list[WsClient] = []
    # This process publishes too (the queue's changes): through Redis like the others.
    settings.REDIS_URL, settings.LIVE_TRANSPORT = redis_server.url, "channel_layer"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": [redis_server.url]}}}
    channel_layers.backends = {}
    try:
        for server in servers:
            server.start()
        race = f.community_race(on=f.track("oval-loop"), laps=1, time_cap_s=60)
        control.live_settings_set(race, mode="live", countdown_s=1)
        racer = f.racer("Redis Owl")
        queue_join(race=race, racer=racer, model=f.policy_model(racer))
        for server in servers:
            viewers.append(WsClient(f"ws://127.0.0.1:{server.port}/ws/live/{race.pk}/"))
        for ws in viewers:
            assert ws.receive_json()["type"] == "snapshot"
        start_worker(**env)
        control.night_start(race.live)  # the worker takes the night's task

        for ws in viewers:
            started = ws.receive_until(lambda m: m["type"] == "run_started", timeout_s=90)
            assert started["racer"] == "Redis Owl"
            frames = 0
            while True:
                message = ws.receive_json(timeout_s=60)
                frames += message["type"] == "frame"
                if message["type"] == "run_finished":
                    break
            assert message["status"] == "finished" and message["result"]["official_time_s"] > 0
            assert frames == message["result"]["steps"]
            assert ws.receive_until(lambda m: m["type"] == "board")["rows"][0]["racer"] == "Redis Owl"
        assert not LiveEvent.objects.exists()  # the Redis transport, not the event log
    finally:
        for ws in viewers:
            ws.close()
        for server in servers:
            server.stop()
        channel_layers.backends = {}
