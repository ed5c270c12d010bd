"""Fixtures of the API tests: clients signed in with a racer's token, fast password
hashing."""

from __future__ import annotations

import pytest

from tests.factories import api_client


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def as_():
    """`as_(racer).get(...)`: a request with that racer's token (or a user's; None:
    anonymous)."""
    return api_client
