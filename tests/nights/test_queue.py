"""The queue's rules and who may change it: joining checks the model at once, one entry
per racer, the facilitator moves, removes, re-admits and re-runs; through the API, only
the race's facilitators (and admins) control the night, and a private race is 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from league.models import Race, RaceEntrant
from nights import control
from nights.models import LiveRace, QueueEntry
from nights.queue import (
    QueueError,
    queue_join,
    queue_move,
    queue_place,
    queue_readmit,
    queue_remove,
)
from nights.runs import run_start
from racing.entrants import entrant_remove
from racing.submissions import SubmissionRejected, submission_create
from tests import factories as f

pytestmark = pytest.mark.django_db


def live_race(**kwargs):
    race = f.community_race(**kwargs)
    control.live_settings_set(race, mode="live")
    return race


def joined(race, n):
    entries = []
    for _ in range(n):
        racer = f.racer()
        entries.append(queue_join(race=race, racer=racer, model=f.policy_model(racer)))
    return entries


def waiting_order(race):
    return list(race.live.entries.filter(status="waiting").order_by("position").values_list("pk", flat=True))


def test_joining_checks_the_model_at_once():
    race = live_race(allowed_sensors=["STATE"])
    racer, other = f.racer(), f.racer()
    with pytest.raises(QueueError, match="not one of yours"):
        queue_join(race=race, racer=racer, model=f.policy_model(other))
    lidar = f.policy_model(racer, metadata=f.state_metadata(sensor=["LIDAR"]))
    with pytest.raises(QueueError, match="does not allow the LIDAR sensor"):
        queue_join(race=race, racer=racer, model=lidar)
    entry = queue_join(race=race, racer=racer, model=f.policy_model(racer))
    assert entry.checked["sensors"] == ["STATE"] and entry.status == "waiting"
    with pytest.raises(QueueError, match=r"already in the queue \(position 1\)"):
        queue_join(race=race, racer=racer, model=f.policy_model(racer))


def test_a_classic_race_has_no_queue():
    race = f.community_race()
    racer = f.racer()
    with pytest.raises(QueueError, match="not a live race"):
        queue_join(race=race, racer=racer, model=f.policy_model(racer))


def test_moving_removing_and_readmitting():
    race = live_race()
    a, b, c = joined(race, 3)
    queue_move(c, 1)
    assert waiting_order(race) == [c.pk, a.pk, b.pk]
    queue_remove(a)
    assert waiting_order(race) == [c.pk, b.pk]
    with pytest.raises(QueueError, match="ask them to re-admit you"):
        queue_join(race=race, racer=a.racer, model=a.model)
    queue_readmit(a)
    assert waiting_order(race) == [c.pk, b.pk, a.pk]
    with pytest.raises(QueueError, match="already in the queue"):
        queue_readmit(a)


def test_only_a_platform_error_is_re_run_and_it_goes_next():
    race = live_race()
    a, b = joined(race, 2)
    with pytest.raises(QueueError, match="Only a run that ended in a platform error"):
        control.entry_rerun(a)
    QueueEntry.objects.filter(pk=b.pk).update(status=QueueEntry.Status.ERROR)
    b.refresh_from_db()
    control.entry_rerun(b)
    assert waiting_order(race) == [b.pk, a.pk]


def test_controls_follow_the_night_state():
    race = live_race()
    live = race.live
    with pytest.raises(QueueError, match="Only a running race night can be paused"):
        control.night_pause(live)
    with pytest.raises(QueueError, match="Nobody is up"):
        control.night_skip(live)
    a, = joined(race, 1)
    control.night_start(live)
    control.night_pause(live)  # nobody running: paused at once
    live.refresh_from_db()
    assert live.state == LiveRace.State.PAUSED
    control.night_end(live)
    a.refresh_from_db()
    assert a.status == "skipped"
    with pytest.raises(QueueError, match="has ended"):
        control.night_start(live)
    late = f.racer()
    with pytest.raises(QueueError, match="has ended"):
        queue_join(race=race, racer=late, model=f.policy_model(late))


# --- the API ----------------------------------------------------------------------------------


def test_only_the_race_facilitator_controls_the_night():
    owner = f.facilitator()
    race = f.community_race(owner)
    other_facilitator, racer = f.facilitator(), f.racer()
    settings_url = f"/api/races/{race.pk}/live/"
    assert f.api_client().put(settings_url, {"mode": "live"}, format="json").status_code == 401
    assert f.api_client(other_facilitator).put(settings_url, {"mode": "live"}, format="json").status_code == 403
    answer = f.api_client(owner).put(settings_url, {"mode": "live", "countdown_s": 5, "speed_control": True},
                                     format="json")
    assert answer.status_code == 200 and answer.json()["mode"] == "live" and answer.json()["countdown_s"] == 5
    for action in ("start", "pause", "skip", "end"):
        assert f.api_client(racer).post(f"/api/races/{race.pk}/live/{action}/").status_code == 403
        assert f.api_client(other_facilitator).post(f"/api/races/{race.pk}/live/{action}/").status_code == 403
    assert f.api_client(owner).post(f"/api/races/{race.pk}/live/start/").json()["state"] == "running"
    skipped = f.api_client(owner).post(f"/api/races/{race.pk}/live/skip/")
    assert skipped.status_code == 400 and "Nobody is up" in skipped.json()["detail"]


def test_racers_join_through_the_api_and_the_facilitator_reorders():
    owner = f.facilitator()
    race = f.community_race(owner)
    control.live_settings_set(race, mode="live")
    racers = [f.racer() for _ in range(2)]
    ids = []
    for racer in racers:
        model = f.policy_model(racer)
        answer = f.api_client(racer).post(f"/api/races/{race.pk}/queue/", {"model": model.pk}, format="json")
        assert answer.status_code == 201, answer.json()
        ids.append(answer.json()["id"])
    bad = f.api_client(racers[0]).post(f"/api/races/{race.pk}/queue/", {"model": 999999}, format="json")
    assert bad.status_code == 400 and "GET /api/models/" in bad.json()["model"][0]
    url = f"/api/races/{race.pk}/queue/{ids[1]}/"
    assert f.api_client(racers[1]).patch(url, {"place": 1}, format="json").status_code == 403
    assert f.api_client(owner).patch(url, {"place": 1}, format="json").status_code == 200
    queue = f.api_client().get(f"/api/races/{race.pk}/queue/").json()
    assert [e["racer"] for e in queue["entries"]] == [racers[1].alias, racers[0].alias]
    assert f.api_client(owner).delete(url).json()["status"] == "removed"


def test_a_private_live_race_is_404_to_outsiders():
    owner = f.facilitator()
    race = f.community_race(owner, visibility="private")
    control.live_settings_set(race, mode="live")
    outsider = f.racer()
    for path in ("queue/", "live/"):
        assert f.api_client(outsider).get(f"/api/races/{race.pk}/{path}").status_code == 404
        assert f.api_client().get(f"/api/races/{race.pk}/{path}").status_code == 404
    assert f.api_client(outsider).post(f"/api/races/{race.pk}/live/start/").status_code == 404
    assert f.api_client(owner).get(f"/api/races/{race.pk}/queue/").status_code == 200


def test_the_speed_slider_is_the_running_racers_own():
    race = live_race()
    a, = joined(race, 1)
    answer = f.api_client(a.racer).post(f"/api/races/{race.pk}/live/speed/", {"multiplier": 1.2}, format="json")
    assert answer.status_code == 403 and "your own run" in answer.json()["detail"]
    out_of_range = f.api_client(a.racer).post(f"/api/races/{race.pk}/live/speed/", {"multiplier": 2}, format="json")
    assert out_of_range.status_code == 400


def test_a_racer_joining_a_running_night_whose_queue_emptied_wakes_a_driver(django_capture_on_commit_callbacks):
    race = live_race()
    control.night_start(race.live)  # a driver is asked for; it finds an empty queue and leaves
    tasks = DBTaskResult.objects.filter(task_path="nights.tasks.drive_night").count()
    with django_capture_on_commit_callbacks(execute=True):
        joined(race, 1)
    assert DBTaskResult.objects.filter(task_path="nights.tasks.drive_night").count() == tasks + 1
    LiveRace.objects.filter(pk=race.live.pk).update(driver_token="x", driver_seen_at=timezone.now())
    race.live.refresh_from_db()
    with pytest.raises(QueueError, match="already running"):  # a driver is alive
        control.night_start(race.live)


# --- the night and the rest of the race -------------------------------------------------------


def test_a_race_night_takes_no_ordinary_submission_but_its_own_runs_go_on():
    race = live_race()
    racer = f.racer()
    model = f.policy_model(racer)
    with pytest.raises(SubmissionRejected, match=f"live page, /races/{race.pk}/live/"):
        submission_create(racer=racer, model=model, race=race)
    classic = f.community_race()
    assert submission_create(racer=racer, model=model, race=classic).status == "queued"
    # The night's own run is an ordinary submission of the race, made by nights/runs.py.
    entry = queue_join(race=race, racer=racer, model=model)
    run, claim = run_start(entry)
    assert run.submission.race == race and claim.submission.status == "running"


def test_joining_the_queue_makes_an_entrant_whom_the_organiser_may_remove():
    race = live_race()
    a, b = joined(race, 2)
    assert set(RaceEntrant.objects.filter(race=race, removed_at__isnull=True).values_list("racer", flat=True)) == {
        a.racer_id, b.racer_id}
    entrant_remove(race, a.racer)  # from the manage page, while a waits
    a.refresh_from_db()
    assert a.status == "removed" and waiting_order(race) == [b.pk]
    with pytest.raises(QueueError, match="removed you from this race"):
        queue_join(race=race, racer=a.racer, model=a.model)
    with pytest.raises(QueueError, match="removed from this race"):
        queue_readmit(a)
    # A racer removed before they ever queued cannot join either.
    late = f.racer()
    entrant_remove(race, late)
    with pytest.raises(QueueError, match="removed you from this race"):
        queue_join(race=race, racer=late, model=f.policy_model(late))


def test_a_place_is_among_those_still_waiting():
    race = live_race()
    a, b, c = joined(race, 3)
    QueueEntry.objects.filter(pk=a.pk).update(status=QueueEntry.Status.DONE)
    QueueEntry.objects.filter(pk=b.pk).update(status=QueueEntry.Status.RUNNING)
    for entry in (a, b, c):
        entry.refresh_from_db()
    assert [queue_place(e) for e in (a, b, c)] == [None, None, 1]
    with pytest.raises(QueueError, match=r"already in the queue \(position 1\)"):
        queue_join(race=race, racer=c.racer, model=c.model)
    with pytest.raises(QueueError, match="your run is under way"):
        queue_join(race=race, racer=b.racer, model=b.model)


def test_the_controls_that_apply_follow_the_night():
    race = live_race()
    live = race.live
    assert control.controls_available(live) == {"start": True, "pause": False, "skip": False, "end": True,
                                                "reopen": False}
    joined(race, 1)
    control.night_start(live)
    live.refresh_from_db()
    assert control.controls_available(live)["pause"] is True
    control.night_end(live)
    live.refresh_from_db()
    assert control.controls_available(live) == {"start": False, "pause": False, "skip": False, "end": False,
                                                "reopen": True}


def test_a_night_ended_too_soon_reopens_with_the_racers_the_end_caught():
    race = f.community_race()
    control.live_settings_set(race, mode="live", countdown_s=0)
    racers = [f.racer() for _ in range(3)]
    entries = [queue_join(race=race, racer=r, model=f.policy_model(r)) for r in racers]
    QueueEntry.objects.filter(pk=entries[0].pk).update(status=QueueEntry.Status.DONE)  # had their run
    live = race.live
    with pytest.raises(control.ControlError, match="has not ended"):
        control.night_reopen(live)
    control.night_end(live)

    control.night_reopen(live)

    live.refresh_from_db()
    assert live.state == LiveRace.State.WAITING
    statuses = dict(QueueEntry.objects.values_list("racer_id", "status"))
    assert [statuses[r.pk] for r in racers] == ["done", "waiting", "waiting"]
    assert [queue_place(QueueEntry.objects.get(racer=r)) for r in racers[1:]] == [1, 2]
    control.night_end(live)
    Race.objects.filter(pk=race.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    live.refresh_from_db()
    assert control.controls_available(live)["reopen"] is False
    with pytest.raises(control.ControlError, match="race has closed"):
        control.night_reopen(live)


def test_a_closed_race_cannot_become_a_race_night():
    closed = f.community_race()
    closed.closes_at = timezone.now() - timedelta(minutes=1)
    closed.save(update_fields=["closes_at"])
    with pytest.raises(control.ControlError, match="closed race cannot become a race night"):
        control.live_settings_set(closed, mode="live")
    assert not LiveRace.objects.filter(race=closed).exists()
