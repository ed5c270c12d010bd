"""The organiser console (/organise/): a facilitator's community races, the new-race
form, their own tracks, and each race's management page. Thin views over
league.community, racing.entrants and tracks.services; who may do what is
league.access's."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ladder.settings import ladder_settings_set
from league import access, community
from league.models import Race, Racer
from league.services import racer_for_user
from nights import control
from nights.models import LiveRace
from nights.queue import QueueError
from racing.entrants import entrant_remove
from tracks.selectors import tracks_for
from tracks.services import track_upload as track_upload_service

from . import links, organise_reads
from .forms import add_service_errors, service_error_text
from .organise_forms import ExtendForm, RaceForm, TrackUploadForm, readable_errors


def facilitators_only(view):
    """Signed in (else the login page), and a facilitator or admin (else a 403 page that
    says who grants the role)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not access.is_facilitator(request.user):
            return render(request, "organise/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _managed_race(request, race_id: int) -> Race:
    """A community race the user manages; any other is a 404, like a missing one."""
    race = Race.objects.filter(pk=race_id, season__isnull=True).select_related("track", "owner").first()
    if race is None or not access.can_manage(race, request.user):
        raise Http404("No such race.")
    return race


def _ladder_set(race: Race, ladder: dict, *, creating: bool = False) -> None:
    """The ladder's settings of a head-to-head race (the form sends its defaults with
    every format: another format's race ignores them)."""
    if race.format == "head_to_head" and ladder:
        ladder_settings_set(race, creating=creating, **ladder)


def _night_set(race: Race, night: dict) -> None:
    """Make a new race a race night; one that starts by itself starts when the race opens."""
    starts_at = race.opens_at if night.get("self_start") else None
    control.live_settings_set(race, mode=LiveRace.Mode.LIVE, starts_at=starts_at, **night)


def _service_errors(form, exc: ValidationError) -> None:
    errors = readable_errors(exc.message_dict)
    if "track" in errors and not form.cleaned_data.get("track"):
        errors["track"] = ["Choose a track."]
    add_service_errors(form, errors)


# --- The console --------------------------------------------------------------------------


def _console(request, *, upload_form=None, status=200):
    context = {
        "groups": organise_reads.console_races(request.user),
        "tracks": organise_reads.tracks_uploaded_by(request.user),
        "upload_form": upload_form or TrackUploadForm(),
        "is_admin": request.user.is_staff,
    }
    return render(request, "organise/console.html", context, status=status)


@facilitators_only
def console(request):
    return _console(request)


@facilitators_only
@require_POST
def track_upload(request):
    form = TrackUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            track = track_upload_service(user=request.user, name=form.cleaned_data["name"], data=form.data_bytes())
        except ValidationError as exc:
            add_service_errors(form, exc.message_dict)
        else:
            messages.success(request, f"“{track.name}” is checked and ready: pick it for a new race.")
            return redirect(reverse("organise") + "#tracks")
    return _console(request, upload_form=form, status=400)


# --- A new race ---------------------------------------------------------------------------


@facilitators_only
@require_http_methods(["GET", "HEAD", "POST"])
def race_new(request):
    tracks = tracks_for(request.user)
    status = 200
    if request.method == "POST":
        form = RaceForm(request.POST, tracks=tracks)
        if form.is_valid():
            try:
                settings = form.settings()
                ladder, night = settings.pop("ladder"), settings.pop("night", None)
                with transaction.atomic():  # a ladder or race night refused leaves no race behind
                    race = community.community_race_create(
                        owner=racer_for_user(request.user), track=form.cleaned_data["track"],
                        name=settings.pop("name"), **settings,
                    )  # fmt: skip
                    _ladder_set(race, ladder, creating=True)
                    if night is not None:
                        _night_set(race, night)
            except ValidationError as exc:
                _service_errors(form, exc)
            except QueueError as exc:
                form.add_error("mode", str(exc))
            else:
                share = " Share the invite link below." if race.invite_token else ""
                if night is not None:
                    share += " Run the night from its control desk."
                messages.success(request, f"“{race.name}” is set up.{share}")
                return redirect("organise-race", race_id=race.pk)
        status = 400
    else:
        form = RaceForm(tracks=tracks, initial={**RaceForm.initial_defaults(), "track": _first_slug(tracks)})
    return render(request, "organise/race_new.html", {"form": form, "tracks": list(tracks)}, status=status)


def _first_slug(tracks) -> str | None:
    first = tracks.first()
    return first.slug if first else None


# --- Managing a race ----------------------------------------------------------------------


@facilitators_only
@require_http_methods(["GET", "HEAD", "POST"])
def race_manage(request, race_id: int):
    """The race's settings (all of them until it opens; name, description and close time
    after), its invite link, its racers and the downloads."""
    race = _managed_race(request, race_id)
    phase = organise_reads.race_phase(race)
    locked = phase != "upcoming"
    tracks = tracks_for(request.user)
    status = 200
    if request.method == "POST":
        form = RaceForm(request.POST, tracks=tracks, race=race, locked=locked)
        if form.is_valid():
            changes = form.settings()
            ladder = changes.pop("ladder")
            if "track" in form.cleaned_data and form.cleaned_data["track"] is not None:
                changes["track"] = form.cleaned_data["track"]
            try:
                with transaction.atomic():  # the settings and the ladder's, or neither
                    community.community_race_update(race, **changes)
                    _ladder_set(race, ladder)
            except ValidationError as exc:
                _service_errors(form, exc)
            else:
                messages.success(request, "Settings saved.")
                return redirect("organise-race", race_id=race.pk)
        status = 400
        race.refresh_from_db()  # the summary shows the stored settings, not the rejected ones
    else:
        form = RaceForm(tracks=tracks, race=race, locked=locked)
    entrants = organise_reads.race_entrants(race)
    context = {
        "race": race,
        "phase": phase,
        "form": form,
        "locked": locked,
        "tracks": list(tracks),
        "entrants": entrants,
        "active_count": sum(1 for e in entrants if e["removed_at"] is None),
        "invite_url": request.build_absolute_uri(reverse("race-join", args=[race.invite_token]))
        if race.invite_token and race.visibility != Race.Visibility.PUBLIC else "",
        "downloads": links.results_export_urls(race),
        "now": timezone.now(),
    }
    return render(request, "organise/race_manage.html", context, status=status)


def _back(race: Race, anchor: str = ""):
    return redirect(reverse("organise-race", args=[race.pk]) + anchor)


@facilitators_only
@require_POST
def race_close(request, race_id: int):
    race = community.race_close_now(_managed_race(request, race_id))
    messages.success(request, "The race is closed: no more submissions, the board is final.")
    return _back(race)


@facilitators_only
@require_POST
def race_extend(request, race_id: int):
    race = _managed_race(request, race_id)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how long to extend the race by.")
        return _back(race)
    start = max(race.closes_at or timezone.now(), timezone.now())
    try:
        community.community_race_update(race, closes_at=start + form.delta())
    except ValidationError as exc:
        messages.error(request, service_error_text(exc))
    else:
        messages.success(request, "Close time extended.")
    return _back(race)


@facilitators_only
@require_POST
def invite_reset(request, race_id: int):
    race = _managed_race(request, race_id)
    community.invite_reset(race)
    messages.success(request, "New invite link made; the old one no longer works.")
    return _back(race, "#invite")


@facilitators_only
@require_POST
def racer_remove(request, race_id: int, alias: str):
    race = _managed_race(request, race_id)
    racer = Racer.objects.filter(alias__iexact=alias, entries__race=race).first()
    if racer is None:
        raise Http404("No such racer in this race.")
    entrant_remove(race, racer)
    messages.success(request, f"{racer.alias} is removed: their entries left the board (kept on record).")
    return _back(race, "#racers")
