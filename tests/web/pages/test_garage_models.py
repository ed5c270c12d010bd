"""The garage's model rows: where each model raced, entering it in a race, renaming and
deleting it; the quota reset in the viewer's time; another racer's model is a 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from league.community import entrant_join
from racing.models import PolicyModel, Submission
from tests import factories as F

from .conftest import run_result

pytestmark = pytest.mark.django_db


def test_each_row_says_where_the_model_raced(client, me, race):
    model = F.policy_model(me, name="ppo-state")
    run_result(me, race, model=model, lap_times=[20.0, 20.0, 21.25])
    F.policy_model(me, name="fresh")

    html = client.get(reverse("garage")).content.decode()

    row = html[html.index(f'id="model-{model.pk}"') :]
    row = row[: row.index("</tr>")]
    assert race.track.name in row and "1:01.250" in row and "1 run" in row
    assert "Not raced yet" in html
    assert 'class="quota-reset' in html and "data-local-clock" in html


def test_enter_a_model_from_its_row(client, me, race):
    model = F.policy_model(me)
    html = client.get(reverse("garage")).content.decode()
    assert reverse("garage-model-enter", args=[model.pk]) in html and f'<option value="{race.pk}">' in html

    response = client.post(reverse("garage-model-enter", args=[model.pk]), {"race": race.pk})

    submission = Submission.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("submission", args=[submission.pk])
    assert (submission.model, submission.race) == (model, race)


def test_a_model_with_sensors_the_race_does_not_allow_has_no_entry(client, me, race):
    race.allowed_sensors = ["LIDAR"]
    race.save()
    F.policy_model(me)
    html = client.get(reverse("garage")).content.decode()
    assert "No open race takes its sensors." in html


def test_entering_a_closed_race_says_why(client, me, race):
    model = F.policy_model(me)
    race.season.status = "closed"
    race.season.save()
    response = client.post(reverse("garage-model-enter", args=[model.pk]), {"race": race.pk}, follow=True)
    assert "is closed" in response.content.decode()
    assert not Submission.objects.exists()


def test_rename_from_the_row(client, me):
    model = F.policy_model(me, name="old-name")
    F.policy_model(me, name="taken")
    response = client.post(reverse("garage-model-rename", args=[model.pk]), {"name": "new-name"}, follow=True)
    assert "is now called “new-name”" in response.content.decode()
    response = client.post(reverse("garage-model-rename", args=[model.pk]), {"name": "TAKEN"}, follow=True)
    assert "keeps its name" in response.content.decode()
    model.refresh_from_db()
    assert model.name == "new-name"


def test_delete_from_the_row(client, me, race):
    raced, idle = F.policy_model(me, name="raced"), F.policy_model(me, name="idle")
    run_result(me, race, model=raced)

    html = client.post(reverse("garage-model-delete", args=[idle.pk]), follow=True).content.decode()
    assert "“idle” is deleted." in html and not PolicyModel.objects.filter(pk=idle.pk).exists()
    html = client.post(reverse("garage-model-delete", args=[raced.pk]), follow=True).content.decode()
    assert "Its runs stay on the boards" in html
    assert f'id="model-{raced.pk}"' not in html
    # Its runs are still listed among the submissions.
    assert 'data-status="finished"' in html


def test_another_racers_model_is_a_404(client, me, other, race):
    theirs = F.policy_model(other)
    for name, data in (("garage-model-enter", {"race": race.pk}), ("garage-model-rename", {"name": "mine"}),
                       ("garage-model-delete", {})):  # fmt: skip
        assert client.post(reverse(name, args=[theirs.pk]), data).status_code == 404
    assert PolicyModel.objects.get(pk=theirs.pk).name != "mine"
    assert not Submission.objects.exists()


def test_the_race_page_says_when_the_quota_resets(client, me, race):
    F.policy_model(me)
    html = client.get(reverse("race", args=[race.pk])).content.decode()
    assert "Daily quotas reset" in html and "data-local-clock" in html


def test_open_community_races_are_in_the_card_and_the_enter_menu(client, me, race):
    public = F.community_race(name="Meet-up Sprint")
    joined = F.community_race(name="Club night", visibility="private")
    entrant_join(joined, me)
    F.community_race(name="Someone else's club", visibility="private")
    model = F.policy_model(me)

    html = client.get(reverse("garage")).content.decode()

    card = html[html.index('id="open-races-title"') : html.index('id="models"')]
    assert "Meet-up Sprint" in card and "Club night" in card and race.track.name in card
    assert f"Community · {public.track.name} · 3 laps" in card
    assert "Someone else&#x27;s club" not in html
    menu = html[html.index(f'id="enter-{model.pk}"') :]
    menu = menu[: menu.index("</select>")]
    assert f'<option value="{race.pk}">{race.track.name} · {race.season.name}</option>' in menu
    assert f'<option value="{public.pk}">Meet-up Sprint · Community</option>' in menu
    assert f'<option value="{joined.pk}">Club night · Community</option>' in menu

    response = client.post(reverse("garage-model-enter", args=[model.pk]), {"race": public.pk})

    submission = Submission.objects.get()
    assert response.status_code == 302 and (submission.model, submission.race) == (model, public)
