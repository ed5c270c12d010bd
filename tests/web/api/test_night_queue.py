"""The race-night API and the rest of the race: a race night takes no ordinary submission
(the 400 names its live page and its queue), and a racer's position is the same number
everywhere: their place among those still waiting, 1 = next."""

from __future__ import annotations

import pytest

from nights import control
from nights.models import QueueEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def a_night():
    race = f.community_race(f.facilitator())
    control.live_settings_set(race, mode="live")
    return race


def test_a_race_night_answers_a_submission_with_the_way_in(as_):
    race = a_night()
    racer = f.racer()
    answer = as_(racer).post("/api/submissions/", {"model": f.policy_model(racer).pk, "race": race.pk},
                             format="json")
    assert answer.status_code == 400
    message, = answer.json()["race"]
    assert f"/races/{race.pk}/live/" in message and f"POST /api/races/{race.pk}/queue/" in message
    assert not race.submissions.exists()
    # The 400 is the documented one.
    schema = as_(None).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    described = schema["paths"]["/api/submissions/"]["post"]["responses"]["400"]["description"]
    assert "race night" in described


def test_a_position_is_the_place_among_those_waiting_in_every_answer(as_):
    race = a_night()
    racers = [f.racer() for _ in range(3)]
    models = [f.policy_model(r) for r in racers]
    url = f"/api/races/{race.pk}/queue/"
    first = as_(racers[0]).post(url, {"model": models[0].pk}, format="json").json()
    assert first["position"] == 1
    QueueEntry.objects.filter(pk=first["id"]).update(status=QueueEntry.Status.DONE)  # raced
    second = as_(racers[1]).post(url, {"model": models[1].pk}, format="json").json()
    third = as_(racers[2]).post(url, {"model": models[2].pk}, format="json").json()
    assert (second["position"], third["position"]) == (1, 2)
    rows = {row["racer"]: row["place"] for row in as_(None).get(url).json()["entries"]}
    assert rows == {racers[0].alias: None, racers[1].alias: 1, racers[2].alias: 2}
    again = as_(racers[2]).post(url, {"model": models[2].pk}, format="json")
    assert again.status_code == 400 and again.json()["detail"] == "You are already in the queue (position 2)."
    # The facilitator moves the third racer up: every answer follows.
    moved = as_(race.owner).patch(f"{url}{third['id']}/", {"place": 1}, format="json").json()
    assert moved["position"] == 1
    assert as_(race.owner).delete(f"{url}{third['id']}/").json()["position"] is None
