"""Pages of head-to-head races: the ladder, the matches (of the race or one racer), a
duel's interactive replay with both cars, the finals' bracket. Thin views: ladder/ reads
and rules, league/access.py who sees what (a private race's pages are 404 to outsiders)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from ladder import selectors as ladder_selectors
from ladder.bracket import FinalsError
from ladder.matches import duel_command, finals_begin
from ladder.models import Match
from ladder.settings import ladder_settings
from league import access
from league.models import Race, Racer

MATCHES_PAGE_SIZE = 30
LADDER_PAGE_SIZE = 50


def _head_to_head_race(request, race_id: int) -> Race:
    race = access.visible_races(request.user).select_related("season", "track", "owner").filter(pk=race_id).first()
    if race is None or not ladder_selectors.is_head_to_head(race):
        raise Http404("No such head-to-head race.")
    return race


def _match_rows(request, race, matches) -> list[dict]:
    rows = []
    for m in matches:
        row = ladder_selectors.match_row(m)
        see = any(access.replay_visible_to(race, rid, request.user) for rid in (m.racer_a_id, m.racer_b_id))
        row["replay_urls"] = [reverse("match-replay", args=[m.pk, k]) for k in row["replays"]] if see else []
        rows.append(row)
    return rows


@require_safe
def race_ladder(request, race_id: int):
    race = _head_to_head_race(request, race_id)
    ratings = list(ladder_selectors.ladder_ratings(race)[:LADDER_PAGE_SIZE])
    recent = ladder_selectors.race_matches_for_list(race)[:10]
    return render(request, "league/ladder.html", {
        "race": race, "ratings": ratings, "rules": ladder_selectors.ladder_rules(race),
        "matches": _match_rows(request, race, recent), "bracket": ladder_selectors.race_bracket(race),
        "manages": access.can_manage(race, request.user),
    })


@require_safe
def race_matches(request, race_id: int):
    race = _head_to_head_race(request, race_id)
    alias = request.GET.get("racer", "")[:100]
    racer = Racer.objects.filter(alias__iexact=alias).first() if alias else None
    matches = ladder_selectors.race_matches_for_list(race, (racer.pk if racer else -1) if alias else None)
    page = Paginator(matches, MATCHES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "league/matches.html", {
        "race": race, "racer": racer, "alias": alias, "page": page,
        "matches": _match_rows(request, race, page.object_list),
    })


@require_http_methods(["GET", "HEAD", "POST"])
def race_bracket(request, race_id: int):
    race = _head_to_head_race(request, race_id)
    if request.method == "POST":  # the race's facilitator starts the finals now
        return _finals_start(request, race)
    bracket = ladder_selectors.race_bracket(race)
    view = ladder_selectors.bracket_view(bracket) if bracket else None
    columns = []
    if view:
        # Columns left to right: the winners' side rounds, then the losers' side, then the finals.
        for stage, label in (("W", "Winners"), ("L", "Losers")):
            rounds = sorted({p["round"] for p in view["places"] if p["stage"] == stage})
            for r in rounds:
                columns.append({"title": f"{label} {r}", "stage": stage,
                                "places": [p for p in view["places"] if p["stage"] == stage and p["round"] == r]})
        finals = [p for p in view["places"] if p["stage"] in ("GF", "GF2") and (p["stage"] == "GF" or p["a"])]
        columns.append({"title": "Grand final", "stage": "GF", "places": finals})
        for col in columns:
            for p in col["places"]:
                p["match_url"] = reverse("match-replay", args=[p["match_id"], 1]) if p["match_id"] else None
    return render(request, "league/bracket.html", {"race": race, "bracket": view, "columns": columns,
                                                   "manages": access.can_manage(race, request.user),
                                                   "finals_size": ladder_settings(race)["finals_size"],
                                                   "closed": race.window_closed()})


def _finals_start(request, race: Race):
    if not access.can_manage(race, request.user):  # a race they may see, so no 404
        raise PermissionDenied("Only the race's facilitator or an admin starts its finals.")
    try:
        finals_begin(race)
    except FinalsError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The finals have started: the first round is queued.")
    return redirect("race-bracket", race_id=race.pk)


@require_safe
def match_replay(request, match_id: int, duel: int):
    match = Match.objects.select_related("race__season", "race__track", "racer_a", "racer_b").filter(
        pk=match_id).first()
    if match is None or duel not in (1, 2) or not any(
            access.replay_visible_to(match.race, rid, request.user) for rid in (match.racer_a_id, match.racer_b_id)):
        raise Http404("No such match.")
    if not getattr(match, f"replay_{duel}"):
        raise Http404("This match has no replay of that duel yet.")
    row = ladder_selectors.match_row(match)
    config = {
        "matchId": match.pk, "duel": duel, "racer": match.racer_a.alias,
        "replayUrl": reverse("api-match-replay", args=[match.pk, duel]),
        "resultUrl": None, "videoUrl": None, "videoStatus": "none",
        "replayApiUrl": reverse("api-match-replay", args=[match.pk, duel]),
        "compare": [], "hasReplay": True,
    }
    d = row["duels"][duel - 1] if len(row["duels"]) >= duel else None
    return render(request, "league/match_replay.html", {
        "match": match, "row": row, "race": match.race, "duel": duel, "d": d, "config": config,
        "other_duel": 3 - duel, "replay_json_url": reverse("api-match-replay", args=[match.pk, duel]),
        "command": duel_command(match, duel),
        "video_url": reverse("api-match-video", args=[match.pk, duel]) if getattr(match, f"video_{duel}") else None,
        "video_status": getattr(match, f"video_status_{duel}"),
    })
