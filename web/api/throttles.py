"""Rate limits on the writes that cost the server (log-in guesses, sign-ups, uploads).

Counted in the default cache, which every web process shares (the database cache, or
Redis with REDIS_URL), per client: the user once signed in, else the address web/clients.py
gives, so a forged X-Forwarded-For is no new client.
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from web.clients import client_ip


class WriteRateThrottle(ScopedRateThrottle):
    """A view's `throttle_scope` limits its writes only; reading stays free.

    Rates come from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] at request time, so a
    deployment (or a test) can change them without a restart of the class.
    """

    def allow_request(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request) -> str:
        return client_ip(request)


class _Scope:
    """What a throttle reads of a view: its scope."""

    def __init__(self, scope: str):
        self.throttle_scope = scope


def throttle_wait(request, scope: str) -> int | None:
    """Count one write of `scope` for this client, with the API's counter (so a page and
    the API share one limit); None if allowed, else the seconds to wait (at least 1)."""
    throttle = WriteRateThrottle()
    if throttle.allow_request(request, _Scope(scope)):
        return None
    return max(1, round(throttle.wait() or 1))
