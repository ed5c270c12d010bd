"""Head-to-head API: a race's matches (all, or one racer's), a match's duel replays, the
finals' bracket; the organiser's actions (start the finals, re-run a match that ended in
error). Thin views: ladder/ holds the rules, league/access.py who sees what."""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from ladder import selectors as ladder_selectors
from ladder.bracket import FinalsError
from ladder.matches import finals_begin, match_rerun
from ladder.models import Match
from ladder.replays import MatchReplayMissing, match_replay_payload
from league import access
from league.models import Racer
from web.rangeserve import stored_file_response

from . import errors
from .pagination import page_response, paginated
from .permissions import (
    NOT_MANAGER,
    managed_race_or_404,
    publicly_cacheable,
    race_or_404,
)
from .serializers import BracketOutput, MatchOutput
from .throttles import WriteRateThrottle

NO_SUCH_MATCH = "No such match (or one whose replays you may not see)."
NOT_HEAD_TO_HEAD = errors.detail("No such race, a private race you have not joined, or not a head-to-head race.")


def _head_to_head_or_404(request, race_id: int):
    race = race_or_404(request, race_id)
    if not ladder_selectors.is_head_to_head(race):
        raise NotFound("This race is not a head-to-head race: it has no matches or bracket.")
    return race


def _match_or_404(request, match_id: int, *, replay: bool = False) -> Match:
    match = Match.objects.select_related("race__season", "race__track", "racer_a", "racer_b").filter(
        pk=match_id).first()
    if match is None or not access.race_visible_to(match.race, request.user):
        raise NotFound(NO_SUCH_MATCH)
    # A match's replay shows both cars: either racer's replay setting lets a viewer see it.
    if replay and not any(access.replay_visible_to(match.race, rid, request.user)
                          for rid in (match.racer_a_id, match.racer_b_id)):
        raise NotFound(NO_SUCH_MATCH)
    return match


class RaceMatchesApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="races_matches_list",
        parameters=[OpenApiParameter("racer", OpenApiTypes.STR, description="Only this racer's matches (alias, any case).")],
        responses={200: paginated(MatchOutput), 404: NOT_HEAD_TO_HEAD},
        tags=["head-to-head"],
        description="The race's matches, newest first: ladder matches and finals matches (`finals`). "
        "Each is two duels on one seed with the grid swapped; `winner` is decided by the sum of the two.",
    )
    def get(self, request, race_id: int):
        race = _head_to_head_or_404(request, race_id)
        racer_id = None
        alias = request.query_params.get("racer", "")[:100]
        if alias:
            racer = Racer.objects.filter(alias__iexact=alias).first()
            racer_id = racer.pk if racer else -1
        rows = ladder_selectors.race_matches_for_list(race, racer_id)
        return page_response(self, request, rows, MatchOutput, shape=ladder_selectors.match_row)


class MatchDetailApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: MatchOutput, 404: errors.detail(NO_SUCH_MATCH)}, tags=["head-to-head"])
    def get(self, request, match_id: int):
        return Response(MatchOutput(ladder_selectors.match_row(_match_or_404(request, match_id))).data)


class MatchReplayApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description=(
                "A duel's replay: car a exactly as a time trial's replay (`columns`, `trajectory`, "
                "`events`, `result`, `track` with its geometry, `meta`), and `duel`: `settings` (start, "
                "collision penalty, seed), `winner`, `names` and `positions` of a and b, `car_rgb` (their "
                "colours), `collisions` (the contacts between the cars: step, x_m, y_m) and `opponent` "
                "(car b's `result`, `trajectory` and `events`, the same layout as car a's).")),
            404: errors.detail(NO_SUCH_MATCH + " Or the match has no replay of that duel."),
        },
        tags=["head-to-head"],
    )
    def get(self, request, match_id: int, duel: int):
        match = _match_or_404(request, match_id, replay=True)
        try:
            payload = match_replay_payload(match, duel)
        except MatchReplayMissing:
            raise NotFound("This match has no replay of that duel (duels are 1 and 2; a queued match has none).") \
                from None
        response = HttpResponse(json.dumps(payload, separators=(",", ":")), content_type="application/json")
        response["Cache-Control"] = f"{'public' if publicly_cacheable(match.race) else 'private'}, max-age=300"
        return response


class MatchVideoApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        responses={
            (200, "video/mp4"): OpenApiResponse(OpenApiTypes.BINARY, description="The duel's MP4: both cars, their names and the gap."),
            (206, "video/mp4"): OpenApiResponse(OpenApiTypes.BINARY, description="The requested byte range."),
            302: OpenApiResponse(description="With media in object storage: a link to the MP4 signed for a few minutes."),
            404: errors.detail(NO_SUCH_MATCH + " Or the duel's video is not rendered (yet)."),
            416: OpenApiResponse(description="The byte range lies outside the file."),
        },
        tags=["head-to-head"],
    )
    def get(self, request, match_id: int, duel: int):
        match = _match_or_404(request, match_id, replay=True)
        video = getattr(match, f"video_{duel}", None) if duel in (1, 2) else None
        if not video:
            raise NotFound("This duel has no video (yet): videos are rendered after the match.")
        try:
            return stored_file_response(request, video, "video/mp4", filename=f"match-{match.pk}-{duel}.mp4")
        except (FileNotFoundError, OSError):
            raise NotFound("The video file of this duel is missing.") from None


class MatchRerunApi(APIView):
    permission_classes = [permissions.IsAuthenticated]
    throttle_classes = [WriteRateThrottle]

    @extend_schema(
        request=None,
        responses={201: MatchOutput, 400: errors.detail("The match did not end in error: only those are re-run."),
                   401: errors.NOT_SIGNED_IN, 403: errors.NOT_MANAGER, 404: errors.detail(NO_SUCH_MATCH)},
        tags=["head-to-head"],
        description="Race again a match that ended in error (the platform's fault, after every retry): "
        "the same submissions on the same seed, in the same bracket place. The race's facilitator or an admin.",
    )
    def post(self, request, match_id: int):
        match = _match_or_404(request, match_id)
        if not access.can_manage(match.race, request.user):
            raise PermissionDenied(NOT_MANAGER)
        try:
            again = match_rerun(match)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(MatchOutput(ladder_selectors.match_row(again)).data, status=status.HTTP_201_CREATED)


class RaceBracketApi(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes = [WriteRateThrottle]

    def get_throttles(self):
        return super().get_throttles() if self.request.method == "POST" else []

    def get_permissions(self):
        return [permissions.IsAuthenticated()] if self.request.method == "POST" else super().get_permissions()

    @extend_schema(
        operation_id="races_bracket_retrieve",
        responses={200: BracketOutput, 404: errors.detail(
            "No such race (or not a head-to-head race, or one you may not see), or its finals have not started.")},
        tags=["head-to-head"],
        description="The finals: a double-elimination bracket of the ladder's top racers. Places by "
        "stage (W: winners' side, L: losers' side, GF: grand final, GF2: its reset, raced only if the "
        "losers' side champion wins the grand final), round and index.",
    )
    def get(self, request, race_id: int):
        race = _head_to_head_or_404(request, race_id)
        bracket = ladder_selectors.race_bracket(race)
        if bracket is None:
            raise NotFound("The finals of this race have not started: they start when it closes.")
        return Response(BracketOutput(ladder_selectors.bracket_view(bracket)).data)

    @extend_schema(
        operation_id="races_bracket_create",
        request=None,
        responses={201: BracketOutput, 400: errors.detail(
            "The finals cannot start: they already have, or fewer than two racers are rated."),
            401: errors.NOT_SIGNED_IN, 403: errors.NOT_MANAGER, 404: NOT_HEAD_TO_HEAD},
        tags=["head-to-head"],
        description="Start the finals now (they start by themselves when the race closes): the ladder's "
        "top racers (the race's finals size) are seeded into the bracket and its first round is queued; "
        "the ladder stops pairing. The race's facilitator or an admin.",
    )
    def post(self, request, race_id: int):
        race = managed_race_or_404(request, race_id)
        if not ladder_selectors.is_head_to_head(race):
            raise NotFound("This race is not a head-to-head race: it has no finals.")
        try:
            bracket = finals_begin(race)
        except FinalsError as exc:
            raise ValidationError({"detail": str(exc)}) from None
        return Response(BracketOutput(ladder_selectors.bracket_view(bracket)).data, status=status.HTTP_201_CREATED)
