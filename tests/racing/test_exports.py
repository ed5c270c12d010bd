"""Results export rows: one per racer in board order with the figures organisers put in
their spreadsheets; CSV that a spreadsheet opens without running anyone's alias."""

from __future__ import annotations

import csv
import io

import pytest

from racing import exports
from racing.entrants import entrant_remove
from tests import factories as f
from tests.live_support import record_laps, record_result

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_race_rows_follow_the_board_with_every_figure():
    race = f.community_race(f.facilitator(), timing_method="AVG_LAP_TIME")
    slow, fast, dnf = f.racer("Slow"), f.racer("Fast"), f.racer("Dnf")
    record_laps(slow, race, [15.0, 15.0, 15.0])
    fast_result = record_laps(fast, race, [11.0, 12.0, 13.0])
    record_laps(fast, race, [13.0, 13.0, 13.0])
    record_result(dnf, race, 60.0, status="dnf")
    rows = exports.race_result_rows(race)
    assert [(r["rank"], r["racer"]) for r in rows] == [(1, "Fast"), (2, "Slow"), (3, "Dnf")]
    first = rows[0]
    assert set(first) == set(exports.RACE_COLUMNS)
    assert first == {
        "rank": 1, "racer": "Fast", "ranking": "average_lap", "ranking_time_s": 12.0, "total_time_s": 36.0,
        "best_lap_s": 11.0, "avg_lap_s": 12.0, "laps": 3, "off_track_count": 0, "collision_count": 0, "submissions": 2,
        "submitted_at": fast_result.submission.created_at.isoformat(), "result_id": fast_result.pk,
        "model_sha256": "0" * 64,
    }  # fmt: skip
    assert rows[2]["ranking_time_s"] is None and rows[2]["total_time_s"] is None and rows[2]["laps"] == 2


def test_removed_racers_leave_the_export():
    fran = f.facilitator()
    race = f.community_race(fran)
    ann, bob = f.racer("Ann"), f.racer("Bob")
    record_result(ann, race, 30.0)
    record_result(bob, race, 31.0)
    entrant_remove(race, ann)
    assert [(r["rank"], r["racer"]) for r in exports.race_result_rows(race)] == [(1, "Bob")]


def test_csv_has_the_header_and_empty_cells_for_no_value():
    race = f.community_race(f.facilitator())
    record_result(f.racer("Ann"), race, 30.0)
    record_result(f.racer("Dnf"), race, 50.0, status="dnf")
    text = exports.to_csv(exports.race_result_rows(race), exports.RACE_COLUMNS)
    assert text.splitlines()[0] == ",".join(exports.RACE_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["racer"] for r in rows] == ["Ann", "Dnf"]
    assert rows[0]["ranking_time_s"] == "30.0" and rows[1]["ranking_time_s"] == ""


@pytest.mark.parametrize("alias, cell", [("=HYPERLINK(x)", "'=HYPERLINK(x)"), ("@sum", "'@sum"),
                                         ("-2+3", "'-2+3"), ("Plain", "Plain")])  # fmt: skip
def test_csv_cells_a_spreadsheet_would_run_are_quoted(alias, cell):
    rows = [{"rank": 1, "racer": alias, "points": -3}]
    text = exports.to_csv(rows, ("rank", "racer", "points"))
    assert list(csv.reader(io.StringIO(text)))[1] == ["1", cell, "-3"]  # numbers stay numbers


def test_season_rows_follow_the_standings():
    season = f.season(tracks=[f.track("oval-loop"), f.track("second-loop")])
    first, second = season.races.order_by("order")
    ann, bob = f.racer("Ann"), f.racer("Bob")
    record_result(ann, first, 30.0)
    record_result(bob, first, 31.0)
    record_result(bob, second, 40.0)
    rows = exports.season_standing_export_rows(season)
    assert rows == [
        {"rank": 1, "racer": "Bob", "points": 18 + 25, "races": 2, "wins": 1, "best_rank": 1},
        {"rank": 2, "racer": "Ann", "points": 25, "races": 1, "wins": 1, "best_rank": 1},
    ]
    text = exports.to_csv(rows, exports.SEASON_COLUMNS)
    assert text.splitlines() == ["rank,racer,points,races,wins,best_rank", "1,Bob,43,2,1,1", "2,Ann,25,1,1,1"]
