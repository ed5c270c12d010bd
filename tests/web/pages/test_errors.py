"""The error pages in the site's look: 404 (a missing page, or one not yours to see) and
500, which must render without a database or a request context."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import include, path, reverse
from django.views.defaults import server_error

from tests import factories as F


def _boom(request):
    raise RuntimeError("a bug")


# This module doubles as a URLconf: the site's URLs plus one view that fails.
urlpatterns = [path("boom/", _boom), path("", include("config.urls"))]


@pytest.mark.django_db
def test_a_missing_page_is_a_friendly_404_in_the_sites_look(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert 'class="site-header"' in html and 'class="site-footer"' in html  # base.html
    assert "Nothing here" in html and "Error 404" in html
    for name in ("home", "races", "guide"):
        assert f'href="{reverse(name)}"' in html


@pytest.mark.django_db
def test_a_private_race_looks_like_a_missing_page(client):
    race = F.community_race(visibility="private")
    response = client.get(reverse("race", args=[race.pk]))
    assert response.status_code == 404 and "Nothing here" in response.content.decode()
    assert race.name not in response.content.decode()


def test_the_500_page_needs_no_database_and_no_request_context(django_db_blocker):
    request = RequestFactory().get("/")  # no user, no session, no messages
    with django_db_blocker.block():  # any query would raise
        response = server_error(request)

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something broke on our side" in html and "Error 500" in html
    assert 'href="/static/web/css/league.css"' in html and 'class="site-header"' in html
    assert 'href="/"' in html  # back to the races, without reversing a URL


@pytest.mark.django_db
def test_an_unexpected_error_shows_the_500_page(settings):
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)

    response = client.get("/boom/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something broke on our side" in html and "a bug" not in html  # no traceback shown
