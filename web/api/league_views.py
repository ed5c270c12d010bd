"""League API: accounts, seasons, races and their boards. Thin views over services and
selectors."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from league import selectors, services
from racing import selectors as racing_selectors
from league.models import Race, Season

from .pagination import BoardPagination
from .throttles import WriteRateThrottle
from .serializers import (
    LeaderboardRowOutput,
    MeOutput,
    RaceOutput,
    SeasonOutput,
    SeasonStandingOutput,
    SignupInput,
    TokenInput,
    TokenOutput,
)


class SignupApi(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "signup"

    @extend_schema(request=SignupInput, responses={201: TokenOutput}, tags=["auth"])
    def post(self, request):
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            racer = services.racer_signup(**data.validated_data)
        except DjangoValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=racer.user)
        return Response({"token": token.key}, status=status.HTTP_201_CREATED)


class TokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenInput, responses={200: TokenOutput}, tags=["auth"])
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if user is None:
            return Response(
                {"non_field_errors": ["Wrong user name or password."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class TokenRotateApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=None, responses={200: TokenOutput}, tags=["auth"])
    def post(self, request):
        """A new token for the caller; the one used for this request stops working."""
        return Response({"token": services.api_token_rotate(request.user).key})


class MeApi(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={200: MeOutput}, tags=["auth"])
    def get(self, request):
        racer = services.racer_for_user(request.user)
        token, _ = Token.objects.get_or_create(user=request.user)
        return Response(
            MeOutput(
                {
                    "username": request.user.get_username(),
                    "alias": racer.alias,
                    "token": token.key,
                    "is_staff": request.user.is_staff,
                }
            ).data
        )


class SeasonListApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: SeasonOutput(many=True)}, tags=["seasons"])
    def get(self, request):
        return Response(SeasonOutput(selectors.season_list(), many=True).data)


class SeasonDetailApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: SeasonOutput}, tags=["seasons"])
    def get(self, request, slug: str):
        season = get_object_or_404(selectors.season_list(), slug=slug)
        return Response(SeasonOutput(season).data)


class SeasonStandingsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: SeasonStandingOutput(many=True)}, tags=["seasons"])
    def get(self, request, slug: str):
        season = get_object_or_404(Season, slug=slug)
        paginator = BoardPagination()
        page = paginator.paginate_queryset(racing_selectors.season_standings(season), request, view=self)
        return paginator.get_paginated_response(SeasonStandingOutput(page, many=True).data)


class SeasonOpenApi(APIView):
    permission_classes = [permissions.IsAdminUser]

    @extend_schema(
        request=None,
        responses={200: SeasonOutput},
        tags=["seasons"],
        description="Staff only. Opens the season; the season that was open closes.",
    )
    def post(self, request, slug: str):
        season = get_object_or_404(Season, slug=slug)
        try:
            services.season_open(season)
        except services.SeasonClosed as exc:
            return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        return Response(SeasonOutput(selectors.season_get(slug)).data)


class RaceDetailApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: RaceOutput}, tags=["races"])
    def get(self, request, race_id: int):
        race = get_object_or_404(Race.objects.select_related("season", "track"), pk=race_id)
        return Response(RaceOutput(race).data)


class LeaderboardApi(APIView):
    permission_classes = [permissions.AllowAny]
    throttle_classes: list = []

    @extend_schema(
        responses={200: LeaderboardRowOutput(many=True)},
        tags=["races"],
        description="One row per racer (their best result), in rank order. Paginated.",
    )
    def get(self, request, race_id: int):
        race = get_object_or_404(Race, pk=race_id)
        paginator = BoardPagination()
        page = paginator.paginate_queryset(racing_selectors.race_leaderboard(race), request, view=self)
        leader = racing_selectors.race_leader_time(race)
        rows = [racing_selectors.leaderboard_row(r, leader) for r in page]
        return paginator.get_paginated_response(LeaderboardRowOutput(rows, many=True).data)

