"""A head-to-head race's socket hears its matches and its ladder: a match queued and
recorded, and the ratings it moved, are published to the race's stream."""

from __future__ import annotations

import pytest
from django.utils import timezone

from ladder.matches import match_claim, match_record
from ladder.models import Match
from ladder.rounds import pair_round, ratings_sync
from live import events
from live.models import LiveEvent
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_matches_and_the_ladder_go_out_on_the_race_s_stream(settings):
    settings.LIVE_TRANSPORT = "database"
    race = f.head_to_head_race()
    for name in ("Ann Arbor", "Bob Bell"):
        f.qualified_submission(race, f.racer(name))
    group = events.race_group(race.pk)
    ratings_sync(race, timezone.now())
    pair_round(race, timezone.now())
    match = Match.objects.get(race=race)
    match_record(match_claim(match.pk), {"winner": "b", "duels": []}, [None, None])
    payloads = [e.payload for e in LiveEvent.objects.filter(group=group).order_by("id")]
    kinds = [p["type"] for p in payloads]
    assert kinds.count("ladder.update") >= 2  # the newcomers, then the match's ratings
    statuses = [p["match"]["status"] for p in payloads if p["type"] == "match.changed"]
    assert statuses == ["queued", "running", "finished"]
    last = [p for p in payloads if p["type"] == "ladder.update"][-1]
    assert last["rows"][0]["racer"] == match.racer_b.alias and last["rows"][0]["wins"] == 1
    assert last["rows"][0]["rating"] > last["rows"][1]["rating"]
