from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from league.models import Race, Racer, Season
from racing.models import Submission
from tracks.models import Track

pytestmark = pytest.mark.django_db


def test_demo_sets_up_the_league_once(capsys, monkeypatch):
    monkeypatch.setenv("DEMO_ADMIN_PASSWORD", "s3cret-demo")
    call_command("demo")
    out = capsys.readouterr().out
    assert "admin / password: s3cret-demo" in out
    season = Season.objects.get(slug="demo")
    assert season.status == "open"
    assert season.races.count() == Track.objects.filter(is_shipped=True).count() >= 1
    community = Race.objects.get(season__isnull=True)
    assert community.is_community and community.visibility == "public" and community.reversed
    assert community.owner.user.username == "admin"
    races = season.races.count() + 1
    house = Racer.objects.filter(is_house=True)
    assert house.exists()
    assert Submission.objects.filter(racer__in=house, status="queued").count() == races * house.count()
    assert get_user_model().objects.get(username="admin").check_password("s3cret-demo")

    call_command("demo")  # idempotent
    assert Season.objects.count() == 1 and Race.objects.filter(season__isnull=True).count() == 1
    assert Submission.objects.count() == races * house.count()
