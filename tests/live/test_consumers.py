"""The websocket consumers with Channels' communicator: snapshots on connect, updates
when results land, submission streams for their owner only, both transports (the
channel layer, and the database event log polled by the web process)."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest
from asgiref.sync import sync_to_async
from channels.layers import channel_layers
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from live import events
from racing import worker
from live.models import LiveEvent
from live.routing import websocket_urlpatterns
from tests import factories as f
from tests.live_support import record_result, submit

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

TRANSPORTS = ["channel_layer", "database"]


@pytest.fixture(autouse=True)
def fresh_layer(settings):
    """An in-memory layer per test (its queues belong to the test's event loop)."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.LIVE_POLL_INTERVAL_S = 0.05
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast sign-ups
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


@pytest.fixture(params=TRANSPORTS)
def transport(request, settings):
    settings.LIVE_TRANSPORT = request.param
    return request.param


def connect(path: str, user=None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user or AnonymousUser()
    return communicator


async def receive(communicator, timeout: float = 10.0) -> dict:
    return await communicator.receive_json_from(timeout=timeout)


async def receive_type(communicator, kind: str, timeout: float = 10.0) -> dict:
    """The next message of that type (others are skipped)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        left = deadline - asyncio.get_running_loop().time()
        assert left > 0, f"no {kind} message"
        message = await communicator.receive_json_from(timeout=left)
        if message["type"] == kind:
            return message


async def closed_with(communicator) -> int:
    """The close code of a refused socket; nothing but the error may come before it."""
    while True:
        output = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return output.get("code")
        if output["type"] == "websocket.send":
            assert json.loads(output["text"])["type"] == "error", output


# --- Race leaderboards --------------------------------------------------------------------


async def test_result_reaches_race_socket(transport):
    race = await sync_to_async(f.race)()
    slow = await sync_to_async(f.racer)("Slow Poke")
    await sync_to_async(record_result)(slow, race, 40.0)

    socket = connect(f"/ws/races/{race.pk}/")
    connected, _ = await socket.connect()
    assert connected
    snapshot = await receive(socket)
    assert snapshot["type"] == "leaderboard.snapshot" and snapshot["race"] == race.pk
    assert [(r["rank"], r["racer"]) for r in snapshot["rows"]] == [(1, "Slow Poke")]

    fast = await sync_to_async(f.racer)("Fast Lane")
    result = await sync_to_async(record_result)(fast, race, 30.5)

    update = await receive_type(socket, "leaderboard.update")
    assert update["race"] == race.pk and update["count"] == 2
    assert update["leader_time_s"] == 30.5
    rows = [(r["rank"], r["racer"], r["time_s"], r["gap_s"]) for r in update["rows"]]
    assert rows == [(1, "Fast Lane", 30.5, 0.0), (2, "Slow Poke", 40.0, 9.5)]
    assert update["rows"][1]["time"] == "40.000" and update["rows"][1]["gap"] == "+9.500"
    assert update["changed"] == [
        {"racer": "Fast Lane", "result_id": result.pk, "status": "finished",
         "official_time_s": 30.5, "rank": 1, "improved": True}
    ]  # fmt: skip
    await socket.disconnect()


async def test_race_socket_snapshot_on_request_pages_the_board(transport):
    race = await sync_to_async(f.race)()
    for i in range(5):
        racer = await sync_to_async(f.racer)(f"Pager {i}")
        await sync_to_async(record_result)(racer, race, 30.0 + i)
    socket = connect(f"/ws/races/{race.pk}/")
    assert (await socket.connect())[0]
    await receive(socket)
    await socket.send_json_to({"type": "snapshot", "offset": 3, "limit": 2})
    page = await receive(socket)
    assert page["type"] == "leaderboard.snapshot" and page["offset"] == 3 and page["count"] == 5
    assert [(r["rank"], r["racer"], r["gap_s"]) for r in page["rows"]] == [
        (4, "Pager 3", 3.0), (5, "Pager 4", 4.0)
    ]  # fmt: skip
    await socket.send_json_to({"type": "ping"})
    assert (await receive(socket)) == {"type": "pong"}
    await socket.send_to(text_data="not json")
    assert (await receive(socket))["type"] == "error"
    await socket.disconnect()


async def test_race_socket_carries_no_private_data(transport):
    race = await sync_to_async(f.race)()
    owner = await sync_to_async(f.racer)("Public Face")
    socket = connect(f"/ws/races/{race.pk}/")
    assert (await socket.connect())[0]
    await receive(socket)
    await sync_to_async(record_result)(owner, race, 33.3)
    update = await receive_type(socket, "leaderboard.update")
    text = json.dumps(update)
    model_names = await sync_to_async(lambda: list(owner.models.values_list("name", flat=True)))()
    assert model_names and not any(name in text for name in model_names)
    for row in update["rows"]:
        assert not {"submission", "model", "model_name", "error", "user", "username"} & set(row)
    assert "username" not in text and owner.user.username not in text
    # A status change of a submission goes to its own stream only.
    await sync_to_async(submit)(owner, race)
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()


async def test_unknown_race_is_refused():
    socket = connect("/ws/races/999999/")
    connected, _ = await socket.connect()
    assert connected
    assert await closed_with(socket) == 4404


# --- Season standings ---------------------------------------------------------------------


async def test_standings_update_reaches_season_socket(transport):
    race = await sync_to_async(f.race)()
    season = await sync_to_async(lambda: race.season)()
    socket = connect(f"/ws/seasons/{season.slug}/")
    assert (await socket.connect())[0]
    snapshot = await receive(socket)
    assert snapshot == {
        "type": "standings.snapshot", "season": season.slug, "count": 0, "offset": 0,
        "limit": 100, "rows": [],
    }  # fmt: skip
    racer = await sync_to_async(f.racer)("Points Hunter")
    await sync_to_async(record_result)(racer, race, 31.0)
    update = await receive_type(socket, "standings.update")
    assert update["rows"] == [
        {"rank": 1, "racer": "Points Hunter", "points": 25, "races": 1, "wins": 1,
         "best_rank": 1, "cells": {str(race.pk): {"rank": 1, "finished": True, "points": 25}}}
    ]  # fmt: skip
    await socket.disconnect()


# --- Submissions --------------------------------------------------------------------------


async def test_submission_socket_refuses_another_racer_and_anonymous():
    race = await sync_to_async(f.race)()
    owner = await sync_to_async(f.racer)()
    other = await sync_to_async(f.racer)()
    submission = await sync_to_async(submit)(owner, race)
    path = f"/ws/submissions/{submission.pk}/"

    socket = connect(path, other.user)
    assert (await socket.connect())[0]
    assert await closed_with(socket) == 4404  # as the pages: someone else's is a missing one

    socket = connect(path)  # anonymous
    assert (await socket.connect())[0]
    assert await closed_with(socket) == 4401

    socket = connect("/ws/submissions/999999/", owner.user)  # no such submission: the same
    assert (await socket.connect())[0]
    assert await closed_with(socket) == 4404


async def test_submission_socket_follows_status_progress_and_result(transport):
    race = await sync_to_async(f.race)()
    owner = await sync_to_async(f.racer)("Owner One")
    submission = await sync_to_async(submit)(owner, race)
    socket = connect(f"/ws/submissions/{submission.pk}/", owner.user)
    assert (await socket.connect())[0]
    snapshot = await receive(socket)
    assert snapshot["type"] == "submission.status"
    assert snapshot["submission"] == submission.pk and snapshot["status"] == "queued"
    assert snapshot["final"] is False and snapshot["result"] is None

    claim = await sync_to_async(worker.submission_claim)(submission.pk)
    running = await receive_type(socket, "submission.status")
    assert running["status"] == "running" and running["attempts"] == 1

    for lap in (1, 2, 3):
        await sync_to_async(worker.submission_progress_record)(
            claim, {"type": "progress", "lap": lap, "laps": 3, "time_s": 10.0 * lap}
        )
    laps = [(await receive_type(socket, "submission.progress"))["lap"] for _ in range(3)]
    assert laps == [1, 2, 3]

    from tests.live_support import result_data

    result = await sync_to_async(worker.result_record)(
        claim=claim, data=result_data(31.25), replay_path=None
    )
    finished = await receive_type(socket, "submission.status")
    assert finished["status"] == "finished" and finished["final"] is True
    assert finished["result"]["id"] == result.pk
    assert finished["result"]["official_time_s"] == 31.25 and finished["result"]["time"] == "31.250"
    assert finished["result"]["board_rank"] == 1 and finished["result"]["is_best"] is True
    assert finished["result"]["result_url"] == f"/api/results/{result.pk}/"
    await socket.disconnect()


async def test_a_page_connecting_mid_race_gets_the_lap(transport):
    race = await sync_to_async(f.race)(laps=3)
    owner = await sync_to_async(f.racer)("Late Comer")
    submission = await sync_to_async(submit)(owner, race)
    claim = await sync_to_async(worker.submission_claim)(submission.pk)
    await sync_to_async(worker.submission_progress_record)(
        claim, {"type": "progress", "lap": 2, "laps": 3, "time_s": 20.0}
    )
    socket = connect(f"/ws/submissions/{submission.pk}/", owner.user)
    assert (await socket.connect())[0]
    snapshot = await receive(socket)
    assert (snapshot["status"], snapshot["lap"], snapshot["laps"]) == ("running", 2, 3)
    await socket.disconnect()


async def test_failed_submission_reports_its_error(transport):
    race = await sync_to_async(f.race)()
    owner = await sync_to_async(f.racer)()
    submission = await sync_to_async(submit)(owner, race)
    socket = connect(f"/ws/submissions/{submission.pk}/", owner.user)
    assert (await socket.connect())[0]
    await receive(socket)
    claim = await sync_to_async(worker.submission_claim)(submission.pk)
    await sync_to_async(worker.submission_fail)(claim, "The policy returned NaN at step 3.")
    message = await receive_type(socket, "submission.status")
    while message["status"] != "failed":
        message = await receive_type(socket, "submission.status")
    assert message["final"] is True and message["error"] == "The policy returned NaN at step 3."
    await socket.disconnect()


# --- Transports ---------------------------------------------------------------------------


async def test_nothing_is_published_for_a_rolled_back_change(transport):
    race = await sync_to_async(f.race)()
    socket = connect(f"/ws/races/{race.pk}/")
    assert (await socket.connect())[0]
    await receive(socket)

    def rolled_back():
        with pytest.raises(RuntimeError), transaction.atomic():
            events.publish(events.race_group(race.pk), {"type": "leaderboard.update", "ghost": 1})
            raise RuntimeError("roll back")

    await sync_to_async(rolled_back)()
    assert await socket.receive_nothing(timeout=0.5)
    assert await sync_to_async(LiveEvent.objects.filter(group=f"race_{race.pk}").count)() == 0
    await socket.disconnect()


async def test_database_relay_is_one_poller_per_process(settings):
    """However many sockets are open, one thread polls the event log."""
    from live.relay import relay

    settings.LIVE_TRANSPORT = "database"
    race = await sync_to_async(f.race)()
    sockets = [connect(f"/ws/races/{race.pk}/") for _ in range(8)]
    for socket in sockets:
        assert (await socket.connect())[0]
        await receive(socket)
    pollers = [t for t in threading.enumerate() if t.name == "live-relay" and t.is_alive()]
    assert len(pollers) == 1 and relay.subscribers == 8

    racer = await sync_to_async(f.racer)("Crowd Pleaser")
    await sync_to_async(record_result)(racer, race, 29.0)
    for socket in sockets:
        update = await receive_type(socket, "leaderboard.update")
        assert update["rows"][0]["racer"] == "Crowd Pleaser"
    for socket in sockets:
        await socket.disconnect()
    assert relay.subscribers == 0


async def test_full_asgi_application_uses_the_session_and_checks_the_origin(settings):
    """config.asgi: session auth (AuthMiddlewareStack) and AllowedHostsOriginValidator."""
    from django.conf import settings as django_settings
    from django.test import Client

    from config.asgi import application

    settings.LIVE_TRANSPORT = "channel_layer"
    race = await sync_to_async(f.race)()
    owner = await sync_to_async(f.racer)()
    submission = await sync_to_async(submit)(owner, race)

    def login_cookie() -> str:
        client = Client()
        client.force_login(owner.user)
        return client.cookies[django_settings.SESSION_COOKIE_NAME].value

    session = await sync_to_async(login_cookie)()
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"),
               (b"cookie", f"{django_settings.SESSION_COOKIE_NAME}={session}".encode())]  # fmt: skip
    socket = WebsocketCommunicator(application, f"/ws/submissions/{submission.pk}/", headers=headers)
    assert (await socket.connect())[0]
    assert (await receive(socket))["status"] == "queued"
    await socket.disconnect()

    foreign = [(b"origin", b"http://evil.example"), (b"host", b"localhost")]
    socket = WebsocketCommunicator(application, f"/ws/races/{race.pk}/", headers=foreign)
    connected, _ = await socket.connect()
    assert not connected
