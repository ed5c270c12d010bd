"""The head-to-head pages: the ladder, the matches (all, one racer's), a duel's replay page,
the bracket drawn; the race page links them; a private race's pages are 404 to outsiders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ladder import selectors as ladder_selectors
from ladder.matches import finals_begin, match_claim, match_record
from ladder.models import Match
from league.models import Race
from tests import factories as f
from tests.web.api.test_head_to_head import _world

pytestmark = pytest.mark.django_db


def _client(racer=None) -> Client:
    c = Client()
    if racer is not None:
        c.force_login(racer.user)
    return c


def test_the_ladder_page_lists_ratings_and_the_latest_matches():
    race, racers, match = _world()
    html = _client().get(f"/races/{race.pk}/ladder/").content.decode()
    assert match.racer_a.alias in html and "μ − 3σ" in html
    assert f"/matches/{match.pk}/replay/1/" in html and f"/matches/{match.pk}/replay/2/" in html
    race_page = _client().get(f"/races/{race.pk}/").content.decode()
    for url in (f"/races/{race.pk}/ladder/", f"/races/{race.pk}/matches/", f"/races/{race.pk}/bracket/"):
        assert url in race_page


def test_one_racer_s_match_history():
    race, racers, match = _world()
    idle = next(r for r in racers if r.pk not in (match.racer_a_id, match.racer_b_id))
    mine = _client().get(f"/races/{race.pk}/matches/", {"racer": match.racer_b.alias}).content.decode()
    assert f'data-match-id="{match.pk}"' in mine
    theirs = _client().get(f"/races/{race.pk}/matches/", {"racer": idle.alias}).content.decode()
    assert f'data-match-id="{match.pk}"' not in theirs and "No match yet" in theirs


def test_the_duel_replay_page_configures_the_player_with_both_cars():
    race, racers, match = _world()
    resp = _client().get(f"/matches/{match.pk}/replay/2/")
    html = resp.content.decode()
    assert resp.status_code == 200 and f"/api/matches/{match.pk}/replay/2/" in html
    assert match.racer_a.alias in html and match.racer_b.alias in html and 'id="replay-config"' in html
    assert _client().get(f"/matches/{match.pk}/replay/3/").status_code == 404
    # The duel's video: being rendered (queued with the match), then failed or ready.
    assert "The video is being rendered" in html
    Match.objects.filter(pk=match.pk).update(video_status_2="failed")
    assert "could not be rendered" in _client().get(f"/matches/{match.pk}/replay/2/").content.decode()
    Match.objects.filter(pk=match.pk).update(video_status_2="ready", video_2="matches/x.mp4")
    assert f"/api/matches/{match.pk}/video/2/" in _client().get(f"/matches/{match.pk}/replay/2/").content.decode()


def test_the_bracket_page_draws_every_round_and_the_champion():
    race, racers, match = _world(finals_size=4)
    assert "The finals start when the race closes" in _client().get(f"/races/{race.pk}/bracket/").content.decode()
    finals_begin(race)
    while queued := list(Match.objects.filter(race=race, status="queued")):
        for m in queued:
            match_record(match_claim(m.pk), {"winner": "a", "duels": []}, [None, None])
    html = _client().get(f"/races/{race.pk}/bracket/").content.decode()
    assert "Winners 1" in html and "Grand final" in html and 'id="champion"' in html
    assert html.count('class="bracket-place') >= 2


def test_the_facilitator_starts_the_finals_from_the_bracket_page():
    fran = f.facilitator("Fran Finals")
    race, racers, match = _world(f.community_race(fran), finals_size=4)
    page = _client(fran).get(f"/races/{race.pk}/bracket/").content.decode()
    assert "Start the finals now" in page and "top 4 go into the bracket" in page
    assert "Start the finals now" not in _client(racers[0]).get(f"/races/{race.pk}/bracket/").content.decode()
    assert _client(racers[0]).post(f"/races/{race.pk}/bracket/").status_code == 403
    assert not ladder_selectors.race_bracket(race)

    started = _client(fran).post(f"/races/{race.pk}/bracket/", follow=True)
    assert ladder_selectors.race_bracket(race) is not None
    assert "The finals have started" in started.content.decode() and "Winners 1" in started.content.decode()
    again = _client(fran).post(f"/races/{race.pk}/bracket/", follow=True).content.decode()
    assert "already" in again.lower()  # the service's own words, as a message


def test_a_closed_race_s_bracket_page_says_the_finals_are_coming():
    race, racers, match = _world(finals_size=4)
    Race.objects.filter(pk=race.pk).update(closes_at=timezone.now() - timedelta(seconds=5))
    page = _client().get(f"/races/{race.pk}/bracket/").content.decode()
    assert "The race has closed: the finals start once the ladder's last matches are in" in page


def test_a_private_race_s_head_to_head_pages_are_404_to_outsiders():
    fran = f.facilitator("Fran Fac")
    race, racers, match = _world(f.community_race(fran, visibility="private"))
    stranger = f.racer("Stan Ger")
    for url in (f"/races/{race.pk}/ladder/", f"/races/{race.pk}/matches/", f"/races/{race.pk}/bracket/",
                f"/matches/{match.pk}/replay/1/"):
        assert _client(stranger).get(url).status_code == 404, url
        assert _client().get(url).status_code == 404, url
    assert _client(fran).get(f"/matches/{match.pk}/replay/1/").status_code == 200


def test_a_time_trial_has_no_head_to_head_pages():
    race = f.race()
    assert _client().get(f"/races/{race.pk}/ladder/").status_code == 404


# --- The organiser sets the ladder ---------------------------------------------------------


def test_an_organiser_sets_the_ladder_with_the_race_and_the_rules_card_says_it(client):
    from django.urls import reverse

    from ladder.settings import ladder_settings
    from league.models import Race
    from tests.web.pages.test_organise import form_data

    fran, track = f.facilitator(), f.track()
    client.force_login(fran.user)
    html = client.get(reverse("organise-new")).content.decode()
    assert 'name="duel_start" value="side_by_side"' in html and 'name="finals_size"' in html
    response = client.post(reverse("organise-new"), form_data(
        track, format="head_to_head", duel_start="staggered", matches_per_hour="90", finals_size="4",
        collision_penalty_s="4", seed="", off_track_penalty_s=""))  # fmt: skip
    assert response.status_code == 302
    race = Race.objects.get(owner=fran)
    assert ladder_settings(race) == {"duel_start": "staggered", "matches_per_hour": 90, "finals_size": 4}
    card = " ".join(client.get(reverse("race", args=[race.pk])).content.decode().split())
    assert "Staggered grid" in card and "at most 90 matches an hour" in card and "Top 4" in card
    # Another format's race ignores the ladder's fields the form always sends.
    response = client.post(reverse("organise-new"), form_data(track, name="Laps", finals_size="4"))
    assert response.status_code == 302 and ladder_settings(Race.objects.get(name="Laps"))["finals_size"] == 8


def test_an_opened_race_s_form_changes_the_match_budget_and_refuses_nothing_else(client):
    from django.urls import reverse

    from ladder.settings import ladder_settings
    from league.models import Race
    from tests.web.pages.test_organise import form_data

    fran, track = f.facilitator(), f.track()
    client.force_login(fran.user)
    client.post(reverse("organise-new"), form_data(track, format="head_to_head", seed="", off_track_penalty_s=""))
    race = Race.objects.get(owner=fran)  # open from now
    url = reverse("organise-race", args=[race.pk])
    page = client.get(url).content.decode()
    assert 'name="matches_per_hour"' in page and 'name="finals_size"' not in page
    response = client.post(url, {"name": race.name, "description": "", "closes_at": "", "matches_per_hour": "0"})
    assert response.status_code == 400 and "The match budget must be a whole number between 1 and 3600" in \
        response.content.decode()
    response = client.post(url, {"name": race.name, "description": "", "matches_per_hour": "12",
                                 "closes_at": page.split('name="closes_at" value="')[1].split('"')[0]})
    assert response.status_code == 302
    assert ladder_settings(race)["matches_per_hour"] == 12
