"""Race formats on the pages: the rules card and the rules page explain the format and
its settings, boards of object avoidance and head-to-bot races have a collisions column,
and the organiser's form creates a race of either format (errors next to the field)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from league.models import Race
from live import messages
from racing.models import RaceStanding
from tests import factories as F
from tests.live_support import record_result

from .test_organise import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_rules_card_says_the_format_and_its_settings(client):
    boxes = F.community_race(format="object_avoidance", object_count=4, seed=1234, collision_penalty_s=2)
    page = text(client.get(reverse("race", args=[boxes.pk])).content.decode())
    assert "Format Object avoidance 4 boxes, placed from the seed" in page
    assert "Collision penalty +2 s per touch of a box; the car restarts behind it" in page
    assert "Seed 1234 the same boxes for every racer" in page

    bots = F.community_race(format="head_to_bot", bots=2, bot_speed_m_s=1.5, bot_lane_change=True)
    page = text(client.get(reverse("race", args=[bots.pk])).content.decode())
    assert "Format Head-to-bot 2 bot cars at 1.5 m/s, changing lanes" in page

    plain = F.community_race()
    page = text(client.get(reverse("race", args=[plain.pk])).content.decode())
    assert "Format Time trial" in page and "Collision penalty" not in page


def test_the_rules_card_names_fixed_boxes_a_ladder_s_ranking_and_a_night(client):
    from nights.control import live_settings_set

    boxes = F.community_race(format="object_avoidance", placement="fixed", object_count=2,
                             fixed_positions="inside:20,outside:62.5")  # fmt: skip
    page = text(client.get(reverse("race", args=[boxes.pk])).content.decode())
    assert "2 boxes, fixed: inside at 20 %, outside at 62.5 %" in page
    assert "Seed" not in page  # fixed boxes owe nothing to the seed

    duel = F.community_race(format="head_to_head")
    page = text(client.get(reverse("race", args=[duel.pk])).content.decode())
    assert "Ranking The ladder's rating μ − 3σ from the matches" in page and "Ranking Total time" not in page

    night = F.community_race()
    live_settings_set(night, mode="live", countdown_s=7, speed_control=True)
    page = text(client.get(reverse("race", args=[night.pk])).content.decode())
    assert "Race night One racer after another, live a 7 s countdown before each run; racers may change" in page
    assert "Race night" not in text(client.get(reverse("race", args=[boxes.pk])).content.decode())


def test_the_rules_page_explains_fixed_boxes_and_bots(client):
    boxes = F.community_race(format="object_avoidance", placement="fixed", object_count=2,
                             fixed_positions="inside:20,outside:62.5")
    page = text(client.get(reverse("race-rules", args=[boxes.pk])).content.decode())
    assert "2 cardboard boxes" in page and "at places the organiser chose" in page
    assert "Box 1: inside lane, 20 % of the lap" in page and "Box 2: outside lane, 62.5 % of the lap" in page
    assert "--race-type object_avoidance --objects 2 --placement fixed --fixed-positions inside:20,outside:62.5" in page

    bots = F.community_race(format="head_to_bot", bots=1, seed=99)
    page = text(client.get(reverse("race-rules", args=[bots.pk])).content.decode())
    assert "1 bot car, the size of yours, drives the track at 0.75 m/s" in page and "they keep their lanes" in page
    assert "--race-type head_to_bot --bots 1 --bot-speed 0.75 --collision-penalty 5 --seed 99" in page


def test_boards_of_these_formats_show_collisions(client):
    race = F.community_race(format="object_avoidance")
    record_result(F.racer("Hit Hank"), race, 40.0)
    RaceStanding.objects.filter(race=race).update(collision_count=4)
    html = client.get(reverse("race", args=[race.pk])).content.decode()
    table = html.split('id="leaderboard"', 1)[1].split("</table>", 1)[0]
    assert '<abbr title="Collisions with boxes">Hits</abbr>' in table
    assert '<td class="c-hit num" data-label="Collisions">4</td>' in table
    # The live board's rows carry the figure (live/board.js fills the cell from it).
    assert messages.leaderboard(race)["rows"][0]["collision_count"] == 4
    # Both row templates the live board clones have the cell too.
    for template in ("board-row-finished", "board-row-dnf"):
        assert 'class="c-hit num"' in html.split(f'id="{template}"', 1)[1].split("</template>", 1)[0]

    plain = F.community_race()
    record_result(F.racer("Clean Clara"), plain, 40.0)
    assert "c-hit" not in client.get(reverse("race", args=[plain.pk])).content.decode()


def test_an_organiser_creates_a_head_to_bot_race_from_the_form(client):
    fran = F.facilitator()
    track = F.track()
    client.force_login(fran.user)
    html = client.get(reverse("organise-new")).content.decode()
    assert 'name="format" value="time_trial"' in html and 'name="bot_speed"' in html

    response = client.post(reverse("organise-new"), form_data(track, format="head_to_bot", bots="2", bot_speed="1.2",
                                                              bot_lane_change="on", collision_penalty_s="3",
                                                              seed="", off_track_penalty_s=""))
    assert response.status_code == 302
    race = Race.objects.get(owner=fran)
    assert (race.format, race.bots, race.bot_speed_m_s, race.bot_lane_change) == ("head_to_bot", 2, 1.2, True)
    assert race.collision_penalty_s == 3.0 and race.off_track_penalty_s == 5.0


def test_the_form_puts_format_errors_next_to_their_field(client):
    fran = F.facilitator()
    track = F.track()
    client.force_login(fran.user)
    response = client.post(reverse("organise-new"), form_data(track, format="object_avoidance", objects="20",
                                                              placement="fixed", fixed_positions="inside:20"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The number of boxes must be between 1 and 12; got 20." in html
    assert not Race.objects.exists()
