"""Community races for racers: the listing of public races and joining one by its
invite link. Who may see which race is league.access's; joining is league.community's."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from league import access
from league.community import InviteInvalid, race_join as race_join_service
from league.models import Race
from league.services import racer_for_user

from . import organise_reads
from .forms import service_error_text


def race_list(request):
    """Public community races (and the ones the viewer runs or joined): open, upcoming,
    recently closed."""
    groups = organise_reads.race_listing(request.user)
    return render(request, "league/races.html", {"groups": groups, "empty": not any(groups.values())})


def _invite_gone(request):
    return render(request, "league/join_invalid.html", status=404)


@require_http_methods(["GET", "HEAD", "POST"])
def race_join(request, token: str):
    """The invite link: the race's name, track and rules, and a Join button. A reset or
    unknown link is a 404 for everyone; anyone else signs in first and comes back."""
    race = Race.objects.filter(invite_token=token).select_related("track", "owner").first() if token else None
    if race is None:
        return _invite_gone(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    racer = racer_for_user(request.user)
    error = None
    if request.method == "POST":
        try:
            race = race_join_service(racer=racer, invite=token)
        except InviteInvalid:
            return _invite_gone(request)
        except ValidationError as exc:
            error = service_error_text(exc)
        else:
            messages.success(request, f"You're in: {race.display_name}. Enter a model below.")
            return redirect("race", race_id=race.pk)
    context = {
        "race": race,
        "track": race.track,
        "token": token,
        "error": error,
        "joined": access.is_participant(race, racer),
        "removed": access.is_removed(race, racer),
        "manages": access.can_manage(race, request.user),
        "phase": organise_reads.race_phase(race),
    }
    return render(request, "league/join.html", context, status=400 if error else 200)
