"""The pages of a race night: the watch page (with the queue to join and the racer's
speed slider), the broadcast overlay, the kiosk board with its QR code, and the
facilitator's control desk. Thin views over nights/queue.py and nights/control.py; who
may see and do what is league/access.py's (a private race is a 404 to outsiders, the
control desk a 404 to whoever does not run the race).
"""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from league import access
from league.models import Race
from league.services import racer_for_user
from nights import control, selectors
from nights.models import LiveRace, QueueEntry
from nights.queue import (
    QueueError,
    queue_join,
    queue_move,
    queue_place,
    queue_readmit,
    queue_remove,
)
from racing import selectors as racing_selectors
from tracks.services import track_array

TRACK_POINTS = 400  # points of each track line sent to the page: plenty for a map


def _live(request, race_id: int) -> LiveRace:
    race = access.visible_races(request.user).select_related("track", "season", "owner").filter(pk=race_id).first()
    live = None if race is None else selectors.live_race_get(race)
    if live is None:
        raise Http404("No such live race.")
    return live


def _track_lines(race: Race) -> dict:
    """The centre line and both edges, thinned, for the page's canvas."""
    points = track_array(race.track)
    step = max(1, len(points) // TRACK_POINTS)
    thin = points[::step].round(3).tolist()
    return {"center": [p[0:2] for p in thin], "inner": [p[2:4] for p in thin], "outer": [p[4:6] for p in thin]}


def _config(request, live: LiveRace, **extra) -> dict:
    race = live.race
    return {"race": race.pk, "socket": f"/ws/live/{race.pk}/", "laps": race.laps, "track": _track_lines(race),
            "timing_method": race.timing_method, "speed_url": reverse("api-race-live-speed", args=[race.pk]),
            **extra}


@require_http_methods(["GET", "POST"])
def watch(request, race_id: int):
    """The race night as it happens; a signed-in racer joins the queue here."""
    live = _live(request, race_id)
    racer = racer_for_user(request.user)
    if request.method == "POST":
        if racer is None:
            return redirect(f"{reverse('login')}?next={request.path}")
        model = racing_selectors.models_of(racer).filter(pk=request.POST.get("model") or 0).first()
        if model is None:
            messages.error(request, "Choose one of your models to join the queue.")
        else:
            try:
                queue_join(race=live.race, racer=racer, model=model)
                messages.success(request, f"You are in the queue with “{model.name}”.")
            except QueueError as exc:
                messages.error(request, str(exc))
        return redirect("race-live", race_id=race_id)
    entry = selectors.own_entry(live, racer)
    return render(request, "nights/watch.html", {
        "race": live.race, "live": live, "entry": entry, "place": queue_place(entry) if entry else None,
        "ended": live.state == LiveRace.State.ENDED,
        "models": racing_selectors.models_of(racer) if racer is not None and entry is None else None,
        "queue": selectors.queue_rows(live),
        "can_manage": access.can_manage(live.race, request.user),
        "config": _config(request, live, me=racer.alias if racer else None, speed_control=live.speed_control),
    })  # fmt: skip


def overlay(request, race_id: int):
    """1920x1080, transparent: a streaming tool's browser source."""
    live = _live(request, race_id)
    return render(request, "nights/overlay.html", {"race": live.race, "config": _config(request, live)})


def kiosk(request, race_id: int):
    """The board for a venue screen: large type, scrolling, a QR code to the race."""
    live = _live(request, race_id)
    return render(request, "nights/kiosk.html", {
        "race": live.race, "config": _config(request, live),
        "race_url": request.build_absolute_uri(reverse("race-live", args=[race_id])),
    })  # fmt: skip


def kiosk_qr(request, race_id: int):
    """The QR code of the race's watch page, as SVG (drawn here, no service asked)."""
    live = _live(request, race_id)
    out = io.BytesIO()
    url = request.build_absolute_uri(reverse("race-live", args=[live.race_id]))
    segno.make(url, error="m").save(out, kind="svg", scale=10, border=2, dark="#111317", light="#ffffff")
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


CONTROLS = {
    "start": control.night_start,
    "pause": control.night_pause,
    "skip": control.night_skip,
    "end": control.night_end,
    "reopen": control.night_reopen,
}


def _entry_action(live: LiveRace, action: str, entry: QueueEntry) -> None:
    if action in ("up", "down") and entry.status != QueueEntry.Status.WAITING:
        raise QueueError(f"Only a waiting racer can be moved; this one is {entry.get_status_display().lower()}.")
    if action == "up":
        queue_move(entry, max(1, queue_place(entry) - 1))
    elif action == "down":
        queue_move(entry, queue_place(entry) + 1)
    elif action == "remove":
        queue_remove(entry)
    elif action == "readmit":
        queue_readmit(entry)
    elif action == "rerun":
        control.entry_rerun(entry)
    else:
        raise QueueError(f"Unknown action {action!r}.")


@login_required
@require_http_methods(["GET", "POST"])
def control_desk(request, race_id: int):
    """The facilitator's desk: start, pause after this run, skip, end; move, remove,
    re-admit and re-run racers; every racer's status. Forms post here (no script needed)."""
    race = access.visible_races(request.user).select_related("track", "owner").filter(pk=race_id).first()
    if race is None or not access.can_manage(race, request.user):
        raise Http404("No such race.")
    live = selectors.live_race_get(race)
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "make-live":
                control.live_settings_set(race, mode=LiveRace.Mode.LIVE,
                                          countdown_s=int(request.POST.get("countdown_s") or 10),
                                          speed_control=request.POST.get("speed_control") == "on")
            elif live is None:
                raise QueueError("Make the race live first.")
            elif action in CONTROLS:
                CONTROLS[action](live)
            else:
                entry = live.entries.filter(pk=request.POST.get("entry") or 0).first()
                if entry is None:
                    raise QueueError("No such racer in the queue.")
                _entry_action(live, action, entry)
        except (QueueError, ValueError) as exc:
            messages.error(request, str(exc))
        return redirect("organise-race-control", race_id=race_id)
    entries = selectors.queue_with_places(live) if live else []
    return render(request, "nights/control.html", {
        "race": race, "live": live,
        "closed": race.window_closed(),
        "entries": entries,
        "up": next((e for e in entries if e.status == QueueEntry.Status.UP), None),
        "run": selectors.current_run(live) if live else None,
        "can": control.controls_available(live) if live else None,
        "waiting_for_racers": live is not None and live.state == LiveRace.State.RUNNING
        and selectors.queue_is_empty(live),
        "config": _config(request, live) if live else None,
    })  # fmt: skip
