"""The API's error bodies, and how they appear in the OpenAPI schema.

Two shapes, as DRF answers: `{"detail": "..."}` for a whole request (401, 403, 404, 413,
429, 503) and `{field: [messages]}` for bad input (400), each field named as the API names
it.
"""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from league.rules import API_NAMES


def field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as the API's 400 body (the API's field names)."""
    if not hasattr(exc, "error_dict"):
        return {"non_field_errors": list(exc.messages)}
    errors: dict[str, list[str]] = {}
    for field, messages in exc.message_dict.items():
        name = "non_field_errors" if field == NON_FIELD_ERRORS else API_NAMES.get(field, field)
        errors.setdefault(name, []).extend(messages)
    return errors


class DetailOutput(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, in a sentence.")


# {field: [messages]}: each message says what to change.
FIELD_ERRORS = dict[str, list[str]]


def bad_request(description: str) -> OpenApiResponse:
    return OpenApiResponse(FIELD_ERRORS, description=description)


def detail(description: str) -> OpenApiResponse:
    return OpenApiResponse(DetailOutput, description=description)


NOT_SIGNED_IN = detail("Not signed in: send `Authorization: Token <key>`.")
NOT_FACILITATOR = detail(
    "Signed in without the race facilitator role; the message says an admin grants it."
)
NO_SUCH_RACE = detail(
    "No such race, or a private race you have not joined (the same answer, so that nothing leaks)."
)
NOT_MANAGER = detail("You may see the race but not run it: only its facilitator or an admin may.")
RATE_LIMITED = detail(
    "Too many of these requests from you (per user once signed in, else per address): try "
    "again after the `Retry-After` header's seconds."
)


def facilitator_responses(ok, *, code: int = 200, bad: OpenApiResponse | None = None) -> dict:
    """The answers of a call only facilitators and admins may make."""
    responses = {code: ok, 401: NOT_SIGNED_IN, 403: NOT_FACILITATOR}
    if bad is not None:
        responses[400] = bad
    return responses


def manager_responses(ok, *, bad: OpenApiResponse | None = None) -> dict:
    """The answers of an action only the race's facilitator (or an admin) may take."""
    responses = {200: ok, 401: NOT_SIGNED_IN, 403: NOT_MANAGER, 404: NO_SUCH_RACE}
    if bad is not None:
        responses[400] = bad
    return responses


# How to authenticate, added to every 401 (DRF's own words say only what is missing).
TOKEN_HINT = ("Send your API token as the header `Authorization: Token <key>` (your profile page shows "
              "the key and makes a new one), or send none to read public data.")


def exception_handler(exc, context):
    """DRF's answers, with every 401 saying how to authenticate (REST_FRAMEWORK's
    EXCEPTION_HANDLER)."""
    from rest_framework.views import exception_handler as drf_exception_handler  # settings load first

    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 401 and isinstance(response.data, dict):
        detail = str(response.data.get("detail", "")).strip()
        response.data["detail"] = f"{detail} {TOKEN_HINT}".strip()
    return response

