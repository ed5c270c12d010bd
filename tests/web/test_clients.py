"""The client's address: X-Forwarded-For counts only as far as trusted proxies wrote it,
by the same rule as DRF's throttles (NUM_PROXIES)."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from web.clients import client_ip

CASES = [
    # (proxies, X-Forwarded-For, client)
    (0, None, "192.0.2.1"),
    (0, "203.0.113.5", "192.0.2.1"),  # no proxy: whatever the client writes is ignored
    (0, "203.0.113.5, 198.51.100.7", "192.0.2.1"),
    (1, None, "192.0.2.1"),
    (1, "203.0.113.5", "203.0.113.5"),
    (1, "10.9.9.9, 203.0.113.5", "203.0.113.5"),  # the last hop, written by our proxy
    (1, "10.9.9.9,203.0.113.5", "203.0.113.5"),
    (2, "10.9.9.9, 203.0.113.5, 198.51.100.7", "203.0.113.5"),
    (2, "203.0.113.5", "203.0.113.5"),  # fewer hops than proxies: the first
    (1, "2001:db8::1", "2001:db8::1"),
]


@pytest.mark.parametrize("proxies, forwarded, expected", CASES)
def test_client_address_follows_drf_num_proxies(settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXIES = proxies
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", **headers)
    assert client_ip(request) == expected
    assert api_settings.NUM_PROXIES == proxies
    assert BaseThrottle().get_ident(request) == expected


def test_a_forged_hop_that_is_no_address_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXIES = 2  # one proxy too many: the client writes the hop read
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="x'; drop, 203.0.113.5")
    assert client_ip(request) == "192.0.2.1"


def test_settings_use_one_number_for_both():
    assert django_settings.REST_FRAMEWORK["NUM_PROXIES"] == django_settings.TRUSTED_PROXIES == 0
