"""The race page: leaderboard columns and formats, podium, DNF rows, pagination, query
counts, rules, and the form that enters a model."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from racing.models import RaceStanding
from racing.models import Submission
from tests import factories as F

from .conftest import bulk_board, run_result

pytestmark = pytest.mark.django_db


def board_rows(html: str) -> list[str]:
    """The data-racer attributes of the leaderboard rows, in page order."""
    table = html[html.index('id="leaderboard"') :]
    table = table[: table.index("</table>")]
    return re.findall(r'<tr id="rank-\d+"[^>]*data-racer="([^"]+)"', table)


def row_html(html: str, alias: str) -> str:
    start = html.rindex("<tr", 0, html.index(f'data-racer="{alias}"'))
    return html[start : html.index("</tr>", start)]


def test_leaderboard_shows_the_columns_as_competitors_know_them(client, race, racer, other):
    third = F.racer("Kart Kobain")
    run_result(racer, race, lap_times=[22.114, 22.614, 22.614], off_track=0)  # 67.342
    run_result(other, race, lap_times=[22.5, 22.6, 22.754])  # 67.854: +0.512
    run_result(third, race, finished=False, laps_done=1, progress=0.45, off_track=4)

    response = client.get(reverse("race", args=[race.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for header in ("Pos", "Racer", "Total time", "Gap", "Best lap", "Laps", "Off", "Subs", "When"):
        assert f">{header}<" in html or f">{header}</abbr>" in html, header
    assert board_rows(html) == ["Apex Hunter", "Slipstream", "Kart Kobain"]
    leader = row_html(html, "Apex Hunter")
    assert "1:07.342" in leader and "22.114" in leader and "gold" in leader
    second = row_html(html, "Slipstream")
    assert "1:07.854" in second and "+0.512" in second and "silver" in second
    dnf = row_html(html, "Kart Kobain")
    assert "DNF" in dnf and "1/3 + 45%" in dnf and "dnf" in dnf and "bronze" in dnf
    # Hooks for live updates.
    assert f'<table class="table board" id="leaderboard" data-race-id="{race.pk}"' in html
    assert 'data-page="1"' in html


def test_dnf_rows_come_after_every_finisher(client, race, racer, other):
    run_result(racer, race, finished=False, laps_done=2, progress=0.9)
    run_result(other, race, lap_times=[40.0, 40.0, 40.0])

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    assert board_rows(html) == ["Slipstream", "Apex Hunter"]
    assert "2/3 + 90%" in row_html(html, "Apex Hunter")


def test_the_page_shows_track_and_rules(client):
    race = F.race(laps=5, timing_method="BEST_LAP_TIME", off_track_penalty_s=2.5, time_cap_s=240,
                  allowed_sensors=["LIDAR", "STATE"], daily_quota=7, total_quota=70)  # fmt: skip

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    assert race.track.name in html
    assert "Best lap" in html and "+2.5 s" in html and "240 s" in html
    assert ">Lidar<" in html and ">State<" in html and ">Camera<" not in html
    assert "7 a day · 70 in all" in html
    assert "Open for entries" in html
    assert "No results yet" in html
    assert reverse("track", args=[race.track.slug]) in html


def test_closed_race_says_so_and_takes_no_entries(client, racer):
    race = F.race(status="closed")
    client.force_login(racer.user)
    F.policy_model(racer)

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    assert "board frozen" in html
    assert "takes no entries now" in html
    assert "Submit to this race" not in html


def test_unknown_race_is_404(client, db):
    assert client.get(reverse("race", args=[999999])).status_code == 404


def test_you_are_highlighted_with_a_link_to_your_row(client, race, me, other):
    run_result(other, race)
    run_result(me, race, lap_times=[30.0, 30.0, 30.0])

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    row = row_html(html, "Apex Hunter")
    assert "me" in row.split('class="', 1)[1].split('"', 1)[0].split() and ">you<" in row
    assert "You are P2" in html and "#rank-2" in html


# --- Pagination and size ------------------------------------------------------------------


def test_large_boards_are_paginated(client, race):
    bulk_board(race, 120, dnf=5)

    first = client.get(reverse("race", args=[race.pk])).content.decode()
    third = client.get(reverse("race", args=[race.pk]), {"page": 3}).content.decode()

    assert len(board_rows(first)) == 50
    rows = board_rows(third)
    assert len(rows) == 20 and rows[0].endswith("00100") and rows[-1].endswith("00119")
    assert 'data-page="3"' in third and "Rows 101–120 of 120" in third
    assert "?page=2" in third and 'aria-current="page">3<' in third
    board = third.split('id="leaderboard"', 1)[1].split("</table>", 1)[0]
    assert board.count("badge-dnf") == 5
    # A page past the end shows the last one; garbage shows the first.
    assert board_rows(client.get(reverse("race", args=[race.pk]), {"page": 99}).content.decode()) == rows
    assert len(board_rows(client.get(reverse("race", args=[race.pk]), {"page": "x"}).content.decode())) == 50


def test_board_queries_do_not_grow_with_the_board(client, race, django_assert_max_num_queries):
    bulk_board(race, 60)
    with django_assert_max_num_queries(6):
        small = client.get(reverse("race", args=[race.pk]))
    bulk_board(race, 600)
    with django_assert_max_num_queries(6):
        big = client.get(reverse("race", args=[race.pk]), {"page": 7})
    assert small.status_code == big.status_code == 200


def test_board_of_ten_thousand_racers_reads_one_page(client, race, django_assert_max_num_queries):
    bulk_board(race, 10_000, dnf=100)
    assert RaceStanding.objects.filter(race=race).count() == 10_000

    with django_assert_max_num_queries(6):
        response = client.get(reverse("race", args=[race.pk]), {"page": 200})

    html = response.content.decode()
    rows = board_rows(html)
    assert len(rows) == 50 and rows[-1].endswith("09999")
    assert 'id="rank-10000"' in html and "Rows 9951–10000 of 10000" in html


def test_logged_in_board_queries_are_bounded(client, race, me, django_assert_max_num_queries):
    F.policy_model(me)
    bulk_board(race, 200)
    run_result(me, race)
    # The board, the viewer's rank and quotas (CPU time too), the race's facts, and the
    # two permission reads of the navigation's "Organise" link (facilitators).
    with django_assert_max_num_queries(17):
        response = client.get(reverse("race", args=[race.pk]), {"page": 2})
    assert response.status_code == 200
    assert "You are P" in response.content.decode()


# --- Entering a model ---------------------------------------------------------------------


def test_anonymous_visitors_are_asked_to_log_in(client, race):
    html = client.get(reverse("race", args=[race.pk])).content.decode()
    assert "to enter your model" in html and reverse("login") in html
    response = client.post(reverse("race", args=[race.pk]), {"model": 1})
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert not Submission.objects.exists()


def test_racer_without_models_is_sent_to_the_garage(client, race, me):
    html = client.get(reverse("race", args=[race.pk])).content.decode()
    assert "You have no model yet" in html and reverse("garage") in html


def test_submit_form_lists_only_your_models(client, race, me, other):
    mine = F.policy_model(me, name="my-lidar")
    F.policy_model(other, name="their-secret")

    html = client.get(reverse("race", args=[race.pk])).content.decode()

    assert f'<option value="{mine.pk}"' in html and "my-lidar" in html
    assert "their-secret" not in html
    assert "20</b> left today" in html


def test_submitting_queues_a_submission_and_opens_its_page(client, race, me):
    model = F.policy_model(me, name="ppo-v1")

    response = client.post(reverse("race", args=[race.pk]), {"model": model.pk})

    submission = Submission.objects.get()
    assert (submission.racer, submission.model, submission.race) == (me, model, race)
    assert submission.status == "queued"
    assert response.status_code == 302
    assert response["Location"] == reverse("submission", args=[submission.pk])
    page = client.get(response["Location"]).content.decode()
    assert "is queued" in page


def test_submitting_someone_elses_model_is_refused(client, race, me, other):
    F.policy_model(me)
    theirs = F.policy_model(other)

    response = client.post(reverse("race", args=[race.pk]), {"model": theirs.pk})

    assert response.status_code == 400
    assert "Choose one of your own models." in response.content.decode()
    assert not Submission.objects.exists()


def test_service_refusals_are_shown_on_the_form(client, me):
    race = F.race(allowed_sensors=["LIDAR"])
    model = F.policy_model(me, name="state-only")

    response = client.post(reverse("race", args=[race.pk]), {"model": model.pk})

    assert response.status_code == 400
    html = response.content.decode()
    assert "This race allows the sensors LIDAR" in html
    assert "(sensors not allowed here)" in html
    assert not Submission.objects.exists()


def test_quota_refusal_is_shown(client, me):
    race = F.race(daily_quota=1)
    model = F.policy_model(me)
    assert client.post(reverse("race", args=[race.pk]), {"model": model.pk}).status_code == 302

    response = client.post(reverse("race", args=[race.pk]), {"model": model.pk})

    assert response.status_code == 400
    assert "You have used your 1 submissions of today" in response.content.decode()
    assert Submission.objects.count() == 1


def test_entries_raced_on_another_simulator_version_are_marked(client):
    from simulator import SIMULATOR_VERSION
    from tests.live_support import record_result

    race = F.race()
    record_result(F.racer("Old Timer"), race, 30.0)  # raced on "test"
    html = client.get(f"/races/{race.pk}/").content.decode()
    assert 'data-old-version="test"' in html and f"races on {SIMULATOR_VERSION}" in html
