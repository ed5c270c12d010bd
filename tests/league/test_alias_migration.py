"""league 0005 keeps every racer: aliases that read the same get a number, the first
racer keeps theirs, and the migration says who was renamed."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from league.models import Racer

BEFORE = [("league", "0004_community_races")]


def _apps_at(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_colliding_aliases_are_numbered_and_nothing_is_lost(capsys):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    apps = _apps_at(BEFORE)
    User = apps.get_model("auth", "User")
    OldRacer = apps.get_model("league", "Racer")
    now = timezone.now()
    made = {}
    for minutes, alias in enumerate(["Max Q", "max-q", "MAX_Q", "Ｍａｘ Ｑ", "Lidar Lisa"]):
        user = User.objects.create(username=f"u{minutes}")
        made[alias] = OldRacer.objects.create(
            user=user, alias=alias, created_at=now + timezone.timedelta(minutes=minutes)
        ).pk

    MigrationExecutor(connection).migrate(latest)

    racers = {pk: (alias, key) for pk, alias, key in Racer.objects.values_list("pk", "alias", "alias_key")}
    assert len(racers) == 5 and all(Racer.objects.get(pk=pk).user_id for pk in made.values())
    assert racers[made["Max Q"]] == ("Max Q", "maxq")  # the first keeps it
    assert racers[made["max-q"]] == ("max-q 2", "maxq2")
    assert racers[made["MAX_Q"]] == ("MAX_Q 3", "maxq3")
    assert racers[made["Ｍａｘ Ｑ"]][1] == "maxq4"
    assert racers[made["Lidar Lisa"]] == ("Lidar Lisa", "lidarlisa")
    said = capsys.readouterr().out
    assert "'max-q'" in said and "'max-q 2'" in said and "Lidar Lisa" not in said
