"""ladder 0002 keeps every match: a video on file is ready, a match without one has no
status yet (the reclaim renders it, ladder/videos.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from ladder.models import Match
from tests.league.test_format_migration import _apps_at, old_racer_track_and_model

BEFORE = [("ladder", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_matches_keep_their_videos_as_ready():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    apps = _apps_at(BEFORE)
    racer, track, model = old_racer_track_and_model(apps)
    race = apps.get_model("league", "Race").objects.create(track=track, laps=1, name="Duels", format="head_to_head")
    sub = apps.get_model("racing", "Submission").objects.create(racer=racer, model=model, race=race, status="finished")
    OldMatch = apps.get_model("ladder", "Match")
    common = {"race": race, "racer_a": racer, "racer_b": racer, "submission_a": sub, "submission_b": sub,
              "status": "finished", "winner": "a", "replay_1": "matches/1/r1.json", "replay_2": "matches/1/r2.json"}
    rendered = OldMatch.objects.create(seed=1, video_1="matches/1/v1.mp4", video_2="matches/1/v2.mp4", **common)
    half = OldMatch.objects.create(seed=2, video_1="matches/1/w1.mp4", **common)

    MigrationExecutor(connection).migrate(latest)

    kept = Match.objects.get(pk=rendered.pk)
    assert (kept.video_status_1, kept.video_status_2, kept.video_1.name) == ("ready", "ready", "matches/1/v1.mp4")
    kept = Match.objects.get(pk=half.pk)
    assert (kept.video_status_1, kept.video_status_2, kept.seed, kept.winner) == ("ready", "", 2, "a")
