"""Every list of the API answers in one paginated envelope, or its schema says why not; the
leaderboard finds racers (`?racer=`, `?search=`) and tells a tie from the leader."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.live_support import record_result

pytestmark = pytest.mark.django_db


def test_every_list_is_paginated_or_says_why_not(client):
    schema = client.get("/api/schema/?format=json").json()
    bare_lists = []
    for path, methods in schema["paths"].items():
        operation = methods.get("get")
        if not operation:
            continue
        for content in operation["responses"].get("200", {}).get("content", {}).values():
            body = content.get("schema", {})
            if body.get("type") == "array" and "Not paginated" not in operation.get("description", ""):
                bare_lists.append(path)
    assert bare_lists == []
    seasons = schema["paths"]["/api/seasons/"]["get"]
    ref = seasons["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]) == {
        "count", "next", "previous", "results"
    }


def test_seasons_answer_in_the_page_envelope(client):
    season = f.season("open")
    body = client.get("/api/seasons/?page_size=1").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["results"][0]["slug"] == season.slug and body["count"] >= 1
    assert client.get("/api/seasons/?page=0").status_code == 400
    # A page size outside 1..500 says so, as a bad page does (not a quiet default or cap).
    for size in ("0", "-5", "abc", "100000"):
        answer = client.get(f"/api/seasons/?page_size={size}")
        assert answer.status_code == 400, size
        assert answer.json()["page_size"] == [f"The page size is a whole number from 1 to 500; got {size!r}."]
    assert client.get("/api/seasons/?page_size=500").status_code == 200


@pytest.fixture
def board():
    race = f.race(tracks=[f.track("oval-loop")])
    record_result(f.racer("Ada Apex"), race, 60.0)
    record_result(f.racer("Tie Breaker"), race, 60.0)  # as fast as the leader, later
    record_result(f.racer("Slow Adams"), race, 75.5)
    record_result(f.racer("Half Way"), race, 50.0, status="dnf")
    return race


def test_the_leaderboard_filters_by_alias_and_keeps_the_ranks(client, board):
    url = f"/api/races/{board.pk}/leaderboard/"
    rows = client.get(url).json()["results"]
    assert [(r["rank"], r["racer"], r["gap_s"]) for r in rows] == [
        (1, "Ada Apex", 0.0), (2, "Tie Breaker", 0.0), (3, "Slow Adams", 15.5), (4, "Half Way", None)
    ]  # fmt: skip
    found = client.get(url, {"search": "ADA"}).json()
    assert found["count"] == 2 and [(r["rank"], r["racer"]) for r in found["results"]] == [
        (1, "Ada Apex"), (3, "Slow Adams")
    ]  # fmt: skip
    one = client.get(url, {"racer": "tie breaker"}).json()
    assert [(r["rank"], r["racer"]) for r in one["results"]] == [(2, "Tie Breaker")]
    assert client.get(url, {"racer": "Tie"}).json()["count"] == 0  # the whole alias only


def test_the_leaderboard_schema_names_its_filters(client):
    operation = client.get("/api/schema/?format=json").json()["paths"]["/api/races/{race_id}/leaderboard/"]["get"]
    assert {"racer", "search", "page", "page_size"} <= {p["name"] for p in operation["parameters"]}
