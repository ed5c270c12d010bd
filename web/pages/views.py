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
from django.views.decorators.http import require_http_methods, require_POST

from league import selectors as league_selectors
from league.models import Race, Racer, Season
from league.services import api_token_get, api_token_rotate, racer_for_user, racer_signup
from racing import selectors as racing_selectors
from racing.runner import ModelRejected, PlatformFault
from racing.submissions import SubmissionRejected, submission_create
from racing.uploads import model_upload
from racing.models import Submission
from tracks import selectors as track_selectors
from tracks.models import Track

from .forms import ModelUploadForm, SignupForm, SubmitForm, add_service_errors

BOARD_PAGE_SIZE = 50
STANDINGS_PAGE_SIZE = 50


def _racer(request) -> Racer | None:
    return racer_for_user(request.user) if request.user.is_authenticated else None


def home(request):
    data = racing_selectors.home_data(user=request.user)
    return render(request, "league/home.html", data)


# --- Races --------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def race_detail(request, race_id: int):
    """A race's leaderboard, its track and rules, and the form to enter a model."""
    try:
        race = league_selectors.race_get(race_id)
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

    paginator = Paginator(racing_selectors.race_leaderboard(race), BOARD_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    leader_time = racing_selectors.race_leader_time(race) if paginator.count else None
    rows = [racing_selectors.leaderboard_row(r, leader_time) for r in page.object_list]
    my_rank = racing_selectors.race_rank_of(race, racer)
    my_page = (my_rank - 1) // BOARD_PAGE_SIZE + 1 if my_rank else None
    context = {
        "race": race,
        "season": race.season,
        "track": race.track,
        "siblings": list(race.season.races.select_related("track").order_by("order", "id")),
        "rows": rows,
        "page": page,
        "paginator": paginator,
        "page_numbers": list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
        "accepting": race.accepting_submissions(),
        "racer": racer,
        "form": form,
        "has_models": bool(form is not None and form.fields["model"].queryset.exists()),
        "quota": racing_selectors.quota_status(racer, race) if racer is not None else None,
        "my_rank": my_rank,
        "my_page": my_page,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "league/race.html", context, status=status)


# --- Seasons ------------------------------------------------------------------------------


def season_list(request):
    return render(request, "league/seasons.html", {"seasons": list(league_selectors.season_list())})


def season_detail(request, slug: str):
    """Season standings: points, wins and the rank in every race."""
    season = get_object_or_404(Season, slug=slug)
    races = list(season.races.select_related("track").order_by("order", "id"))
    paginator = Paginator(racing_selectors.season_standings(season), STANDINGS_PAGE_SIZE)
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
    try:
        track = track_selectors.track_get(slug)
    except Track.DoesNotExist:
        raise Http404("No such track.") from None
    return render(
        request,
        "league/track.html",
        {"track": track, "races": track.race_list, "leaders": racing_selectors.race_leaders(track.race_list)},
    )


# --- Racers -------------------------------------------------------------------------------


def racer_profile(request, alias: str):
    try:
        racer = league_selectors.racer_get(alias)
    except Racer.DoesNotExist:
        raise Http404("No such racer.") from None
    data = racing_selectors.racer_profile(racer)
    is_me = request.user.is_authenticated and racer.user_id == request.user.pk
    data["is_me"] = is_me
    data["best"] = sorted(
        (r for r in data["races"] if r.finished), key=lambda r: (r.rank, r.time_s or 0)
    )[:3]
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
    if request.method == "POST":
        form = ModelUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                model = model_upload(
                    owner=racer,
                    name=form.cleaned_data["name"],
                    onnx_file=form.cleaned_data["onnx"],
                    metadata_file=form.cleaned_data["metadata"],
                )
            except ModelRejected as exc:
                add_service_errors(form, exc.errors)
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
        status = 400
    else:
        form = ModelUploadForm()
    data = racing_selectors.garage(racer)
    data["form"] = form
    return render(request, "league/garage.html", data, status=status)


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
    if request.user.is_authenticated:
        return redirect("garage")
    status = 200
    if request.method == "POST":
        form = SignupForm(request.POST)
        if form.is_valid():
            try:
                racer = racer_signup(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    alias=form.cleaned_data["alias"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc.message_dict)
            else:
                login(request, racer.user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request, f"Welcome to the grid, {racer.alias}! Upload your first model here."
                )
                return redirect("garage")
        status = 400
    else:
        form = SignupForm()
    return render(request, "registration/signup.html", {"form": form}, status=status)
