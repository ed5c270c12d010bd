"""The race-night stream `ws/live/<race_id>/` (docs/live.md): what is published when a
night announces a change (nights/signals.py), and its snapshot.

Group `night_<race_id>`. Messages: `queue` (state and queue), `run_countdown`,
`run_started`, `frame` (15 a second), `lap`, `off_track` (and the other events of a
run), `run_finished` (the official result), `board` (the race's leaderboard after a
result). Same transports as every stream (live/events.py).
"""

from __future__ import annotations

from nights import selectors, signals
from nights.models import LiveRace

from . import events, messages


def night_group(race_id: int) -> str:
    return f"night_{race_id}"


def queue_message(live: LiveRace) -> dict:
    return messages.plain({
        "type": "queue", "race": live.race_id, "state": live.state, "pause_after_run": live.pause_after_run,
        "countdown_s": live.countdown_s, "speed_control": live.speed_control, "starts_at": live.starts_at,
        "entries": selectors.queue_rows(live),
    })  # fmt: skip


def board_message(race) -> dict:
    return {**messages.leaderboard(race, kind="update"), "type": "board"}


def snapshot(live: LiveRace) -> dict:
    """Everything a viewer needs on connect: the queue, the board, and the run under way
    with its newest frame (a late viewer joins mid-run)."""
    run = selectors.current_run(live)
    return messages.plain({
        "type": "snapshot", "queue": queue_message(live), "board": board_message(live.race),
        "run": None if run is None else {"run": run.pk, "entry": run.entry_id, "racer": run.entry.racer.alias,
                                         "started_at": run.started_at, "frame": run.last_frame or None},
    })  # fmt: skip


def on_night_changed(sender, *, live_race, **kwargs) -> None:
    message = events._safely("queue", lambda: queue_message(live_race))
    if message is not None:
        events.publish(night_group(live_race.race_id), message)


def on_night_streamed(sender, *, race_id: int, message: dict, **kwargs) -> None:
    events.publish(night_group(race_id), message)
    if message.get("type") == "run_finished":
        live = LiveRace.objects.select_related("race").filter(race_id=race_id).first()
        if live is not None:
            board = events._safely("board", lambda: board_message(live.race))
            if board is not None:
                events.publish(night_group(race_id), board)
            on_night_changed(sender, live_race=live)


def connect() -> None:
    signals.night_changed.connect(on_night_changed, dispatch_uid="live.night_changed")
    signals.night_streamed.connect(on_night_streamed, dispatch_uid="live.night_streamed")
