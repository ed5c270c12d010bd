"""Results export over the API: a race's results as CSV (a download) and JSON, a
season's standings as CSV; private races stay invisible."""

from __future__ import annotations

import csv
import io

import pytest

from racing.exports import RACE_COLUMNS, SEASON_COLUMNS, race_result_rows
from tests import factories as f
from tests.live_support import record_laps, record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def race():
    race = f.community_race(f.facilitator("Fran"), name="Friday Fast Laps", timing_method="BEST_LAP_TIME")
    record_laps(f.racer("Steady"), race, [10.0, 10.0, 10.0])
    record_laps(f.racer("Flash"), race, [8.0, 13.0, 12.0])
    record_result(f.racer("Crash"), race, 50.0, status="dnf")
    return race


def test_results_csv_is_the_board_as_a_download(as_, race):
    resp = as_(None).get(f"/api/races/{race.pk}/results.csv")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "text/csv; charset=utf-8"
    assert resp["Content-Disposition"] == 'attachment; filename="friday-fast-laps-results.csv"'
    rows = list(csv.reader(io.StringIO(resp.content.decode())))
    assert tuple(rows[0]) == RACE_COLUMNS
    body = [dict(zip(RACE_COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [(r["rank"], r["racer"], r["ranking"], r["ranking_time_s"], r["total_time_s"], r["best_lap_s"])
            for r in body] == [
        ("1", "Flash", "best_lap", "8.0", "33.0", "8.0"),
        ("2", "Steady", "best_lap", "10.0", "30.0", "10.0"),
        ("3", "Crash", "best_lap", "", "", "16.667"),
    ]  # fmt: skip
    expected = race_result_rows(race)
    assert [r["result_id"] for r in body] == [str(r["result_id"]) for r in expected]
    assert [r["submitted_at"] for r in body] == [r["submitted_at"] for r in expected]


@pytest.mark.parametrize("path", ["results.json", "results.csv?format=json", "results.json?format=csv"])
def test_results_json_has_the_same_rows(as_, race, path):
    resp = as_(None).get(f"/api/races/{race.pk}/{path}")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/json"
    rows = resp.json()
    assert rows == race_result_rows(race)
    assert [tuple(r) for r in rows] == [RACE_COLUMNS] * 3


def test_a_race_without_results_exports_the_header(as_):
    race = f.community_race(f.facilitator())
    race.name = ""  # named after its track
    race.save()
    resp = as_(None).get(f"/api/races/{race.pk}/results.csv")
    assert resp.content.decode() == ",".join(RACE_COLUMNS) + "\r\n"
    assert 'filename="meadow-oval-results.csv"' in resp["Content-Disposition"]
    assert as_(None).get(f"/api/races/{race.pk}/results.json").json() == []


def test_a_league_race_exports_too_and_missing_races_are_404(as_):
    race = f.race()
    record_result(f.racer("Ann"), race, 30.0)
    rows = as_(None).get(f"/api/races/{race.pk}/results.json").json()
    assert [(r["rank"], r["racer"], r["ranking"]) for r in rows] == [(1, "Ann", "total_time")]
    resp = as_(None).get("/api/races/999999/results.csv")
    assert resp.status_code == 404 and resp.json() == {"detail": "No such race."}


def test_private_results_are_not_for_a_shared_cache(as_):
    fran = f.facilitator("Fran")
    race = f.community_race(fran, visibility="private")
    resp = as_(fran).get(f"/api/races/{race.pk}/results.csv")
    assert resp.status_code == 200 and resp["Cache-Control"].startswith("private")
    assert as_(f.racer()).get(f"/api/races/{race.pk}/results.csv").status_code == 404


def test_season_standings_csv(as_):
    season = f.season(slug="winter-cup", tracks=[f.track("oval-loop"), f.track("second-loop")])
    first, second = season.races.order_by("order")
    ann, bob = f.racer("Ann"), f.racer("Bob")
    record_result(ann, first, 30.0)
    record_result(bob, first, 31.0)
    record_result(bob, second, 40.0)
    resp = as_(None).get("/api/seasons/winter-cup/standings.csv")
    assert resp.status_code == 200 and resp["Content-Type"] == "text/csv; charset=utf-8"
    assert resp["Content-Disposition"] == 'attachment; filename="winter-cup-standings.csv"'
    assert resp.content.decode().splitlines() == [",".join(SEASON_COLUMNS), "1,Bob,43,2,1,1", "2,Ann,25,1,1,1"]
    rows = as_(None).get("/api/seasons/winter-cup/standings.csv?format=json").json()
    assert rows[0] == {"rank": 1, "racer": "Bob", "points": 43, "races": 2, "wins": 1, "best_rank": 1}
    assert as_(None).get("/api/seasons/nope/standings.csv").status_code == 404
