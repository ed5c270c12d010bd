"""The leaderboard page: find a racer (the rows keep their rank), a tie reads +0.000 and
not the leader's dash, the time shows on a gap's hover, and a closed race is never "live"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from league.models import Race
from tests import factories as F

from .conftest import run_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(race):
    run_result(F.racer("Ada Apex"), race, lap_times=[20.0, 20.0, 20.0])
    run_result(F.racer("Tie Breaker"), race, lap_times=[20.0, 20.0, 20.0])
    run_result(F.racer("Slow Adams"), race, lap_times=[25.0, 25.0, 25.5])
    return race


def gap_cells(html: str) -> list[str]:
    table = html.split('id="leaderboard"', 1)[1].split("</table>", 1)[0]  # not the <template> rows
    return [cell.split(">", 1)[1].split("<", 1)[0] for cell in table.split('<td class="c-gap')[1:]]


def test_a_tie_reads_plus_zero_and_the_gap_shows_the_time(client, board):
    html = client.get(reverse("race", args=[board.pk])).content.decode()
    assert gap_cells(html) == ["—", "+0.000", "+15.500"]
    assert 'data-label="Gap" title="1:00.000">+0.000<' in html
    assert 'data-label="Gap" title="1:15.500">+15.500<' in html
    assert html.count(" is-leader") == 1


def test_finding_a_racer_keeps_the_ranks(client, board):
    html = client.get(reverse("race", args=[board.pk]), {"search": "adams"}).content.decode()
    assert 'data-racer="Slow Adams" data-rank="3"' in html and 'data-racer="Ada Apex"' not in html
    assert 'value="adams"' in html and "Show everyone" in html
    assert "data-live-status" not in html  # a filtered board is not followed live
    html = client.get(reverse("race", args=[board.pk]), {"racer": "ada apex"}).content.decode()
    assert 'data-racer="Ada Apex" data-rank="1"' in html and 'data-racer="Slow Adams"' not in html
    html = client.get(reverse("race", args=[board.pk]), {"search": "nobody"}).content.decode()
    assert 'id="board-no-match"' in html and "<table" not in html.split('id="board-title"', 1)[1].split("</section>")[0]


def test_an_open_race_is_live_and_a_closed_one_never(client, board):
    html = client.get(reverse("race", args=[board.pk])).content.decode()
    assert "data-live-status" in html and f'id="leaderboard" data-race-id="{board.pk}"' in html
    Race.objects.filter(pk=board.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    html = client.get(reverse("race", args=[board.pk])).content.decode()
    assert "data-live-status" not in html and 'id="leaderboard" data-race-id' not in html
