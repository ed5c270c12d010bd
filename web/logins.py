"""Log-in protection on every log-in path (the page, the API's token, the admin), built on
django-axes: it counts failed log-ins in the database and refuses a locked-out client in
its authentication backend, before the password is checked.

What this module adds to axes (settings.py names it):
- an address's own limit: axes counts an account's failures and an address's against one
  limit; here an address may fail LOGIN_ADDRESS_FAILURE_LIMIT times, more than one account
  may, because a classroom or an office behind one address is many racers;
- backoff: the cool-off starts at LOGIN_COOLOFF_S and doubles with every failure past
  AXES_FAILURE_LIMIT, up to LOGIN_COOLOFF_MAX_S, so a patient guesser gets one guess per
  ever longer wait instead of a fresh batch after each cool-off;
- a handler that remembers failures for a day (axes alone forgets everything older than
  the current request's cool-off), so waiting out one lockout does not reset the count;
- the answer to a locked-out client: a page, or for the API a JSON 429, both with
  Retry-After.
"""

from __future__ import annotations

import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from web.templatetags.league_web import countdown_text


# How long a failure counts towards the backoff (at least the longest cool-off).
REMEMBERED = timedelta(days=1)


def _longest() -> timedelta:
    return timedelta(seconds=float(settings.LOGIN_COOLOFF_MAX_S))


def _remembered() -> timedelta:
    return max(REMEMBERED, _longest())


def _count(rows) -> int:
    return rows.aggregate(n=Sum("failures_since_start"))["n"] or 0


def weighted(account: int, address: int) -> int:
    """An account's and an address's failures as one count against AXES_FAILURE_LIMIT: the
    address's scaled to reach it at LOGIN_ADDRESS_FAILURE_LIMIT."""
    per_account, per_address = int(settings.AXES_FAILURE_LIMIT), int(settings.LOGIN_ADDRESS_FAILURE_LIMIT)
    return max(account, address * per_account // max(per_address, 1))


def _attempts(request) -> list:
    """The failures remembered for this request's account and address (two querysets)."""
    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - _remembered())
    username = get_client_username(request, getattr(request, "axes_credentials", None))
    address = getattr(request, "axes_ip_address", None)
    return [recent.filter(username=username) if username else recent.none(),
            recent.filter(ip_address=address) if address else recent.none()]  # fmt: skip


def _failures(request) -> int:
    return weighted(*(_count(rows) for rows in _attempts(request)))


def cool_off(request=None) -> timedelta:
    """How long a lockout of this request's account or address lasts after its last failure
    (AXES_COOLOFF_TIME): LOGIN_COOLOFF_S, doubled for each failure past the limit."""
    base = float(settings.LOGIN_COOLOFF_S)
    if request is None:
        return timedelta(seconds=base)
    past_limit = max(0, _failures(request) - int(settings.AXES_FAILURE_LIMIT))
    return min(timedelta(seconds=base * 2 ** min(past_limit, 40)), _longest())


def retry_after_s(request) -> int:
    """Seconds until this request's account and address may try again."""
    last = None
    for rows in _attempts(request):
        when = rows.aggregate(last=Max("attempt_time"))["last"]
        last = when if last is None or (when and when > last) else last
    if last is None:
        return 1
    left = (last + cool_off(request) - timezone.now()).total_seconds()
    return max(1, math.ceil(left))


class BackoffHandler(AxesDatabaseHandler):
    """Axes' database handler, keeping failures for a day (REMEMBERED).

    Axes deletes every failure older than the cool-off of whichever request comes next;
    with a cool-off that grows with the failures, that would forget the backoff of a
    locked account as soon as anyone else tried to log in."""

    def get_failures(self, request, credentials=None) -> int:
        # Axes' lockout count (the larger of the account's and the address's, among the
        # failures within the cool-off), with the address's own limit (weighted()).
        account, address = (_count(rows) for rows in self.get_user_attempts(request, credentials))
        return weighted(account, address)

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        count, _ = AccessAttempt.objects.filter(attempt_time__lt=timezone.now() - _remembered()).delete()
        return count


def lockout_message(wait_s: int) -> str:
    return (
        "Too many failed log-ins for this account or from your address. "
        f"Try again in {countdown_text(wait_s)}."
    )


def lockout_response(request, original_response=None, credentials=None):
    """The answer to a locked-out client (AXES_LOCKOUT_CALLABLE): 429 with Retry-After; a
    JSON body for the API, the log-in page's own look for a person."""
    wait_s = retry_after_s(request)
    message = lockout_message(wait_s)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"message": message}, status=429)
    response["Retry-After"] = str(wait_s)
    return response


def locked_out(request) -> bool:
    """Whether the last authenticate() on this request was refused by a lockout."""
    return bool(getattr(request, "axes_locked_out", False))

