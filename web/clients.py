"""Who the client is: the one rule for a client's address, used by the log-in lockouts
(django-axes' AXES_CLIENT_IP_CALLABLE) and by every rate limit (web/api/throttles.py).

X-Forwarded-For is a list that each proxy extends with the address it saw, so only the
entries written by our own proxies can be believed, counted from the right. With
TRUSTED_PROXIES = 0 (no proxy) the header is ignored entirely: otherwise a client that
writes a new address in it on every request would be a new client every time. This is
DRF's NUM_PROXIES rule (settings.py sets NUM_PROXIES = TRUSTED_PROXIES);
tests/web/test_clients.py proves they agree.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind N trusted proxies the address the
    outermost of them saw (the N-th entry of X-Forwarded-For from the right)."""
    remote = request.META.get("REMOTE_ADDR") or ""
    proxies = int(getattr(settings, "TRUSTED_PROXIES", 0) or 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",")]
    candidate = hops[-min(proxies, len(hops))]
    # A proxy writes addresses; anything else came from the client (a proxy count set
    # higher than the proxies really there) and must not become a database key.
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
