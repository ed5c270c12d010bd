"""`ws/live/<race_id>/`: the race-night stream on both transports (the channel layer, and
the database event log polled by the web process): a snapshot on connect with the queue,
the board and the run under way, then the queue, frames and the board as they happen; a
private race's stream is closed for outsiders as if it did not exist."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from nights import control, signals
from nights.models import LiveRun, QueueEntry
from nights.queue import queue_join
from racing.models import Submission
from tests import factories as f
from tests.live.test_consumers import TRANSPORTS, closed_with, connect, receive, receive_type  # noqa: F401
from tests.live.test_consumers import fresh_layer, transport  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def night(**race_kwargs):
    race = f.community_race(**race_kwargs)
    control.live_settings_set(race, mode="live")
    racer = f.racer("Night Owl")
    queue_join(race=race, racer=racer, model=f.policy_model(racer))
    return race, racer


def run_under_way(race, racer):
    """A run as the driver leaves it mid-race: its entry running, its newest frame kept."""
    entry = race.live.entries.get(racer=racer)
    QueueEntry.objects.filter(pk=entry.pk).update(status=QueueEntry.Status.RUNNING)
    submission = Submission.objects.create(racer=racer, model=entry.model, race=race, status="running")
    return LiveRun.objects.create(entry=entry, submission=submission,
                                  last_frame={"type": "frame", "step": 40, "clock": 2.667, "x": 1.0, "y": 2.0})


def stream(race_id, message):
    signals.night_streamed.send(sender=LiveRun, race_id=race_id, message=message)


async def test_snapshot_then_queue_frames_and_board(transport):
    race, racer = await sync_to_async(night)()
    run = await sync_to_async(run_under_way)(race, racer)
    socket = connect(f"/ws/live/{race.pk}/")
    assert (await socket.connect())[0]
    snapshot = await receive(socket)
    assert snapshot["type"] == "snapshot"
    assert [e["racer"] for e in snapshot["queue"]["entries"]] == ["Night Owl"]
    assert snapshot["run"]["racer"] == "Night Owl" and snapshot["run"]["frame"]["step"] == 40  # joins mid-run
    assert snapshot["board"]["type"] == "board"

    late = await sync_to_async(f.racer)("Late Lark")
    await sync_to_async(lambda: queue_join(race=race, racer=late, model=f.policy_model(late)))()
    queue = await receive_type(socket, "queue")
    assert [e["racer"] for e in queue["entries"]] == ["Night Owl", "Late Lark"]
    assert queue["entries"][1]["place"] == 1

    frame = {"type": "frame", "run": run.pk, "step": 41, "clock": 2.733, "x": 1.1, "y": 2.0, "heading": 0.1,
             "speed": 2.0, "steering": 3.0, "lap": 1, "progress": 0.2, "off_track": False}
    await sync_to_async(stream)(race.pk, frame)
    assert await receive_type(socket, "frame") == frame
    await sync_to_async(stream)(race.pk, {"type": "run_finished", "run": run.pk, "status": "finished"})
    assert (await receive_type(socket, "run_finished"))["run"] == run.pk
    board = await receive_type(socket, "board")
    assert board["race"] == race.pk
    await socket.disconnect()


async def test_a_private_night_is_closed_to_outsiders(transport):
    race, racer = await sync_to_async(night)(visibility="private")
    outsider = await sync_to_async(f.racer)()
    for user in (None, outsider.user):
        socket = connect(f"/ws/live/{race.pk}/", user)
        await socket.connect()
        assert await closed_with(socket) == 4404
    owner = await sync_to_async(lambda: race.owner.user)()
    socket = connect(f"/ws/live/{race.pk}/", owner)
    assert (await socket.connect())[0]
    assert (await receive(socket))["type"] == "snapshot"
    await socket.disconnect()


async def test_a_classic_race_has_no_night_stream():
    race = await sync_to_async(f.community_race)()
    socket = connect(f"/ws/live/{race.pk}/")
    await socket.connect()
    assert await closed_with(socket) == 4404


async def test_frames_flowing_are_read_at_once_not_at_the_idle_interval(settings):
    """Without Redis, the relay reads the event log every LIVE_POLL_INTERVAL_S when idle;
    while frames flow it reads again at once (live/relay.py BUSY_POLL_S), so a frame is not
    held for the idle interval (here long: 5 s, against a 2 s wait for each frame)."""
    settings.LIVE_TRANSPORT, settings.LIVE_POLL_INTERVAL_S = "database", 5.0
    race, racer = await sync_to_async(night)()
    run = await sync_to_async(run_under_way)(race, racer)
    socket = connect(f"/ws/live/{race.pk}/")
    assert (await socket.connect())[0]
    assert (await receive(socket))["type"] == "snapshot"
    await sync_to_async(stream)(race.pk, {"type": "frame", "run": run.pk, "step": 0})
    assert (await receive_type(socket, "frame", timeout=15))["step"] == 0  # the idle wait
    for step in range(1, 6):
        await sync_to_async(stream)(race.pk, {"type": "frame", "run": run.pk, "step": step})
        assert (await receive_type(socket, "frame", timeout=2))["step"] == step
    await socket.disconnect()
