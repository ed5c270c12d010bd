"""The scaled set-up: channels-redis carries live updates between processes.

A private redis-server on a free port (no persistence), started per module, or the
server at REDIS_TEST_URL. Skipped if redis-server is not installed, except in CI
(REQUIRE_REDIS=1) where that fails.
"""

from __future__ import annotations

import asyncio
import os

import pytest

from live.models import LiveEvent
from tests import factories as f
from tests.live_support import RedisServer, WebServer, WsClient, require_redis, submit

pytestmark = pytest.mark.redis


class ExistingRedis:
    def __init__(self, url: str):
        self.url = url


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    """REDIS_TEST_URL if given (a server of your own), else a private redis-server."""
    if os.environ.get("REDIS_TEST_URL"):
        yield ExistingRedis(os.environ["REDIS_TEST_URL"])
        return
    require_redis()
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


def test_redis_layer_carries_a_group_message_between_layers(redis_server):
    """Two layer instances (as two processes would have) share groups through Redis."""
    from channels_redis.core import RedisChannelLayer

    async def scenario():
        web = RedisChannelLayer(hosts=[redis_server.url])
        worker = RedisChannelLayer(hosts=[redis_server.url])
        channel = await web.new_channel()
        await web.group_add("race_1", channel)
        await worker.group_send("race_1", {"type": "live.event", "event": {"type": "leaderboard.update"}})
        message = await asyncio.wait_for(web.receive(channel), 10)
        await web.flush()
        await web.close_pools()
        await worker.close_pools()
        return message

    assert asyncio.run(scenario()) == {"type": "live.event", "event": {"type": "leaderboard.update"}}


@pytest.mark.django_db(transaction=True)
def test_worker_result_reaches_sockets_of_two_web_processes(redis_server, settings, start_worker):
    """Two uvicorn processes and a worker, each its own process, all with REDIS_URL: the
    worker's result reaches a race socket on both servers, and the owner's submission
    socket follows status, progress and result; nothing goes through the database log."""
    from django.conf import settings as django_settings
    from django.test import Client

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    env = {"REDIS_URL": redis_server.url}
    servers = [WebServer(str(settings.MEDIA_ROOT), kind="uvicorn", **env) for _ in range(2)]
    clients: list[WsClient] = []
    try:
        for server in servers:
            server.start()
        race = f.race(tracks=[f.track("oval-loop")])
        owner = f.racer("Redis Racer")
        submission = submit(owner, race)
        client = Client()
        client.force_login(owner.user)
        cookie = f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"

        for server in servers:
            clients.append(WsClient(f"ws://127.0.0.1:{server.port}/ws/races/{race.pk}/"))
        mine = WsClient(f"ws://127.0.0.1:{servers[1].port}/ws/submissions/{submission.pk}/", cookie=cookie)
        clients.append(mine)
        for ws in clients:
            assert ws.receive_json()["type"] in ("leaderboard.snapshot", "submission.status")

        start_worker(**env)
        for ws in clients[:2]:
            update = ws.receive_until(lambda m: m["type"] == "leaderboard.update", timeout_s=90)
            assert update["count"] == 1 and update["rows"][0]["racer"] == "Redis Racer"
            assert update["rows"][0]["rank"] == 1 and update["rows"][0]["gap_s"] == 0

        seen = []
        while not seen or seen[-1] != ("submission.status", "finished"):
            message = mine.receive_json(timeout_s=90)
            seen.append((message["type"], message.get("status")))
            if message["type"] == "submission.status" and message["status"] == "finished":
                assert message["result"]["board_rank"] == 1
        assert ("submission.status", "running") in seen
        assert seen.count(("submission.progress", "running")) == race.laps
        assert not LiveEvent.objects.exists()  # the Redis transport, not the event log
    finally:
        for ws in clients:
            ws.close()
        for server in servers:
            server.stop()


@pytest.mark.django_db(transaction=True)
def test_submission_socket_on_another_server_refuses_another_racer(redis_server, settings):
    from django.conf import settings as django_settings
    from django.test import Client

    from tests.live_support import WsClosed

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    server = WebServer(str(settings.MEDIA_ROOT), kind="uvicorn", REDIS_URL=redis_server.url).start()
    try:
        race = f.race()
        submission = submit(f.racer(), race)
        client = Client()
        client.force_login(f.racer().user)
        cookie = f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}"
        ws = WsClient(f"ws://127.0.0.1:{server.port}/ws/submissions/{submission.pk}/", cookie=cookie)
        with pytest.raises(WsClosed) as closed:
            while True:
                assert ws.receive_json()["type"] == "error"
        assert closed.value.code == 4404
        ws.close()
    finally:
        server.stop()
