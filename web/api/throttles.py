"""Rate limits on the writes that cost the server (log-in guesses, sign-ups, uploads)."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


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
