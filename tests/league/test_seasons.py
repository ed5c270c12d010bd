"""Opening a season: service, API (staff only), admin action, management command."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from league.models import Season
from league.services import season_open
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_opening_closes_the_open_season():
    old = f.season("open")
    new = f.season("draft")
    season_open(new)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.status == "closed" and old.closed_at is not None
    assert new.status == "open" and new.opened_at is not None
    assert Season.objects.filter(status="open").count() == 1


def test_open_via_api_is_staff_only(api):
    draft = f.season("draft")
    api.force_authenticate(f.racer().user)
    assert api.post(f"/api/seasons/{draft.slug}/open/").status_code == 403
    api.force_authenticate(f.racer(staff=True).user)
    resp = api.post(f"/api/seasons/{draft.slug}/open/")
    assert resp.status_code == 200 and resp.json()["status"] == "open"


def test_open_via_api_refuses_a_closed_season(api):
    # As the admin action and the command do: a closed season's boards stay frozen, and
    # the season that is open now stays open.
    current = f.season("open")
    closed = f.season("closed")
    api.force_authenticate(f.racer(staff=True).user)
    resp = api.post(f"/api/seasons/{closed.slug}/open/")
    assert resp.status_code == 400
    assert "closed" in resp.json()["detail"]
    closed.refresh_from_db()
    current.refresh_from_db()
    assert closed.status == "closed" and current.status == "open"


def test_seasons_api_lists_races_with_their_rules(api):
    season = f.season("open", laps=5, timing_method="BEST_LAP_TIME", off_track_penalty_s=2.0)
    body = api.get("/api/seasons/").json()["results"]
    assert body[0]["slug"] == season.slug and body[0]["status"] == "open"
    race = body[0]["races"][0]
    for key in ("id", "track", "laps", "timing_method", "off_track_penalty_s", "time_cap_s",
                "allowed_sensors", "accepting_submissions"):
        assert key in race
    assert race["laps"] == 5 and race["timing_method"] == "BEST_LAP_TIME"


def test_open_season_command_creates_and_opens():
    f.track("oval-loop")
    f.track("paperclip")
    old = f.season("open")
    call_command("open_season", "autumn", "--name", "Autumn Cup", "--tracks", "paperclip,oval-loop",
                 "--laps", "5", "--penalty", "1.5", "--timing", "AVG_LAP_TIME")
    autumn = Season.objects.get(slug="autumn")
    assert autumn.status == "open" and autumn.name == "Autumn Cup"
    races = list(autumn.races.order_by("order"))
    assert [r.track.slug for r in races] == ["paperclip", "oval-loop"]
    assert all(r.laps == 5 and r.off_track_penalty_s == 1.5 and r.timing_method == "AVG_LAP_TIME" for r in races)
    old.refresh_from_db()
    assert old.status == "closed"
    call_command("open_season", "autumn")  # again: nothing changes
    assert Season.objects.filter(slug="autumn").count() == 1


def test_open_season_command_refuses_unknown_tracks():
    f.track("oval-loop")
    with pytest.raises(CommandError, match="unknown track"):
        call_command("open_season", "x", "--tracks", "nowhere")
