"""The examples are simulator-only: they never touch Django's settings or media."""

import pytest


@pytest.fixture(autouse=True)
def _media_root():
    return None
