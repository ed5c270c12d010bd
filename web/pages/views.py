"""The league's pages. Each view reads through a selector, writes through a service and
renders a template of web/templates/league/; none holds a rule of its own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from league import access
from league import selectors as league_selectors
from league.models import Race, Racer, Season
from league.services import api_token_get, api_token_rotate, racer_for_user, racer_signup
from racing import selectors as racing_selectors
from racing.checkslots import ChecksBusy
from racing.failures import failure_explained, reproduce_command
from racing.runner import ModelRejected, PlatformFault
from racing.submissions import SubmissionRejected, submission_create
from racing.uploads import model_upload
from racing.models import Submission
from tracks import selectors as track_selectors
from tracks.models import Track
from web.api.parsers import CHUNKED, sent_chunked
from web.api.throttles import throttle_wait
from web.templatetags.league_web import countdown_text

from .charts import times_chart
from .failures import failure_map
from .hero import hero_data
from .forms import ModelUploadForm, SignupForm, SubmitForm, add_service_errors
from .organise_reads import race_phase

BOARD_PAGE_SIZE = 50
STANDINGS_PAGE_SIZE = 50


def _racer(request) -> Racer | None:
    return racer_for_user(request.user) if request.user.is_authenticated else None


def home(request):
    data = racing_selectors.home_data(user=request.user)
    data.update(hero_data([item["race"] for item in data["races"] + data["community_races"]]))
    return render(request, "league/home.html", data)


# --- Races --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def race_detail(request, race_id: int):
    """A race's leaderboard, its track and rules, and the form to enter a model. A
    private race the viewer may not see is a 404, like a race that does not exist."""
    try:
        race = access.visible_races(request.user).select_related("season", "track", "owner", "live").get(pk=race_id)
    except Race.DoesNotExist:
        raise Http404("No such race.") from None
    racer = _racer(request)
    form = None
    if racer is not None:
        models = racing_selectors.models_of(racer)
        if request.method == "POST":
            form = SubmitForm(request.POST, models=models, race=race)
            if form.is_valid():
                try:
                    submission = submission_create(
                        racer=racer, model=form.cleaned_data["model"], race=race
                    )
                except SubmissionRejected as exc:
                    add_service_errors(form, exc.errors)
                else:
                    messages.success(
                        request,
                        f"“{submission.model.name}” is queued for {race.display_name}. "
                        "This page follows it to the finish.",
                    )
                    return redirect("submission", submission_id=submission.pk)
        else:
            form = SubmitForm(models=models, race=race)
    elif request.method == "POST":
        return redirect(f"{reverse('login')}?next={request.path}")

    now = timezone.now()
    context = {
        "race": race,
        "season": race.season,
        "track": race.track,
        "siblings": list(race.season.races.select_related("track").order_by("order", "id")) if race.season else [],
        "accepting": race.accepting_submissions(now),
        "phase": race_phase(race, now),
        "manages": race.is_community and access.can_manage(race, request.user),
        "removed": race.is_community and access.is_removed(race, racer),
        "racer": racer,
        "form": form,
        "has_models": bool(form is not None and form.fields["model"].queryset.exists()),
        "quota": racing_selectors.quota_status(racer, race) if racer is not None else None,
        **_board(request, race, racer, now),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "league/race.html", context, status=status)


def _board(request, race: Race, racer: Racer | None, now) -> dict:
    """A page of the leaderboard (`?search=` part of an alias, `?racer=` one alias: the rows
    keep their rank), the viewer's place on it, and the podium once the board is final;
    replay links only where the race's replay setting lets the viewer watch."""
    search = (request.GET.get("search") or "").strip()[:100]
    alias = (request.GET.get("racer") or "").strip()[:100]
    filtered = bool(search or alias)
    # `paginator` is the whole board's (the racer count of the page's header); `page` the
    # rows shown, of the filtered board when a racer is searched for.
    paginator = Paginator(racing_selectors.race_board_pages(race), BOARD_PAGE_SIZE)
    shown = paginator
    if filtered:
        shown = Paginator(racing_selectors.race_leaderboard(race, racer=alias, search=search), BOARD_PAGE_SIZE)
    page = shown.get_page(request.GET.get("page"))
    leader_time = racing_selectors.race_leader_time(race) if paginator.count else None
    # Asked once for someone else's result (a racer always sees their own), not per row.
    all_replays = access.replay_visible_to(race, 0, request.user)

    def may_watch(racer_id: int) -> bool:
        return all_replays or (racer is not None and racer_id == racer.pk)

    my_rank = racing_selectors.race_rank_of(race, racer)
    final = (race.closes_at is not None and race.closes_at <= now) or (
        race.season is not None and race.season.status == Season.Status.CLOSED
    )
    return {
        "rows": _board_rows(page.object_list, leader_time, may_watch),
        "page": page,
        "paginator": paginator,
        "page_numbers": list(shown.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "my_rank": my_rank,
        "my_page": (my_rank - 1) // BOARD_PAGE_SIZE + 1 if my_rank else None,
        "final": final,
        "podium": _board_rows(racing_selectors.race_leaderboard(race)[:3], leader_time, may_watch) if final else [],
        "own_replays_only": not all_replays,
        "search": search or alias,
        "filtered": filtered,
        # A board that can still change follows the live stream (a filtered one shows what
        # was asked for, as it was); a closed race's board never says "live".
        "board_live": not final and race.accepting_submissions(now) and not filtered,
    }


def _board_rows(standings, leader_time, may_watch) -> list[dict]:
    """Board rows for the template, each saying whether its replay link shows."""
    rows = []
    for standing in standings:
        row = racing_selectors.leaderboard_row(standing, leader_time)
        row["no_replay"] = not may_watch(standing.racer_id)
        rows.append(row)
    return rows


# --- Seasons ------------------------------------------------------------------------------


def season_list(request):
    return render(request, "league/seasons.html", {"seasons": list(league_selectors.season_list())})


def season_detail(request, slug: str):
    """Season standings: points, wins and the rank in every race."""
    season = get_object_or_404(Season, slug=slug)
    races = list(season.races.select_related("track").order_by("order", "id"))
    paginator = Paginator(racing_selectors.season_standing_pages(season), STANDINGS_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    standings = list(page.object_list)
    cells = racing_selectors.season_race_cells(season, [s.racer_id for s in standings])
    rows = [
        {
            "standing": s,
            "races": [cells.get(s.racer_id, {}).get(race.pk) for race in races],
        }
        for s in standings
    ]
    return render(
        request,
        "league/season.html",
        {
            "season": season,
            "races": races,
            "rows": rows,
            "page": page,
            "paginator": paginator,
            "page_numbers": list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
            "leaders": racing_selectors.race_leaders(races),
        },
    )


# --- Tracks -------------------------------------------------------------------------------


def track_list(request):
    return render(request, "league/tracks.html", {"tracks": list(track_selectors.track_list())})


def track_detail(request, slug: str):
    """A track and its races; someone's own upload is theirs (and their racers') to see."""
    try:
        track = access.visible_tracks(request.user).get(slug=slug)
    except Track.DoesNotExist:
        raise Http404("No such track.") from None
    races = list(league_selectors.track_races_for(track, request.user))
    return render(
        request,
        "league/track.html",
        {"track": track, "races": races, "leaders": racing_selectors.race_leaders(races),
         "track_argument": track_selectors.track_cli_argument(track)},
    )


# --- Racers -------------------------------------------------------------------------------


def racer_profile(request, alias: str):
    try:
        racer = league_selectors.racer_get(alias)
    except Racer.DoesNotExist:
        raise Http404("No such racer.") from None
    data = racing_selectors.racer_profile(racer, request.user)  # private races: out of sight and counts
    runs = racing_selectors.racer_runs(racer, data["visible_race_ids"])
    for row in data["races"]:
        row.no_replay = not access.replay_visible_to(row.race, racer.pk, request.user)
        # Every run in the race, and the chart of their times (the ranked one ringed).
        row.runs = runs.get(row.race_id, [])
        row.chart = times_chart(row.runs, best_id=row.result_id) if row.runs else None
    is_me = request.user.is_authenticated and racer.user_id == request.user.pk
    data["is_me"] = is_me
    data["best"] = sorted(
        (r for r in data["races"] if r.finished), key=lambda r: (r.rank, r.time_s or 0)
    )
    if is_me:
        data["token"] = api_token_get(request.user)
    return render(request, "league/racer.html", data)


@login_required
@require_POST
def token_rotate(request):
    api_token_rotate(request.user)
    racer = racer_for_user(request.user)
    messages.success(request, "New API token made; the old one no longer works.")
    return redirect(reverse("racer", args=[racer.alias]) + "#api-token")


# --- Garage and submissions ---------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def garage(request):
    """Your models (and the upload form) and your submissions."""
    racer = racer_for_user(request.user)
    status = 200
    retry_after_s = None
    if request.method == "POST":
        form = ModelUploadForm(request.POST, request.FILES)
        if sent_chunked(request):
            form.add_error(None, CHUNKED)
        elif form.is_valid():
            try:
                model = model_upload(
                    owner=racer,
                    name=form.cleaned_data["name"],
                    onnx_file=form.cleaned_data["onnx"],
                    metadata_file=form.cleaned_data["metadata"],
                    archive_file=form.cleaned_data["archive"],
                )
            except ModelRejected as exc:
                add_service_errors(form, exc.errors)
            except ChecksBusy as exc:
                form.add_error(None, exc.message)
                status, retry_after_s = 503, exc.retry_after_s
            except PlatformFault:
                form.add_error(
                    None,
                    "The model could not be checked just now (a fault on our side, not your "
                    "model's). Please try again in a minute.",
                )
            else:
                messages.success(
                    request, f"“{model.name}” passed every check. Enter it in a race below."
                )
                return redirect(reverse("garage") + "#models")
        status = 400 if status == 200 else status
    else:
        form = ModelUploadForm()
    data = racing_selectors.garage(racer)
    data["form"] = form
    response = render(request, "league/garage.html", data, status=status)
    if retry_after_s is not None:
        response["Retry-After"] = str(retry_after_s)
    return response


@login_required
def submission_detail(request, submission_id: int):
    """Owner only: anyone else's submission is a 404, like one that does not exist."""
    racer = racer_for_user(request.user)
    try:
        submission = racing_selectors.submission_get_for(racer, submission_id)
    except Submission.DoesNotExist:
        raise Http404("No such submission.") from None
    try:
        result = submission.result
    except Submission.result.RelatedObjectDoesNotExist:
        result = None
    standing = racing_selectors.race_standing_of(submission.race, racer) if result is not None else None
    if standing is not None:
        standing["page"] = (standing["rank"] - 1) // BOARD_PAGE_SIZE + 1
    failure = failure_explained(submission)
    return render(
        request,
        "league/submission.html",
        {
            "submission": submission,
            "result": result,
            "race": submission.race,
            "laps": _lap_rows(result),
            "standing": standing,
            "is_best": standing is not None and standing["result_id"] == result.pk,
            "failure": failure,
            "failure_map": failure_map(submission, failure) if failure else None,
            "reproduce": reproduce_command(submission.race, json_output=False),
        },
    )


def _lap_rows(result) -> list[dict]:
    """Each lap's time and a bar for the chart: the best lap full width, the slowest 30%."""
    times = [t for t in (result.lap_times_s if result is not None else []) or [] if t is not None]
    if not times:
        return []
    best, worst = min(times), max(times)
    spread = worst - best
    return [
        {
            "number": i,
            "time_s": t,
            "delta_s": t - best,
            "is_best": t == best,
            "bar_pct": f"{100 - 70 * (t - best) / spread:.1f}" if spread > 0 else "100",
        }
        for i, t in enumerate(times, start=1)
    ]


# --- Accounts -----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    """A new racer, signed in at once; back to `next` (an invite link) when given."""
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):  # fmt: skip
        next_url = ""
    if request.user.is_authenticated:
        return redirect(next_url or "garage")
    status = 200
    if request.method == "POST":
        form = SignupForm(request.POST)
        # The API's sign-up limit, on the same counter: each account brings a fresh quota.
        wait_s = throttle_wait(request, "signup")
        if wait_s is not None:
            form.add_error(
                None,
                "Too many sign-ups from your address just now. "
                f"Please try again in {countdown_text(wait_s)}.",
            )
            response = render(request, "registration/signup.html", {"form": form, "next": next_url}, status=429)
            response["Retry-After"] = str(wait_s)
            return response
        if form.is_valid():
            try:
                racer = racer_signup(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    alias=form.cleaned_data["alias"],
                    email=form.cleaned_data["email"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc.message_dict)
            else:
                login(request, racer.user, backend="django.contrib.auth.backends.ModelBackend")
                if next_url:
                    messages.success(request, f"Welcome to the grid, {racer.alias}!")
                    return redirect(next_url)
                messages.success(
                    request, f"Welcome to the grid, {racer.alias}! Upload your first model here."
                )
                return redirect("garage")
        status = 400
    else:
        form = SignupForm()
    return render(request, "registration/signup.html", {"form": form, "next": next_url}, status=status)
