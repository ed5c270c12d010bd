"""Races API: community races (create, list, change, close, invite, join, racers) and
every race's detail and board. Thin views: the input serializer checks the shape,
league/community.py the rules, league/access.py who sees and does what."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from ladder import selectors as ladder_selectors
from ladder.settings import ladder_settings_set
from league import access, community
from league import selectors as league_selectors
from league.models import Race
from league.services import racer_for_user
from nights import control
from nights.models import LiveRace
from nights.queue import QueueError
from racing import selectors as racing_selectors
from racing.entrants import entrant_remove
from tracks.selectors import tracks_for

from . import errors
from .night_serializers import RaceCreatedOutput, RaceCreateInput
from .pagination import page_response, paginated
from .permissions import (
    FacilitatorWritesOnly,
    managed_race_or_404,
    mine_requested,
    race_or_404,
)
from .serializers import (
    EntrantOutput,
    InviteOutput,
    LeaderboardRowOutput,
    RaceJoinInput,
    RaceOutput,
    RaceSettingsInput,
    invite_url,
)
from .throttles import WriteRateThrottle

MINE = OpenApiParameter(
    "mine", OpenApiTypes.BOOL,
    description="1: the community races you run (admins: every community race); facilitators only.",
)  # fmt: skip
TIMES = (
    "Times are ISO 8601. A time with an offset (`2026-05-01T18:00:00+02:00`) is that instant; "
    "one without (`2026-05-01T18:00`) is read in the race's `time_zone` (the one given with "
    "it, else the race's own, else UTC). Races answer their times in their own time zone."
)


def _race_output(race: Race, request, **kwargs) -> Response:
    return Response(RaceOutput(race, context={"request": request}).data, **kwargs)


def _settings(request, data: RaceSettingsInput) -> tuple[dict, dict]:
    """The validated settings with the track slug resolved among the caller's tracks,
    and the error for a track they may not use (the service reports the others)."""
    settings = dict(data.validated_data)
    problems = {}
    if "track" in settings:
        slug = settings.pop("track")
        settings["track"] = tracks_for(request.user).filter(slug=slug).first()
        if settings["track"] is None:
            problems["track"] = [
                f"There is no track {slug!r} you may race on; choose a slug from GET /api/tracks/ "
                "(everyone's) or GET /api/tracks/?mine=1 (your uploads)."
            ]
    return settings, problems


def _invalid(exc: DjangoValidationError, problems: dict) -> Response:
    return Response({**errors.field_errors(exc), **problems}, status=status.HTTP_400_BAD_REQUEST)


class _LadderRefused(Exception):
    """The ladder's settings were refused (inside the race's transaction, which it undoes)."""

    def __init__(self, exc: DjangoValidationError):
        self.errors = errors.field_errors(exc)


def _ladder_set(race: Race, ladder: dict | None, *, creating: bool = False) -> None:
    if ladder is not None:
        try:
            ladder_settings_set(race, creating=creating, **ladder)
        except DjangoValidationError as exc:
            raise _LadderRefused(exc) from None


class RaceListApi(APIView):
    permission_classes = [FacilitatorWritesOnly]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "races"

    @extend_schema(
        parameters=[MINE],
        operation_id="races_list",
        responses=errors.facilitator_responses(paginated(RaceOutput)),
        tags=["races"],
        description="Community races: the public ones and the ones you run or joined (newest "
        "first; paginated). League races are in their seasons (`GET /api/seasons/`).",
    )
    def get(self, request):
        if mine_requested(request, self):
            races = league_selectors.community_races_run_by(request.user)
        else:
            races = access.listed_races(request.user).select_related("track", "owner").order_by("-created_at", "-id")
        return page_response(self, request, races, RaceOutput)

    @extend_schema(
        request=RaceCreateInput,
        responses=errors.facilitator_responses(
            RaceCreatedOutput, code=201, bad=errors.bad_request(
                "Bad settings: {field: [messages]}, each named as here; a race night's settings that do not "
                "fit (a head-to-head race, self_start without starts_at) under `live`; the ladder's under "
                "`ladder` ({setting: [messages]}). Nothing is created.")
        ),
        tags=["races"],
        description="Facilitators and admins. Create a community race on a track you may race "
        "on (`track`: its slug) with any of the settings; the others take the community "
        "defaults (3 laps, total_time, 3 s penalty, 180 s cap, 50 / 10 submissions, open now "
        "for 7 days, public). Unlisted and private races answer with their `invite_url`. "
        "The format (`format`: time_trial, object_avoidance with `objects`, `placement`, "
        "`fixed_positions`; head_to_bot with `bots`, `bot_speed`, `bot_lane_change`; both with "
        "`collision_penalty_s` and `seed`) is chosen here: the off-track penalty defaults to 5 s "
        "with boxes or bots, the seed to a random one, and the boxes and bots must fit the "
        "track (a 400 says how). A head_to_head race's ladder settings go under `ladder` "
        "(`duel_start`, `matches_per_hour`, `finals_size`; refused under `ladder` for another format). "
        "`mode`: live makes it a race night at once (its settings under "
        "`live`, as PUT /api/races/{id}/live/ takes them). " + TIMES,
    )
    def post(self, request):
        data = RaceCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        settings, problems = _settings(request, data)
        mode, night = settings.pop("mode", LiveRace.Mode.CLASSIC), settings.pop("live", None)
        ladder = settings.pop("ladder", None)
        live = None
        try:
            with transaction.atomic():  # a race night or ladder refused leaves no race behind
                race = community.community_race_create(
                    owner=racer_for_user(request.user), track=settings.pop("track", None),
                    name=settings.pop("name", ""), **settings,
                )  # fmt: skip
                _ladder_set(race, ladder, creating=True)
                if mode == LiveRace.Mode.LIVE or night:
                    live = control.live_settings_set(race, mode=mode, **(night or {}))
        except DjangoValidationError as exc:
            return _invalid(exc, problems)
        except _LadderRefused as exc:
            return Response({"ladder": exc.errors, **problems}, status=status.HTTP_400_BAD_REQUEST)
        except QueueError as exc:
            return Response({"live": [str(exc)]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(RaceCreatedOutput(race, context={"request": request, "live": live}).data,
                        status=status.HTTP_201_CREATED)


class RaceDetailApi(APIView):
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    @extend_schema(responses={200: RaceOutput, 404: errors.NO_SUCH_RACE}, tags=["races"])
    def get(self, request, race_id: int):
        return _race_output(race_or_404(request, race_id), request)

    @extend_schema(
        request=RaceSettingsInput,
        responses=errors.manager_responses(
            RaceOutput, bad=errors.bad_request(
                "Bad settings, or settings that froze when the race opened: {field: [messages]}; the ladder's "
                "under `ladder` ({setting: [messages]}). Nothing changes.")
        ),
        tags=["races"],
        description="The race's facilitator and admins. Change any setting until the race "
        "opens (the format and its settings too, and a head-to-head race's `ladder`); afterwards "
        "the name, the description, `closes_at` (a later time extends the race; to end it now, "
        "`POST .../close/`) and the ladder's `matches_per_hour`. " + TIMES,
    )
    def patch(self, request, race_id: int):
        race = managed_race_or_404(request, race_id)
        data = RaceSettingsInput(data=request.data, partial=True, context={"time_zone": race.time_zone})
        data.is_valid(raise_exception=True)
        settings, problems = _settings(request, data)
        if problems:
            return Response(problems, status=status.HTTP_400_BAD_REQUEST)
        ladder = settings.pop("ladder", None)
        try:
            with transaction.atomic():  # the settings and the ladder's, or neither
                race = community.community_race_update(race, **settings)
                _ladder_set(race, ladder)
        except DjangoValidationError as exc:
            return _invalid(exc, problems)
        except _LadderRefused as exc:
            return Response({"ladder": exc.errors}, status=status.HTTP_400_BAD_REQUEST)
        return _race_output(race, request)


class RaceCloseApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses=errors.manager_responses(RaceOutput),
        tags=["races"],
        description="The race's facilitator and admins. Close the race now: no more "
        "submissions, the board freezes (a race already closed stays as it is).",
    )
    def post(self, request, race_id: int):
        return _race_output(community.race_close_now(managed_race_or_404(request, race_id)), request)


class RaceInviteResetApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "races"

    @extend_schema(
        request=None,
        responses=errors.manager_responses(
            InviteOutput, bad=errors.bad_request("A public race has no invite link: {visibility: [message]}.")
        ),
        tags=["races"],
        description="The race's facilitator and admins. A new invite link for an unlisted or "
        "private race; the old one stops working at once (racers who joined stay in).",
    )
    def post(self, request, race_id: int):
        race = managed_race_or_404(request, race_id)
        if race.visibility == Race.Visibility.PUBLIC:
            return Response(
                {"visibility": ["A public race needs no invite link: anyone can enter it."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        community.invite_reset(race)
        return Response({"invite_url": invite_url(race, request)})


class RaceJoinApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "races"

    @extend_schema(
        request=RaceJoinInput,
        responses={
            200: RaceOutput,
            400: errors.bad_request("No invite given."),
            401: errors.NOT_SIGNED_IN,
            403: errors.detail("The facilitator removed you from this race."),
            404: errors.detail("The invite does not work (reset, or never existed)."),
        },
        tags=["races"],
        description="Join the race of an invite link (the whole link or its token). Joining "
        "again changes nothing; a racer the facilitator removed cannot rejoin.",
    )
    def post(self, request):
        data = RaceJoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            race = community.race_join(racer=racer_for_user(request.user), invite=data.validated_data["invite"])
        except community.InviteInvalid as exc:
            raise NotFound(str(exc)) from None
        except DjangoValidationError as exc:
            raise PermissionDenied(" ".join(exc.messages)) from None
        return _race_output(race, request)


class RaceRacersApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        operation_id="races_racers_list",
        responses=errors.manager_responses(paginated(EntrantOutput)),
        tags=["races"],
        description="The race's facilitator and admins. Everyone who joined, in the order they "
        "joined, the removed ones included (paginated).",
    )
    def get(self, request, race_id: int):
        race = managed_race_or_404(request, race_id)
        return page_response(self, request, racing_selectors.race_entrant_rows(race), EntrantOutput)


class RaceRacerRemoveApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            **errors.manager_responses(EntrantOutput),
            404: errors.detail("No such race, or no racer of that alias in it."),
        },
        tags=["races"],
        description="The race's facilitator and admins. Remove a racer: their entries leave the "
        "board at once (kept, marked removed, for the record); they cannot enter again or "
        "rejoin by the link. Removing them again changes nothing.",
    )
    def post(self, request, race_id: int, alias: str):
        race = managed_race_or_404(request, race_id)
        racer = racing_selectors.race_racer(race, alias)
        if racer is None:
            raise NotFound(f"There is no racer {alias!r} in this race.")
        entrant_remove(race, racer)
        return Response(EntrantOutput(racing_selectors.race_entrant_rows(race, racer=racer)[0]).data)


class LeaderboardApi(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []

    @extend_schema(
        operation_id="races_leaderboard_list",
        parameters=[
            OpenApiParameter("racer", OpenApiTypes.STR, description="Only the row of the racer of this alias (any case)."),
            OpenApiParameter("search", OpenApiTypes.STR, description="Only the rows whose alias contains this (any case)."),
        ],
        responses={200: paginated(LeaderboardRowOutput), 404: errors.NO_SUCH_RACE},
        tags=["races"],
        description="One row per racer (their best result), in rank order by the race's "
        "ranking (`time_s` is that figure). Paginated. Filtered rows keep their rank on the "
        "whole board. In a head-to-head race the rows are the ladder's, in its order (`rating`: "
        "OpenSkill's mu - 3 sigma); the time columns are of the racer's qualifying run.",
    )
    def get(self, request, race_id: int):
        race = race_or_404(request, race_id)
        leader = racing_selectors.race_leader_time(race)
        rows = racing_selectors.race_leaderboard(
            race, racer=request.query_params.get("racer", "")[:100], search=request.query_params.get("search", "")[:100]
        )
        positions = ladder_selectors.ladder_positions(race) if ladder_selectors.is_head_to_head(race) else {}
        if positions:  # head-to-head: the ladder's order and ranks
            rows = ladder_selectors.ladder_order(positions, list(rows))
        elif not (request.query_params.get("racer") or request.query_params.get("search")):
            rows = racing_selectors.race_board_pages(race)  # a page: a range of ranks

        def shape(row):
            out = {**racing_selectors.leaderboard_row(row, leader), **ladder_selectors.ladder_fields(
                positions.get(row.racer_id))}
            if positions:
                out["rank"] = positions.get(row.racer_id, (len(positions) + row.rank,))[0]
            return out

        return page_response(self, request, rows, LeaderboardRowOutput, shape=shape)

