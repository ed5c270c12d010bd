"""League API: accounts and seasons (races are in race_views.py). Thin views over
services and selectors."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from league import access, selectors, services
from league.models import Season
from racing import selectors as racing_selectors
from web.logins import locked_out, lockout_response

from . import errors
from .pagination import page_response, paginated
from .permissions import AdminsOnly, found_or_404
from .serializers import (
    MeOutput,
    SeasonOutput,
    SeasonStandingOutput,
    SignupInput,
    TokenInput,
    TokenOutput,
)
from .throttles import WriteRateThrottle


class SignupApi(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "signup"

    @extend_schema(
        request=SignupInput,
        responses={
            201: TokenOutput,
            400: errors.bad_request(
                "{field: [messages]}, every problem at once: a taken user name, an alias that is taken "
                "or reads the same as another racer's or starts with a reserved prefix (“House…”), an "
                "email address that is not one, a weak password."
            ),
        },
        tags=["auth"],
        description="A new racer and its API token. Sign-ups per address are limited (the page's "
        "sign-up form counts too).",
    )
    def post(self, request):
        data = SignupInput(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            racer = services.racer_signup(**data.validated_data)
        except DjangoValidationError as exc:
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"token": services.api_token_get(racer.user).key}, status=status.HTTP_201_CREATED)


class TokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = [WriteRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        request=TokenInput,
        responses={
            200: TokenOutput,
            400: errors.bad_request("{non_field_errors: [message]}: wrong user name or password."),
            429: errors.detail(
                "Too many failed log-ins for this account or from this address (or too many "
                "requests): try again after the `Retry-After` header's seconds."
            ),
        },
        tags=["auth"],
        description="Your API token. After a few wrong passwords the account and the address "
        "are locked out for a while, longer with every further failure.",
    )
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        # The DRF request: django-axes reads the user name from its data (JSON or form)
        # and marks it when the account or address is locked out.
        user = authenticate(
            request, username=data.validated_data["username"], password=data.validated_data["password"]
        )
        if locked_out(request):
            return lockout_response(request)
        if user is None:
            return Response(
                {"non_field_errors": ["Wrong user name or password."]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"token": services.api_token_get(user).key})


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
        token = services.api_token_get(request.user)
        return Response(
            MeOutput(
                {
                    "username": request.user.get_username(),
                    "alias": racer.alias,
                    "token": token.key,
                    "is_staff": request.user.is_staff,
                    "is_facilitator": access.is_facilitator(request.user),
                }
            ).data
        )


class SeasonListApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="seasons_list",
        responses={200: paginated(SeasonOutput)},
        tags=["seasons"],
        description="The league's seasons, newest first, each with its races (paginated like every list).",
    )
    def get(self, request):
        return page_response(self, request, selectors.season_list(), SeasonOutput)


class SeasonDetailApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: SeasonOutput}, tags=["seasons"])
    def get(self, request, slug: str):
        season = found_or_404(selectors.season_list(), "No such season.", slug=slug)
        return Response(SeasonOutput(season).data)


class SeasonStandingsApi(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(operation_id="seasons_standings_list", responses={200: paginated(SeasonStandingOutput)}, tags=["seasons"])
    def get(self, request, slug: str):
        season = found_or_404(Season.objects.all(), "No such season.", slug=slug)
        return page_response(self, request, racing_selectors.season_standing_pages(season), SeasonStandingOutput)


class SeasonOpenApi(APIView):
    permission_classes = [AdminsOnly]

    @extend_schema(
        request=None,
        responses={200: SeasonOutput},
        tags=["seasons"],
        description="Staff only. Opens the season; the season that was open closes.",
    )
    def post(self, request, slug: str):
        season = found_or_404(Season.objects.all(), "No such season.", slug=slug)
        try:
            services.season_open(season)
        except services.SeasonClosed as exc:
            return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)
        return Response(SeasonOutput(selectors.season_get(slug)).data)
