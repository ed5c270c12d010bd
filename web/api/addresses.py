"""The API's own addresses answered the API's way, before Django's page habits apply.

Every API path ends with a slash. Django's APPEND_SLASH would answer a POST to
`/api/submissions` with a 301 to the slashed address, which HTTP clients follow as a GET:
the submission silently becomes a listing. Here such a request is redirected with 308,
which keeps the method and the body. An `/api/` address that is no API path answers a
JSON 404 pointing to the docs, not the site's HTML page.
"""

from __future__ import annotations

from django.http import HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve

API_PREFIX = "/api/"


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


class ApiAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if not path.startswith(API_PREFIX):
            return self.get_response(request)
        if not path.endswith("/") and _resolves(path + "/"):
            query = request.META.get("QUERY_STRING", "")
            response = HttpResponseRedirect(request.path + "/" + (f"?{query}" if query else ""))
            response.status_code = 308  # the method and body kept (a 301 turns a POST into a GET)
            return response
        response = self.get_response(request)
        if response.status_code == 404 and not _resolves(path):
            return JsonResponse({"detail": f"There is no API address {path}. Every path is in /api/docs/ "
                                           "(/api/schema/ for the OpenAPI schema); each ends with a slash."},
                                status=404)  # fmt: skip
        return response
