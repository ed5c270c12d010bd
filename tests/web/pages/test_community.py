"""Community races for racers: joining by invite link, private races invisible to
outsiders (race page, replay page, profiles, track pages), the race page's settings,
times and podium, and the listings on the home page and /races/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from league.community import race_close_now
from league.models import RaceEntrant
from tests import factories as F

from .conftest import community_race, facilitator, run_result

pytestmark = pytest.mark.django_db


def without_clock(response) -> str:
    """A page without what changes at every render: its server-time stamp and the
    masked CSRF token of its forms."""
    html = re.sub(r'<meta name="server-time" content="[^"]*">', "", response.content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def join(race, racer) -> None:
    RaceEntrant.objects.create(race=race, racer=racer)


# --- Joining ------------------------------------------------------------------------------


def test_anonymous_visitors_log_in_then_come_back_to_the_invite(client, fran):
    race = community_race(fran, visibility="private")
    url = reverse("race-join", args=[race.invite_token])

    response = client.get(url)

    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={url}"
    login = client.get(response["Location"]).content.decode()
    assert "to join the race you were invited to" in login
    assert f'{reverse("signup")}?next={url}' in login


def test_signing_up_from_an_invite_comes_back_to_it(client, fran):
    race = community_race(fran, visibility="private")
    url = reverse("race-join", args=[race.invite_token])

    response = client.post(f"{reverse('signup')}?next={url}", {
        "username": "newbie", "alias": "New Bee", "password": F.PASSWORD, "password2": F.PASSWORD, "next": url,
    })  # fmt: skip

    assert response.status_code == 302 and response["Location"] == url
    client.logout()
    assert client.post(reverse("signup"), {"next": "https://evil.example/"}).context["next"] == ""


def test_a_racer_joins_through_the_link_and_sees_the_race(client, fran, me):
    race = community_race(fran, name="Night Laps", visibility="private", description="Bring snacks.", laps=4)
    assert client.get(reverse("race", args=[race.pk])).status_code == 404
    url = reverse("race-join", args=[race.invite_token])

    page = client.get(url)

    html = page.content.decode()
    assert page.status_code == 200 and "Night Laps" in html and race.track.name in html
    assert "Bring snacks." in html and "Join this race" in html and ">4</dd>" in html
    response = client.post(url)
    assert response.status_code == 302 and response["Location"] == reverse("race", args=[race.pk])
    assert RaceEntrant.objects.filter(race=race, racer=me, removed_at__isnull=True).exists()
    race_page = client.get(response["Location"]).content.decode()
    assert "Night Laps" in race_page and "You&#x27;re in" in race_page
    assert "You're in this race already" in client.get(url).content.decode()


def test_an_unknown_invite_is_a_clear_404(client, me):
    response = client.get(reverse("race-join", args=["no-such-invite"]))
    assert response.status_code == 404
    assert "This invite link no longer works" in response.content.decode()
    assert client.post(reverse("race-join", args=["no-such-invite"])).status_code == 404


def test_a_removed_racer_cannot_rejoin(client, fran, me):
    race = community_race(fran, visibility="unlisted")
    RaceEntrant.objects.create(race=race, racer=me, removed_at=timezone.now())

    response = client.post(reverse("race-join", args=[race.invite_token]))

    assert response.status_code == 400 and "removed you from this race" in response.content.decode()


# --- Private means invisible --------------------------------------------------------------


def test_a_private_race_is_404_to_outsiders_and_open_to_its_racers(client, fran, racer, other):
    race = community_race(fran, visibility="private")
    join(race, racer)
    result = run_result(racer, race)
    url, replay = reverse("race", args=[race.pk]), reverse("result-replay", args=[result.pk])

    assert client.get(url).status_code == 404 and client.get(replay).status_code == 404
    client.force_login(other.user)
    missing = client.get(reverse("race", args=[999999]))
    outsider = client.get(url)
    assert outsider.status_code == 404 and client.get(replay).status_code == 404
    assert without_clock(outsider) == without_clock(missing)  # indistinguishable from a missing race
    assert "Nothing here" in outsider.content.decode()
    for page in (reverse("racer", args=[racer.alias]), reverse("track", args=[race.track.slug]), reverse("races")):
        assert race.name not in client.get(page).content.decode(), page
    client.force_login(racer.user)
    assert client.get(url).status_code == 200 and client.get(replay).status_code == 200
    assert race.name in client.get(reverse("racer", args=[racer.alias])).content.decode()
    client.force_login(fran.user)
    assert client.get(replay).status_code == 200
    assert client.get(reverse("track-map", args=[race.track.slug])).status_code == 200  # pictures stay public


def test_replays_follow_the_races_replay_setting(client, fran, racer, other):
    race = community_race(fran, replay_visibility="owner")
    mine, theirs = run_result(racer, race), run_result(other, race, lap_times=[30.0, 30.0, 30.0])
    client.force_login(racer.user)

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    assert reverse("result-replay", args=[mine.pk]) in html
    assert reverse("result-replay", args=[theirs.pk]) not in html
    assert 'data-replays="own"' in html  # live rows follow the same rule (live/board.js)
    assert client.get(reverse("result-replay", args=[theirs.pk])).status_code == 404
    own = client.get(reverse("result-replay", args=[mine.pk]))
    assert own.status_code == 200 and all(c["racer"] == racer.alias for c in own.context["config"]["compare"])
    client.force_login(fran.user)  # the facilitator sees every replay
    html = client.get(reverse("race", args=[race.pk])).content.decode()
    assert reverse("result-replay", args=[theirs.pk]) in html and 'data-replays="own"' not in html


# --- The race page ------------------------------------------------------------------------


def test_a_community_race_page_shows_its_settings_and_times(client, fran):
    race = community_race(fran, name="Tokyo Drift", direction="clockwise", off_track_limit=5,
                          timing_method="AVG_LAP_TIME", time_zone="Asia/Tokyo",
                          description="Line one\nLine two")  # fmt: skip

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    assert "Tokyo Drift" in html and "Community races" in html
    assert "Line one<br>Line two" in html and "Run by" in html and fran.alias in html
    assert "Reversed" in html and "5 resets" in html and "Average lap" in html
    local = timezone.localtime(race.closes_at, timezone.get_fixed_timezone(9 * 60))
    assert local.strftime("%H:%M") in html and "Asia/Tokyo" in html
    assert f'data-countdown="{race.closes_at.isoformat()}"' in html and "Closes in" in html
    assert f'data-local-time="{race.closes_at.isoformat()}" data-zone="Asia/Tokyo"' in html
    assert "Manage" not in html


def test_an_upcoming_race_counts_down_to_its_opening(client, fran, me):
    F.policy_model(me)
    opens = timezone.now() + timedelta(days=2, hours=3)
    race = community_race(fran, opens_at=opens, closes_at=opens + timedelta(days=1))

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    assert "Opens in <b data-countdown-left>2 d 03 h</b>" in html and "data-reload" in html
    assert "Not open yet" in html and "Entries open" in html and "Submit to this race" not in html


def test_the_facilitator_sees_a_manage_link(client, fran):
    race = community_race(fran)
    client.force_login(fran.user)
    assert reverse("organise-race", args=[race.pk]) in client.get(reverse("race", args=[race.pk])).content.decode()


def test_a_closed_race_shows_the_final_podium(client, fran):
    race = community_race(fran)
    drivers = [F.racer(a) for a in ("Gold Gary", "Silver Sue", "Bronze Bo", "Fourth Fay")]
    results = [run_result(d, race, lap_times=[20.0 + i, 20.0, 20.0]) for i, d in enumerate(drivers)]
    race_close_now(race)

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    podium = html[html.index("Final podium") : html.index("</section>", html.index("Final podium"))]
    assert [a for a in ("Gold Gary", "Silver Sue", "Bronze Bo", "Fourth Fay") if a in podium] == [
        "Gold Gary", "Silver Sue", "Bronze Bo"]  # fmt: skip
    assert "1:00.000" in podium and "1:01.000" in podium
    assert reverse("result-replay", args=[results[0].pk]) in podium
    assert "Final · board frozen" in html and "takes no entries now" in html


def test_a_removed_racer_is_told_so_on_a_public_race(client, fran, me):
    race = community_race(fran)
    F.policy_model(me)
    RaceEntrant.objects.create(race=race, racer=me, removed_at=timezone.now())

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    assert "The facilitator removed you from this race" in html and "Submit to this race" not in html


# --- Listings and profiles ----------------------------------------------------------------


def test_home_and_races_list_public_community_races(client, fran):
    now = timezone.now()
    public = community_race(fran, name="Public Sprint")
    upcoming = community_race(fran, name="Next Week Cup", opens_at=now + timedelta(days=7),
                              closes_at=now + timedelta(days=8))  # fmt: skip
    closed = community_race(fran, name="Done Deal")
    run_result(F.racer("Winner Wu"), closed)
    race_close_now(closed)
    community_race(fran, name="Secret Club", visibility="private")
    community_race(fran, name="Link Only", visibility="unlisted")

    home = client.get(reverse("home")).content.decode()
    listing = client.get(reverse("races")).content.decode()

    assert "Community races" in home and "Public Sprint" in home and "Next Week Cup" in home
    assert "Closes in" in home and "Opens in" in home and "Run by" in home
    assert "Secret Club" not in home and "Link Only" not in home and "Done Deal" not in home
    assert reverse("races") in home  # linked from the navigation and the section
    order = [listing.index(s) for s in ("Open now", "Public Sprint", "Coming up", "Next Week Cup",
                                        "Recently closed", "Done Deal")]  # fmt: skip
    assert order == sorted(order)
    assert "Winner Wu" in listing and "Secret Club" not in listing and "Link Only" not in listing
    assert reverse("race", args=[public.pk]) in listing and reverse("race", args=[upcoming.pk]) in listing


def test_a_racer_sees_the_private_races_they_joined(client, fran, me):
    race = community_race(fran, name="Secret Club", visibility="private")
    join(race, me)
    assert "Secret Club" in client.get(reverse("races")).content.decode()
    assert "Secret Club" in client.get(reverse("home")).content.decode()


def test_profiles_show_the_facilitator_and_admin_roles(client, fran, racer):
    admin = F.racer("Ada Admin", staff=True)
    assert "Race facilitator" in client.get(reverse("racer", args=[fran.alias])).content.decode()
    assert ">Admin<" in client.get(reverse("racer", args=[admin.alias])).content.decode()
    html = client.get(reverse("racer", args=[racer.alias])).content.decode()
    assert "Race facilitator" not in html and ">Admin<" not in html


def test_a_plain_racer_has_no_organise_link(client, me):
    assert reverse("organise") not in client.get(reverse("home")).content.decode()
    facilitator_user = facilitator("Other Fac").user
    client.force_login(facilitator_user)
    assert reverse("organise") in client.get(reverse("home")).content.decode()
