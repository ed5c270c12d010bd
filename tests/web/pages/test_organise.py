"""The organiser console: who may use it, creating a race through the form (with the
service's field errors), editing before and after the race opens, the invite link,
closing and extending, removing a racer, uploading a track."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone as dt_timezone

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from league.models import Race, RaceEntrant
from racing.models import RaceStanding
from tests import factories as F
from tests.simulator.builders import npy_bytes
from tracks.models import Track

from .conftest import community_race, facilitator, run_result

pytestmark = pytest.mark.django_db


def form_data(a_track, **overrides) -> dict:
    """A complete new-race form as the page posts it."""
    data = {
        "name": "Office Cup", "description": "Lunch-break laps.", "track": a_track.slug,
        "direction": "counterclockwise", "ranking": "total_time", "laps": "3", "off_track_penalty_s": "3",
        "off_track_limit": "0", "time_cap_s": "180", "allowed_sensors": ["FRONT_FACING_CAMERA", "LIDAR", "STATE"],
        "total_quota": "50", "daily_quota": "10", "opens_at": "", "closes_at": "", "time_zone": "UTC",
        "visibility": "public", "replay_visibility": "",
    }  # fmt: skip
    data.update(overrides)
    return data


# --- Who may organise ---------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    for name in ("organise", "organise-new"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_racer_gets_403_saying_an_admin_grants_the_role(client, me):
    for url in (reverse("organise"), reverse("organise-new")):
        response = client.get(url)
        assert response.status_code == 403
        html = response.content.decode()
        assert "Organising races is for race facilitators" in html and "An admin" in html
        assert "grant_role apex facilitator" in html
    assert client.post(reverse("organise-track-upload"), {"name": "x"}).status_code == 403


def test_a_facilitator_sees_their_races_by_phase(client, fran):
    now = timezone.now()
    community_race(fran, name="Open One")
    community_race(fran, name="Later One", opens_at=now + timedelta(days=2), closes_at=now + timedelta(days=5))
    community_race(facilitator("Other Fac"), name="Not Mine")
    client.force_login(fran.user)

    response = client.get(reverse("organise"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Open One" in html and "Later One" in html and "Not Mine" not in html
    assert html.index("Open now") < html.index("Open One") < html.index("Upcoming") < html.index("Later One")
    assert "Opens in" in html and "Closes in" in html
    assert ">Organise<" in html  # the navigation offers the console


def test_an_admin_sees_every_community_race(client):
    community_race(facilitator(), name="Someone Else's")
    client.force_login(F.racer("Ada Admin", staff=True).user)

    html = client.get(reverse("organise")).content.decode()

    assert "Someone Else&#x27;s" in html and "by Fran Facilitator" in html


# --- Creating a race ----------------------------------------------------------------------


def test_the_new_race_form_has_every_setting_with_defaults(client, fran):
    F.track("oval-loop")
    client.force_login(fran.user)

    html = client.get(reverse("organise-new")).content.decode()

    for name in ("name", "description", "track", "direction", "ranking", "laps", "off_track_penalty_s",
                 "off_track_limit", "time_cap_s", "allowed_sensors", "total_quota", "daily_quota", "opens_at",
                 "closes_at", "time_zone", "visibility", "replay_visibility"):  # fmt: skip
        assert f'name="{name}"' in html, name
    assert 'name="laps" value="3"' in html and 'name="total_quota" value="50"' in html
    assert 'value="oval-loop" checked' in html  # a track picked, with its map and figures
    assert reverse("track-map", args=["oval-loop"]) + "?w=480" in html and " m wide" in html
    assert "data-browser-zone" in html and '<option value="Europe/Paris">' in html
    assert 'type="datetime-local"' in html


def test_a_facilitator_creates_a_private_race_in_their_time_zone(client, fran):
    track = F.track("oval-loop")
    client.force_login(fran.user)

    response = client.post(reverse("organise-new"), form_data(
        track, name="Team Trial", laps="5", ranking="best_lap", visibility="private", direction="clockwise",
        allowed_sensors=["LIDAR"], opens_at="2030-01-15T09:00", closes_at="2030-01-22T18:30",
        time_zone="Europe/Paris", off_track_limit="4",
    ))  # fmt: skip

    race = Race.objects.get(name="Team Trial")
    assert response.status_code == 302 and response["Location"] == reverse("organise-race", args=[race.pk])
    assert race.owner == fran and race.season is None and race.visibility == "private"
    assert race.laps == 5 and race.timing_method == "BEST_LAP_TIME" and race.direction == "clockwise"
    assert race.allowed_sensors == ["LIDAR"] and race.off_track_limit == 4
    assert race.replay_visibility == "participants" and race.invite_token
    assert race.time_zone == "Europe/Paris"
    assert race.opens_at == datetime(2030, 1, 15, 8, 0, tzinfo=dt_timezone.utc)  # 09:00 in Paris, winter
    assert race.closes_at == datetime(2030, 1, 22, 17, 30, tzinfo=dt_timezone.utc)
    html = client.get(response["Location"]).content.decode()
    assert "Share the invite link" in html and reverse("race-join", args=[race.invite_token]) in html


def test_empty_times_open_now_for_a_week(client, fran):
    client.force_login(fran.user)
    before = timezone.now()

    client.post(reverse("organise-new"), form_data(F.track()))

    race = Race.objects.get(name="Office Cup")
    assert before <= race.opens_at <= timezone.now()
    assert race.closes_at - race.opens_at == timedelta(days=7)
    assert race.visibility == "public" and race.replay_visibility == "everyone" and not race.invite_token


def test_bad_settings_come_back_with_an_error_next_to_each_field(client, fran):
    client.force_login(fran.user)

    response = client.post(reverse("organise-new"), form_data(
        F.track(), name="  ", laps="20", time_cap_s="5", allowed_sensors=[], off_track_penalty_s="11",
        opens_at="2030-01-15T09:00", closes_at="2030-01-14T09:00",
    ))  # fmt: skip

    assert response.status_code == 400 and not Race.objects.exists()
    form = response.context["form"]
    assert form.errors["name"] == ["Give the race a name."]
    assert "between 1 and 10" in form.errors["laps"][0]
    assert form.errors["time_cap_s"] == ["The time cap must be between 30 and 600 s; got 5."]
    assert "between 0 and 10 s" in form.errors["off_track_penalty_s"][0]
    assert "Allow one or more of" in form.errors["allowed_sensors"][0]
    assert form.errors["closes_at"] == ["The race must close after it opens."]
    html = response.content.decode()
    assert "Some settings need a fix" in html and "The race must close after it opens." in html
    assert 'class="field has-error"' in html
    assert 'value="20"' in html  # what was typed stays in the form


def test_a_missing_track_and_a_non_number_are_refused(client, fran):
    client.force_login(fran.user)

    response = client.post(reverse("organise-new"), form_data(F.track(), track="", laps="three"))

    assert response.status_code == 400
    assert "Enter a whole number." in response.context["form"].errors["laps"]
    response = client.post(reverse("organise-new"), form_data(F.track(), track=""))
    assert response.context["form"].errors["track"] == ["Choose a track."]


def test_names_are_escaped(client, fran):
    client.force_login(fran.user)

    client.post(reverse("organise-new"), form_data(F.track(), name="<script>alert(1)</script>",
                                                   description="<b>bold</b>\nnext line"))  # fmt: skip
    race = Race.objects.get()

    for url in (reverse("organise"), reverse("organise-race", args=[race.pk]), reverse("race", args=[race.pk]),
                reverse("home"), reverse("races")):  # fmt: skip
        html = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url
    html = client.get(reverse("race", args=[race.pk])).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt;<br>next line" in html


def test_every_post_needs_the_csrf_token(fran):
    client = Client(enforce_csrf_checks=True)
    client.force_login(fran.user)
    race = community_race(fran)
    assert client.post(reverse("organise-new"), form_data(F.track())).status_code == 403
    assert client.post(reverse("organise-race-close", args=[race.pk])).status_code == 403
    assert client.post(reverse("race-join", args=["x"])).status_code == 403


# --- Managing a race ----------------------------------------------------------------------


def test_the_manage_page_shows_the_race_its_invite_and_downloads(client, fran):
    race = community_race(fran, visibility="private", time_zone="America/New_York")
    client.force_login(fran.user)

    html = client.get(reverse("organise-race", args=[race.pk])).content.decode()

    assert f'value="http://testserver{reverse("race-join", args=[race.invite_token])}"' in html
    assert 'data-copy="#invite-url"' in html and reverse("organise-invite-reset", args=[race.pk]) in html
    assert f"/api/races/{race.pk}/results.csv" in html and f"/api/races/{race.pk}/results.json" in html
    assert "America/New_York" in html and "Close the race now" in html
    assert reverse("race", args=[race.pk]) in html


def test_only_the_races_facilitator_or_an_admin_manages_it(client, fran):
    race = community_race(fran)
    client.force_login(facilitator("Other Fac").user)
    assert client.get(reverse("organise-race", args=[race.pk])).status_code == 404
    assert client.post(reverse("organise-race-close", args=[race.pk])).status_code == 404
    client.force_login(F.racer("Ada Admin", staff=True).user)
    assert client.get(reverse("organise-race", args=[race.pk])).status_code == 200
    league_race = F.race()
    assert client.get(reverse("organise-race", args=[league_race.pk])).status_code == 404


def test_before_it_opens_every_setting_can_change(client, fran):
    now = timezone.now()
    race = community_race(fran, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=3))
    client.force_login(fran.user)
    page = client.get(reverse("organise-race", args=[race.pk]))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}

    response = client.post(reverse("organise-race", args=[race.pk]), {**data, "laps": "7", "ranking": "average_lap"})

    assert response.status_code == 302
    race.refresh_from_db()
    assert race.laps == 7 and race.timing_method == "AVG_LAP_TIME"
    assert abs((race.opens_at - (now + timedelta(days=1))).total_seconds()) < 60  # unchanged, to the minute


def test_the_time_zones_offered_are_places_and_an_old_name_set_through_the_api_stays(client, fran):
    F.track("oval-loop")
    client.force_login(fran.user)
    html = client.get(reverse("organise-new")).content.decode()
    assert '<option value="Europe/Paris">' in html and '<option value="UTC"' in html
    assert 'value="US/Pacific"' not in html and 'value="GB-Eire"' not in html and 'value="Etc/GMT+5"' not in html

    now = timezone.now()
    race = community_race(fran, time_zone="US/Pacific", opens_at=now + timedelta(days=1),
                          closes_at=now + timedelta(days=3))  # fmt: skip
    page = client.get(reverse("organise-race", args=[race.pk]))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    assert client.post(reverse("organise-race", args=[race.pk]), {**data, "laps": "4"}).status_code == 302
    race.refresh_from_db()
    assert race.laps == 4 and race.time_zone == "US/Pacific"


def test_after_it_opens_only_name_description_and_close_time_change(client, fran):
    race = community_race(fran, time_zone="Asia/Tokyo")
    client.force_login(fran.user)

    html = client.get(reverse("organise-race", args=[race.pk])).content.decode()
    assert 'name="laps"' not in html and 'name="track"' not in html and 'name="closes_at"' in html
    assert "The race has opened" in html

    closes = timezone.localtime(race.closes_at + timedelta(days=2), timezone.get_fixed_timezone(9 * 60))
    response = client.post(reverse("organise-race", args=[race.pk]), {
        "name": "Renamed", "description": "New words", "closes_at": closes.strftime("%Y-%m-%dT%H:%M"), "laps": "9",
    })  # fmt: skip

    assert response.status_code == 302
    race.refresh_from_db()
    assert race.name == "Renamed" and race.description == "New words" and race.laps == 3
    assert race.closes_at == closes.replace(second=0, microsecond=0)  # read in Tokyo time


def test_a_close_time_in_the_past_is_refused(client, fran):
    race = community_race(fran)
    client.force_login(fran.user)

    response = client.post(reverse("organise-race", args=[race.pk]),
                           {"name": race.name, "closes_at": "2001-01-01T00:00"})  # fmt: skip

    assert response.status_code == 400
    assert "to close early, close it now" in response.context["form"].errors["closes_at"][0]
    assert "<details class=\"edit-settings\" open>" in response.content.decode()


def test_close_now_and_extend(client, fran):
    race = community_race(fran)
    client.force_login(fran.user)

    client.post(reverse("organise-race-close", args=[race.pk]))
    race.refresh_from_db()
    assert race.closes_at <= timezone.now() and not race.accepting_submissions()
    html = client.get(reverse("organise-race", args=[race.pk])).content.decode()
    assert "Reopen for" in html and "Close the race now" not in html

    client.post(reverse("organise-race-extend", args=[race.pk]), {"by": "24"})
    race.refresh_from_db()
    assert timedelta(hours=23) < race.closes_at - timezone.now() <= timedelta(days=1)
    client.post(reverse("organise-race-extend", args=[race.pk]), {"by": "1"})
    race.refresh_from_db()
    assert timedelta(hours=24) < race.closes_at - timezone.now() <= timedelta(hours=25)


def test_resetting_the_invite_stops_the_old_link(client, fran):
    race = community_race(fran, visibility="unlisted")
    old = race.invite_token
    client.force_login(fran.user)

    response = client.post(reverse("organise-invite-reset", args=[race.pk]))

    race.refresh_from_db()
    assert response.status_code == 302 and race.invite_token != old
    client.force_login(F.racer("Newbie").user)
    gone = client.get(reverse("race-join", args=[old]))
    assert gone.status_code == 404 and "This invite link no longer works" in gone.content.decode()
    assert client.get(reverse("race-join", args=[race.invite_token])).status_code == 200


def test_removing_a_racer_takes_them_off_the_board(client, fran, racer, other):
    race = community_race(fran, visibility="private")
    for r in (racer, other):
        RaceEntrant.objects.create(race=race, racer=r)
    run_result(racer, race, lap_times=[20.0, 20.0, 20.0])
    run_result(other, race, lap_times=[21.0, 21.0, 21.0])
    client.force_login(fran.user)
    html = client.get(reverse("organise-race", args=[race.pk])).content.decode()
    assert 'data-confirm="Remove Apex Hunter from this race?' in html

    response = client.post(reverse("organise-racer-remove", args=[race.pk, racer.alias]))

    assert response.status_code == 302
    assert RaceEntrant.objects.get(race=race, racer=racer).removed_at is not None
    assert list(RaceStanding.objects.filter(race=race).values_list("racer__alias", flat=True)) == ["Slipstream"]
    html = client.get(reverse("organise-race", args=[race.pk])).content.decode()
    row = html[html.index('data-racer="Apex Hunter"'):]
    assert ">Removed<" in row[: row.index("</tr>")]
    # The removed racer no longer sees the private race; the form never reaches them.
    client.force_login(racer.user)
    assert client.get(reverse("race", args=[race.pk])).status_code == 404
    assert client.post(reverse("organise-racer-remove", args=[race.pk, "nobody"])).status_code == 403


def test_the_racers_table_shows_joined_submissions_and_rank(client, fran, racer):
    race = community_race(fran)
    run_result(racer, race, lap_times=[20.0, 20.0, 20.0])
    run_result(racer, race, lap_times=[30.0, 30.0, 30.0])
    client.force_login(fran.user)

    html = client.get(reverse("organise-race", args=[race.pk])).content.decode()

    row = html[html.index('data-racer="Apex Hunter"'):]
    row = row[: row.index("</tr>")]
    result = racer.results.order_by("official_time_s").first()
    assert ">2</td>" in row and ">1</span>" in row and "just now" in row
    assert reverse("result-replay", args=[result.pk]) in row


# --- Tracks -------------------------------------------------------------------------------


def test_a_facilitator_uploads_a_track_and_races_on_it(client, fran):
    client.force_login(fran.user)
    upload = F.oval_waypoints(radius_m=4.0)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("organise-track-upload"), {
        "name": "Car Park Loop", "npy": SimpleUploadedFile("loop.npy", npy_bytes(upload)),
    })  # fmt: skip

    assert response.status_code == 302
    track = Track.objects.get(name="Car Park Loop")
    assert track.uploaded_by == fran.user and not track.is_public
    assert "Car Park Loop" in client.get(reverse("organise")).content.decode()
    assert f'value="{track.slug}"' in client.get(reverse("organise-new")).content.decode()
    client.force_login(facilitator("Other Fac").user)
    assert f'value="{track.slug}"' not in client.get(reverse("organise-new")).content.decode()


def test_a_bad_track_file_says_what_is_wrong(client, fran):
    client.force_login(fran.user)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(reverse("organise-track-upload"), {
        "name": "Broken", "npy": SimpleUploadedFile("broken.npy", b"not a numpy file"),
    })  # fmt: skip

    assert response.status_code == 400
    assert "This is not a usable track" in response.content.decode()
    response = client.post(reverse("organise-track-upload"), {"name": ""})
    assert "Give the track a name." in response.content.decode()
    assert "Attach the track" in response.content.decode()
