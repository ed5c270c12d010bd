"""The OpenAPI schema's answers: drf-spectacular's, plus the errors every view really gives
without each view repeating them (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]).

A view's own `@extend_schema(responses=...)` always wins; this adds only what is missing:
- 400 for a body that does not validate (every write with a request body);
- 401 where the permission classes need a signed-in caller (TokenAuthentication answers
  401, not 403, to an anonymous caller), and on every other call for a wrong token; 403
  for staff-only calls;
- 415 for a body of a Content-Type the call does not read (every write with a body);
- 404 for a path with an id or slug in it (nothing there, or nothing the caller may see);
- 400 and 404 for the `page` of a paginated list (web/api/pagination.py), with the
  `page` and `page_size` parameters;
- 413 for an upload (a view that reads multipart first) whose body is over its limit
  (web/asgi_limits.py);
- 429 for a rate-limited write (web/api/throttles.py), with its Retry-After header (so is
  every 503's).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import authentication, parsers, permissions

from . import errors
from .pagination import BoardPagination
from .throttles import WriteRateThrottle

BAD_INPUT = errors.bad_request(
    "{field: [messages]}: the input does not validate; each message says what to change."
)
BAD_PAGE = errors.bad_request(
    "{page: [message]} or {page_size: [message]}: the page is not a whole number from 1, or the page "
    f"size not one from 1 to {BoardPagination.max_page_size}."
)
BAD_TOKEN = errors.detail(
    "An `Authorization` token that is wrong or revoked (send none to read as anyone may); the message "
    "says how to send one."
)
UNSUPPORTED_TYPE = errors.detail(
    "The body's Content-Type is not one this call reads: send JSON (`application/json`) or a form "
    "(`multipart/form-data`, `application/x-www-form-urlencoded`)."
)
NOT_FOUND = errors.detail("Nothing here: no such item, or one you may not see.")
PAGE_NOT_FOUND = errors.detail("Nothing here, or no such page: the message names the last page.")
STAFF_ONLY = errors.detail("Signed in, but only staff may do this.")
TOO_LARGE = errors.detail("The body is larger than this upload's limit: refused before it is read.")
PAGE_PARAMETERS = [
    OpenApiParameter("page", OpenApiTypes.INT, description="Page number, from 1 (`last`: the last page)."),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT,
        description=(
            f"Rows per page (default {BoardPagination.page_size}, at most {BoardPagination.max_page_size})."
        ),
    ),
]  # fmt: skip
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def _paginated(response) -> bool:
    """Whether a declared answer is one page of rows (pagination.paginated())."""
    return type(response).__name__.startswith("Paginated")


def _ok_answers(declared) -> list:
    """The declared answers of success (a view declares one, or a dict by status code)."""
    if isinstance(declared, dict):
        return [r for code, r in declared.items() if str(code).startswith("2")]
    return [declared]


class LeagueAutoSchema(AutoSchema):
    # extend_schema(responses=...) replaces get_response_serializers() in a subclass, so the
    # implied answers are added where the answers are assembled, after it.

    def _permission_classes(self) -> list[type]:
        return list(getattr(self.view, "permission_classes", []) or [])

    def _needs_sign_in(self) -> bool:
        classes = self._permission_classes()
        if any(issubclass(c, (permissions.IsAuthenticated, permissions.IsAdminUser)) for c in classes):
            return True
        return self.method in WRITES and any(
            issubclass(c, permissions.IsAuthenticatedOrReadOnly) for c in classes
        )

    def _reads_tokens(self) -> bool:
        classes = getattr(self.view, "authentication_classes", []) or []
        return any(issubclass(c, authentication.TokenAuthentication) for c in classes)

    def _throttled(self) -> bool:
        classes = getattr(self.view, "throttle_classes", []) or []
        return self.method in WRITES and any(issubclass(c, WriteRateThrottle) for c in classes)

    def _implied(self, declared) -> dict:
        implied = {}
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            implied["400"] = BAD_INPUT
        if self._needs_sign_in():
            implied["401"] = errors.NOT_SIGNED_IN
        elif self._reads_tokens():  # a bad token is a 401 on any call, a public read too
            implied["401"] = BAD_TOKEN
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            implied["415"] = UNSUPPORTED_TYPE
        if any(issubclass(c, permissions.IsAdminUser) for c in self._permission_classes()):
            implied["403"] = STAFF_ONLY
        if "{" in self.path:
            implied["404"] = NOT_FOUND
        if self.method == "GET" and any(_paginated(r) for r in _ok_answers(declared)):
            implied["400"] = BAD_PAGE
            implied["404"] = PAGE_NOT_FOUND
        # An upload view reads multipart first (every view accepts it, among others).
        readers = list(getattr(self.view, "parser_classes", []) or [])
        if self.method in WRITES and readers and issubclass(readers[0], parsers.MultiPartParser):
            implied["413"] = TOO_LARGE
        if self._throttled():
            implied["429"] = errors.RATE_LIMITED
        return implied

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        if direction != "response" or self.method == "DELETE":
            return bodies
        for code, response in self._implied(self.get_response_serializers()).items():
            if code not in bodies:
                bodies[code] = self._get_response_for_code(response, code, direction=direction)
        return bodies

    def get_override_parameters(self):
        parameters = super().get_override_parameters()
        if self.method == "GET" and any(_paginated(r) for r in _ok_answers(self.get_response_serializers())):
            named = {getattr(p, "name", None) for p in parameters}
            parameters = [*parameters, *(p for p in PAGE_PARAMETERS if p.name not in named)]
        return parameters

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if str(status_code) in ("429", "503") and "headers" not in response:
            response["headers"] = {
                "Retry-After": {
                    "schema": {"type": "integer"},
                    "description": "Seconds to wait before trying again.",
                }
            }
        return response
