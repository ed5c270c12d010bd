"""The pages of a race night around the night itself: the race page sends racers to the
queue, the organiser sees and removes queued racers, the desk offers only the controls
that apply (and says why a refused one was refused), the live page after the end, a
skipped run in the racer's own words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from nights import control
from nights.models import LiveRun, QueueEntry
from nights.queue import queue_join
from nights.runs import run_start, run_stopped
from racing.models import Submission
from tests import factories as F

from .conftest import community_race

pytestmark = pytest.mark.django_db


def a_night(owner, **settings):
    race = community_race(owner)
    control.live_settings_set(race, mode="live", **settings)
    return race


def joined(race, alias):
    racer = F.racer(alias)
    return queue_join(race=race, racer=racer, model=F.policy_model(racer, name=f"{alias} model"))


def test_the_race_page_of_a_night_sends_racers_to_its_queue(client, fran):
    race = a_night(fran)
    racer = F.racer()
    F.policy_model(racer)
    client.force_login(racer.user)
    html = client.get(reverse("race", args=[race.pk])).content.decode()
    card = html.split('id="enter"', 1)[1].split("</section>", 1)[0]
    assert "Submit to this race" not in card and "<form" not in card
    assert f'href="{reverse("race-live", args=[race.pk])}"' in card and "Join the queue on the live page" in card


def test_queued_racers_are_the_race_s_racers_on_its_manage_page(client, fran):
    race = a_night(fran, countdown_s=7, speed_control=True)
    joined(race, "Queue Only")
    client.force_login(fran.user)
    html = client.get(reverse("organise-race", args=[race.pk])).content.decode()
    assert 'data-racer="Queue Only"' in html and "btn-remove" in html.split('data-racer="Queue Only"', 1)[1][:2000]
    night_card = html.split('id="night-title"', 1)[1].split("</section>", 1)[0]
    assert "7 s before each run" in night_card and "0.5x–1.5x" in night_card


def test_a_closed_race_is_not_offered_as_a_race_night(client, fran):
    race = community_race(fran)
    race.closes_at = timezone.now() - timedelta(hours=1)
    race.save(update_fields=["closes_at"])
    client.force_login(fran.user)
    assert "Make it a race night" not in client.get(reverse("organise-race", args=[race.pk])).content.decode()
    desk = client.get(reverse("organise-race-control", args=[race.pk])).content.decode()
    assert 'value="make-live"' not in desk and "cannot become a race night" in desk


def test_the_desk_numbers_the_waiting_and_says_when_the_queue_is_empty(client, fran):
    race = a_night(fran)
    done, second, third = (joined(race, alias) for alias in ("Raced Already", "Next Up", "After That"))
    QueueEntry.objects.filter(pk=done.pk).update(status=QueueEntry.Status.DONE)
    client.force_login(fran.user)
    url = reverse("organise-race-control", args=[race.pk])
    html = client.get(url).content.decode()
    assert 'class="table cd-table cards-on-phone"' in html
    places = {e: html.split(f'data-entry="{e.pk}"', 1)[1].split("</td>", 1)[0].rsplit(">", 1)[1]
              for e in (done, second, third)}
    assert places == {done: "", second: "1", third: "2"}
    QueueEntry.objects.filter(pk__in=[second.pk, third.pk]).update(status=QueueEntry.Status.DONE)
    control.night_start(race.live)
    assert "The queue is empty: the night waits for racers to join" in client.get(url).content.decode()


def test_after_the_end_the_desk_offers_no_control_and_a_refused_one_says_why(client, fran):
    race = a_night(fran)
    joined(race, "Night Owl")
    control.night_end(race.live)
    client.force_login(fran.user)
    url = reverse("organise-race-control", args=[race.pk])
    html = client.get(url).content.decode()
    assert "This race night has ended" in html
    for action in ("start", "pause", "skip", "end", "readmit"):
        assert f'value="{action}"' not in html, action
    refused = client.post(url, {"action": "start"}, follow=True).content.decode()
    assert 'class="flash flash-error">This race night has ended.</p>' in refused

    # Ended too soon: the desk reopens it, with the racer the end caught back in the queue.
    assert 'value="reopen"' in html
    reopened = client.post(url, {"action": "reopen"}, follow=True).content.decode()
    assert "Not started: racers may join the queue" in reopened and 'value="start"' in reopened
    assert QueueEntry.objects.get(live_race__race=race).status == QueueEntry.Status.WAITING
    api = client.post(reverse("api-race-live-reopen", args=[race.pk]))
    assert api.status_code == 400 and "has not ended" in api.content.decode()  # once is enough


def test_the_desk_disables_the_controls_that_do_not_apply(client, fran):
    race = a_night(fran)
    client.force_login(fran.user)
    html = client.get(reverse("organise-race-control", args=[race.pk])).content.decode()
    buttons = {a: html.split(f'value="{a}"', 1)[1].split(">", 1)[0] for a in ("start", "pause", "skip")}
    assert "disabled" not in buttons["start"]
    assert "disabled" in buttons["pause"] and "disabled" in buttons["skip"]


def test_the_live_page_after_the_end_and_for_a_racer_without_a_model(client, fran):
    race = a_night(fran)
    url = reverse("race-live", args=[race.pk])
    newcomer = F.racer()
    client.force_login(newcomer.user)
    html = client.get(url).content.decode()
    assert 'name="model"' not in html and f'href="{reverse("garage")}"' in html.split('id="ln-queue-title"')[1]
    control.night_end(race.live)
    F.policy_model(newcomer)
    html = client.get(url).content.decode()
    assert 'name="model"' not in html and "This race night has ended" in html
    assert 'id="ln-badge"' not in html  # no LIVE badge on an ended night
    assert "data-live-status" not in html.split("</h1>", 1)[0]


def test_the_racer_s_own_line_gives_their_place(client, fran):
    race = a_night(fran)
    joined(race, "Ahead")
    me = joined(race, "Behind")
    client.force_login(me.racer.user)
    html = client.get(reverse("race-live", args=[race.pk])).content.decode()
    assert '<p id="ln-me" class="muted" aria-live="polite">You are in: position 2 (1 = next)</p>' in html


def test_a_skipped_run_is_the_facilitator_s_doing_on_the_racer_s_pages(client, fran):
    race = a_night(fran)
    entry = joined(race, "Skipped Racer")
    run, claim = run_start(entry)
    control.night_skip(race.live)
    run_stopped(run, claim)
    submission = Submission.objects.get(pk=run.submission_id)
    assert LiveRun.objects.get(pk=run.pk).status == "skipped"
    client.force_login(entry.racer.user)
    html = client.get(reverse("submission", args=[submission.pk])).content.decode()
    assert "A fault on our side" not in html
    assert "Stopped by the race night's facilitator" in html and "The facilitator skipped your run" in html
    api = F.api_client(entry.racer).get(f"/api/submissions/{submission.pk}/").json()
    assert api["status"] == "error" and api["error"].startswith("The facilitator skipped your run")
