"""Live updates: what is published when racing announces a change (racing/signals.py,
docs/live.md).

Streams (channel-layer groups) and who listens:
- `race_<id>`: every open leaderboard of that race (public), and in a head-to-head race
  its ladder and match pages (`ladder.update`, `match.changed`);
- `season_<slug>`: every open standings page of that season (public);
- `submission_<id>`: the owner's submission page and garage (private).

How a message travels depends on `settings.LIVE_TRANSPORT`:
- "channel_layer" (the default when REDIS_URL is set): sent through the channel layer
  (channels-redis) once the current transaction commits, so it reaches every web
  process on every machine, and nothing is sent for a change that was rolled back;
- "database" (the embedded default, no Redis): a `live.LiveEvent` row written
  inside the current transaction; one poller per web process reads new rows every
  quarter of a second and hands them to that process's sockets (live/relay.py).
  A worker is another process, and the in-memory layer does not cross processes.

The payloads are computed when the function is called, so call these where the change
is made (inside its transaction is fine and preferred). A failure to publish is logged
and never fails the change itself.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ladder import signals as ladder_signals
from racing import signals

from . import messages
from .models import LiveEvent
from .relay import RETENTION_S

PRUNE_EVERY_EVENTS = 500

logger = logging.getLogger(__name__)

LAYER_MESSAGE_TYPE = "live.event"  # handled by LiveConsumer.live_event


def race_group(race_id: int) -> str:
    return f"race_{race_id}"


def submission_group(submission_id: int) -> str:
    return f"submission_{submission_id}"


def season_group(slug: str) -> str:
    return f"season_{slug}"


def transport() -> str:
    value = getattr(settings, "LIVE_TRANSPORT", "") or (
        "channel_layer" if getattr(settings, "REDIS_URL", "") else "database"
    )
    return "database" if value == "database" else "channel_layer"


def _layer_send(group: str, message: dict) -> None:
    try:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, {"type": LAYER_MESSAGE_TYPE, "event": message})
    except Exception:  # a broadcast must never fail a race
        logger.exception("could not broadcast to %s", group)


def publish(group: str, message: dict) -> None:
    """Send `message` (JSON-safe, with a "type") to the sockets of `group`, once the
    current transaction (if any) commits."""
    if transport() == "database":
        try:
            # A savepoint inside a transaction: a failed insert leaves the change intact.
            with transaction.atomic():
                event = LiveEvent.objects.create(group=group, payload=message)
                if event.pk % PRUNE_EVERY_EVENTS == 0:
                    # The web processes prune too, but only while someone watches.
                    LiveEvent.objects.filter(
                        created_at__lt=timezone.now() - timedelta(seconds=RETENTION_S)
                    ).delete()
        except Exception:
            logger.exception("could not record a live event for %s", group)
    else:
        transaction.on_commit(lambda: _layer_send(group, message), robust=True)


def _safely(what: str, build) -> dict | None:
    try:
        return build()
    except Exception:
        logger.exception("could not build the live %s message", what)
        return None


# --- What is published ---------------------------------------------------------------


def submission_status_changed(submission) -> None:
    """A submission changed status (queued, running, finished, failed, error)."""
    message = _safely("submission", lambda: messages.submission_status(submission))
    if message is not None:
        publish(submission_group(submission.pk), message)


def submission_progress(submission, lap: int, laps: int, time_s: float | None) -> None:
    """A running race completed a lap (from the simulator's --progress lines)."""
    message = _safely(
        "progress", lambda: messages.submission_progress(submission, lap=lap, laps=laps, time_s=time_s)
    )
    if message is not None:
        publish(submission_group(submission.pk), message)


def standings_changed(race, *, changed: list[dict] | None = None) -> None:
    """The race's board (and so its season's standings) changed: send the first page of
    each to their watchers."""
    board = _safely("leaderboard", lambda: messages.leaderboard(race, kind="update", changed=changed or []))
    if board is not None:
        publish(race_group(race.pk), board)
    if race.season_id:
        season_standings_changed(race.season, changed=changed)


def season_standings_changed(season, *, changed: list[dict] | None = None) -> None:
    table = _safely("standings", lambda: messages.standings(season, kind="update", changed=changed or []))
    if table is not None:
        publish(season_group(season.slug), table)


def result_landed(result) -> None:
    """A result was stored and the standings rebuilt: the race's board, the season's
    standings and the owner's submission all changed."""
    changed = _safely("result", lambda: [messages.result_changed(result)])
    standings_changed(result.race, changed=changed or [])
    submission_status_changed(result.submission)


# --- Racing's announcements (connected in live/apps.py) -----------------------------------


def on_submission_changed(sender, *, submission, **kwargs) -> None:
    submission_status_changed(submission)


def on_submission_progressed(sender, *, submission, event: dict, **kwargs) -> None:
    """A progress line of a running race ({"lap", "laps", "time_s"})."""
    submission_progress(submission, event.get("lap", 0), event.get("laps", 0), event.get("time_s"))


def on_result_landed(sender, *, result, **kwargs) -> None:
    result_landed(result)


def on_standings_rebuilt(sender, *, race, **kwargs) -> None:
    standings_changed(race)


def on_match_changed(sender, *, match, **kwargs) -> None:
    message = _safely("match", lambda: messages.match_changed(match))
    if message is not None:
        publish(race_group(match.race_id), message)


def on_ladder_changed(sender, *, race_id: int, **kwargs) -> None:
    message = _safely("ladder", lambda: messages.ladder_update(race_id))
    if message is not None:
        publish(race_group(race_id), message)


def connect() -> None:
    ladder_signals.match_changed.connect(on_match_changed, dispatch_uid="live.match_changed")
    ladder_signals.ladder_changed.connect(on_ladder_changed, dispatch_uid="live.ladder_changed")
    signals.submission_changed.connect(on_submission_changed, dispatch_uid="live.submission_changed")
    signals.submission_progressed.connect(on_submission_progressed, dispatch_uid="live.submission_progressed")
    signals.result_landed.connect(on_result_landed, dispatch_uid="live.result_landed")
    signals.standings_rebuilt.connect(on_standings_rebuilt, dispatch_uid="live.standings_rebuilt")
