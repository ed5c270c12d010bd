"""The community races API: who may create and run races, the settings and their
bounds, time zones, editing after the race opens, closing and extending, listing."""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from league import rules
from league.models import Race
from simulator.params import SENSORS
from tests import factories as f
from tests.live_support import record_result

pytestmark = pytest.mark.django_db


@pytest.fixture
def fran():
    return f.facilitator("Fran Facilitator")


@pytest.fixture
def admin():
    return f.racer("Ada Admin", staff=True)


def create(client, **settings):
    return client.post("/api/races/", {"name": "Friday Laps", "track": "oval-loop", **settings}, format="json")


def iso(when: datetime) -> str:
    return when.isoformat()


# --- Roles --------------------------------------------------------------------------------


def test_a_racer_may_not_create_a_race_and_is_told_how_to_get_the_role(as_):
    f.track()
    resp = create(as_(f.racer()))
    assert resp.status_code == 403
    assert "facilitator role" in resp.json()["detail"] and "admin" in resp.json()["detail"]
    assert not Race.objects.exists()


def test_an_anonymous_caller_must_sign_in(as_):
    f.track()
    assert create(as_(None)).status_code == 401


@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_facilitators_and_admins_create_races(as_, who, fran, admin):
    f.track()
    caller = fran if who == "facilitator" else admin
    resp = create(as_(caller))
    assert resp.status_code == 201, resp.json()
    race = Race.objects.get(pk=resp.json()["id"])
    assert race.is_community and race.owner == caller


def test_a_new_race_takes_the_community_defaults(as_, fran):
    f.track()
    before = timezone.now()
    body = create(as_(fran)).json()
    assert {k: body[k] for k in ("name", "community", "owner", "track", "direction", "ranking", "laps",
                                 "off_track_penalty_s", "off_track_limit", "time_cap_s", "total_quota",
                                 "daily_quota", "time_zone", "visibility", "replay_visibility", "invite_url",
                                 "accepting_submissions", "season")} == {
        "name": "Friday Laps", "community": True, "owner": "Fran Facilitator", "track": "oval-loop",
        "direction": "counterclockwise", "ranking": "total_time", "laps": 3, "off_track_penalty_s": 3.0,
        "off_track_limit": 0, "time_cap_s": 180.0, "total_quota": 50, "daily_quota": 10, "time_zone": "UTC",
        "visibility": "public", "replay_visibility": "everyone", "invite_url": None,
        "accepting_submissions": True, "season": None,
    }  # fmt: skip
    opens = datetime.fromisoformat(body["opens_at"])
    closes = datetime.fromisoformat(body["closes_at"])
    assert before <= opens <= timezone.now() and closes - opens == rules.DEFAULT_WINDOW
    assert body["allowed_sensors"] == list(SENSORS)


def test_every_setting_is_taken(as_, fran):
    f.track()
    opens = timezone.now() + timedelta(days=1)
    resp = create(
        as_(fran), description="Bring your best <b>lap</b>", direction="clockwise", ranking="best_lap", laps=5,
        off_track_penalty_s=1.5, off_track_limit=4, time_cap_s=300, allowed_sensors=["LIDAR"], total_quota=7,
        daily_quota=2, opens_at=iso(opens), closes_at=iso(opens + timedelta(days=2)), time_zone="Asia/Tokyo",
        visibility="unlisted", replay_visibility="owner",
    )  # fmt: skip
    assert resp.status_code == 201, resp.json()
    race = Race.objects.get(pk=resp.json()["id"])
    assert (race.description, race.direction, race.timing_method, race.laps, race.off_track_penalty_s,
            race.off_track_limit, race.time_cap_s, race.allowed_sensors, race.total_quota, race.daily_quota,
            race.time_zone, race.visibility, race.replay_visibility) == (
        "Bring your best <b>lap</b>", "clockwise", "BEST_LAP_TIME", 5, 1.5, 4, 300.0, ["LIDAR"], 7, 2,
        "Asia/Tokyo", "unlisted", "owner",
    )  # fmt: skip
    assert race.opens_at == opens.replace(microsecond=opens.microsecond)
    assert not resp.json()["accepting_submissions"]


# --- Settings at their bounds ------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, ok",
    [
        ("laps", 0, False), ("laps", 1, True), ("laps", 10, True), ("laps", 11, False),
        ("off_track_penalty_s", -0.1, False), ("off_track_penalty_s", 0, True),
        ("off_track_penalty_s", 10, True), ("off_track_penalty_s", 10.1, False),
        ("off_track_limit", -1, False), ("off_track_limit", 0, True), ("off_track_limit", 100, True),
        ("off_track_limit", 101, False),
        ("time_cap_s", 29.9, False), ("time_cap_s", 30, True), ("time_cap_s", 600, True), ("time_cap_s", 601, False),
        ("total_quota", 0, False), ("total_quota", 1, True), ("total_quota", 10_000, True),
        ("total_quota", 10_001, False),
        ("daily_quota", 0, False), ("daily_quota", 1, True), ("daily_quota", 10_001, False),
        ("laps", "three", False), ("laps", 2.5, False),
        ("time_zone", "Mars/Olympus_Mons", False), ("time_zone", "Europe/Paris", True),
        ("ranking", "fastest", False), ("ranking", "average_lap", True), ("ranking", "TOTAL_TIME", False),
        ("direction", "sideways", False), ("direction", "clockwise", True),
        ("visibility", "secret", False), ("visibility", "private", True),
        ("replay_visibility", "nobody", False), ("replay_visibility", "participants", True),
        ("allowed_sensors", [], False), ("allowed_sensors", ["SONAR"], False), ("allowed_sensors", ["STATE"], True),
        ("name", "   ", False), ("name", "x" * 121, False), ("name", "x" * 120, True),
        ("description", "y" * 5001, False),
        ("timing_method", "BEST_LAP_TIME", False),  # the API says `ranking`
    ],
)  # fmt: skip
def test_settings_at_their_bounds(as_, fran, field, value, ok):
    f.track()
    resp = create(as_(fran), **{field: value})
    if ok:
        assert resp.status_code == 201, resp.json()
    else:
        assert resp.status_code == 400
        assert list(resp.json()) == [field], resp.json()
        assert all(isinstance(m, str) and m for m in resp.json()[field])
        assert not Race.objects.exists()


def test_every_bad_setting_is_named_at_once(as_, fran):
    f.track()
    resp = create(as_(fran), laps=11, time_cap_s=10, time_zone="Nowhere/Else", visibility="public")
    assert resp.status_code == 400
    body = resp.json()
    assert set(body) == {"laps", "time_cap_s", "time_zone"}
    assert "between 1 and 10" in body["laps"][0] and "between 30 and 600" in body["time_cap_s"][0]
    assert "IANA" in body["time_zone"][0]


def test_the_window_closes_after_it_opens_and_lasts_at_most_366_days(as_, fran):
    f.track()
    client = as_(fran)
    opens = timezone.now() + timedelta(hours=1)
    before = create(client, opens_at=iso(opens), closes_at=iso(opens - timedelta(minutes=1)))
    assert before.status_code == 400 and "close after it opens" in before.json()["closes_at"][0]
    same = create(client, opens_at=iso(opens), closes_at=iso(opens))
    assert same.status_code == 400 and list(same.json()) == ["closes_at"]
    too_long = create(client, opens_at=iso(opens), closes_at=iso(opens + timedelta(days=366, seconds=1)))
    assert too_long.status_code == 400 and "366 days" in too_long.json()["closes_at"][0]
    longest = create(client, opens_at=iso(opens), closes_at=iso(opens + timedelta(days=366)))
    assert longest.status_code == 201, longest.json()
    past = create(client, opens_at=iso(opens - timedelta(days=3)), closes_at=iso(opens - timedelta(days=2)))
    assert past.status_code == 400 and "passed" in past.json()["closes_at"][0]


def test_a_time_that_is_not_a_date_is_named(as_, fran):
    f.track()
    resp = create(as_(fran), opens_at="next friday")
    assert resp.status_code == 400 and list(resp.json()) == ["opens_at"]


# --- Tracks -------------------------------------------------------------------------------


def test_the_track_must_be_one_the_facilitator_may_race_on(as_, fran):
    f.track()
    client = as_(fran)
    missing = create(client, track="nowhere")
    assert missing.status_code == 400 and list(missing.json()) == ["track"]
    assert "nowhere" in missing.json()["track"][0]
    none = client.post("/api/races/", {"name": "No track"}, format="json")
    assert none.status_code == 400 and list(none.json()) == ["track"]
    # another facilitator's upload is not theirs to use; their own is
    other = f.facilitator("Other Fac")
    theirs = f.track("their-loop")
    theirs.is_public, theirs.uploaded_by = False, other.user
    theirs.save()
    assert create(client, track="their-loop").status_code == 400
    assert create(as_(other), track="their-loop").status_code == 201
    assert create(as_(f.racer("Ada Admin", staff=True)), track="their-loop").status_code == 201


def test_bad_track_and_bad_settings_are_named_together(as_, fran):
    resp = create(as_(fran), track="nowhere", laps=0)
    assert resp.status_code == 400 and set(resp.json()) == {"track", "laps"}


# --- Time zones ---------------------------------------------------------------------------


def test_a_time_without_offset_is_read_in_the_race_time_zone_and_answered_with_its_offset(as_, fran):
    f.track()
    resp = create(as_(fran), time_zone="Europe/Paris", opens_at="2030-06-01T18:00", closes_at="2030-06-08T18:00:00")
    assert resp.status_code == 201, resp.json()
    race = Race.objects.get(pk=resp.json()["id"])
    assert race.opens_at == datetime(2030, 6, 1, 16, 0, tzinfo=dt_timezone.utc)  # CEST is UTC+2
    assert resp.json()["opens_at"] == "2030-06-01T18:00:00+02:00"
    detail = as_(None).get(f"/api/races/{race.pk}/").json()
    assert detail["opens_at"] == "2030-06-01T18:00:00+02:00" and detail["closes_at"] == "2030-06-08T18:00:00+02:00"
    assert datetime.fromisoformat(detail["opens_at"]) == race.opens_at


def test_a_time_with_an_offset_is_that_instant_whatever_the_time_zone(as_, fran):
    f.track()
    resp = create(as_(fran), time_zone="Europe/Paris", opens_at="2030-01-10T09:30:00-05:00",
                  closes_at="2030-01-11T09:30:00Z")  # fmt: skip
    assert resp.status_code == 201, resp.json()
    race = Race.objects.get(pk=resp.json()["id"])
    assert race.opens_at == datetime(2030, 1, 10, 14, 30, tzinfo=dt_timezone.utc)
    assert resp.json()["opens_at"] == "2030-01-10T15:30:00+01:00"  # CET in winter
    assert resp.json()["closes_at"] == "2030-01-11T10:30:00+01:00"


def test_a_local_time_the_clocks_skip_is_refused(as_, fran):
    f.track()
    resp = create(as_(fran), time_zone="Europe/Paris", opens_at="2030-03-31T02:30", closes_at="2030-04-02T12:00")
    assert resp.status_code == 400 and "does not exist" in resp.json()["opens_at"][0]


def test_a_patched_local_time_is_read_in_the_race_time_zone(as_, fran):
    race = f.community_race(fran, time_zone="America/New_York", opens_at=timezone.now() + timedelta(days=1))
    resp = as_(fran).patch(
        f"/api/races/{race.pk}/", {"opens_at": "2030-07-04T09:00", "closes_at": "2030-07-05T09:00"}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    race.refresh_from_db()
    assert race.opens_at == datetime(2030, 7, 4, 13, 0, tzinfo=dt_timezone.utc)  # EDT is UTC-4
    assert resp.json()["opens_at"] == "2030-07-04T09:00:00-04:00"


# --- Invite links -------------------------------------------------------------------------


@pytest.mark.parametrize("visibility", ["unlisted", "private"])
def test_unlisted_and_private_races_answer_their_invite_link_to_their_facilitator_only(as_, fran, admin, visibility):
    f.track()
    resp = create(as_(fran), visibility=visibility)
    assert resp.status_code == 201
    race = Race.objects.get(pk=resp.json()["id"])
    assert resp.json()["invite_url"] == f"http://testserver/races/join/{race.invite_token}/"
    assert resp.json()["replay_visibility"] == "participants"
    assert as_(admin).get(f"/api/races/{race.pk}/").json()["invite_url"] == resp.json()["invite_url"]
    joiner = f.racer("Joiner")
    as_(joiner).post("/api/races/join/", {"invite": race.invite_token}, format="json")
    assert as_(joiner).get(f"/api/races/{race.pk}/").json()["invite_url"] is None
    if visibility == "unlisted":
        assert as_(None).get(f"/api/races/{race.pk}/").json()["invite_url"] is None


# --- Listing ------------------------------------------------------------------------------


def test_the_list_shows_public_races_and_the_callers_own(as_, fran, admin):
    public = f.community_race(fran, name="Public one")
    unlisted = f.community_race(fran, name="Unlisted one", visibility="unlisted")
    private = f.community_race(fran, name="Private one", visibility="private")
    other = f.community_race(f.facilitator("Other Fac"), name="Other's private", visibility="private")
    f.race()  # a league race is in its season, not here
    names = lambda client, query="": [r["name"] for r in client.get(f"/api/races/{query}").json()["results"]]  # noqa: E731
    assert names(as_(None)) == ["Public one"]
    assert names(as_(f.racer())) == ["Public one"]
    joiner = f.racer("Joiner")
    as_(joiner).post("/api/races/join/", {"invite": private.invite_token}, format="json")
    assert sorted(names(as_(joiner))) == ["Private one", "Public one"]
    assert sorted(names(as_(fran))) == ["Private one", "Public one", "Unlisted one"]
    assert names(as_(fran), "?mine=1") == ["Private one", "Unlisted one", "Public one"]  # newest first
    assert sorted(names(as_(admin), "?mine=1")) == sorted(
        [public.name, unlisted.name, private.name, other.name]
    )
    assert as_(f.racer()).get("/api/races/?mine=1").status_code == 403
    assert as_(None).get("/api/races/?mine=1").status_code == 401
    page = as_(None).get("/api/races/").json()
    assert set(page) == {"count", "next", "previous", "results"} and page["count"] == 1


# --- Editing ------------------------------------------------------------------------------


def test_every_setting_changes_until_the_race_opens(as_, fran):
    race = f.community_race(fran, opens_at=timezone.now() + timedelta(days=1))
    f.track("other-loop")
    resp = as_(fran).patch(
        f"/api/races/{race.pk}/",
        {"laps": 5, "ranking": "average_lap", "track": "other-loop", "visibility": "private", "time_cap_s": 90},
        format="json",
    )
    assert resp.status_code == 200, resp.json()
    race.refresh_from_db()
    assert (race.laps, race.timing_method, race.track.slug, race.visibility, race.time_cap_s) == (
        5, "AVG_LAP_TIME", "other-loop", "private", 90.0,
    )  # fmt: skip
    assert race.invite_token and resp.json()["invite_url"].endswith(f"/races/join/{race.invite_token}/")
    bad = as_(fran).patch(f"/api/races/{race.pk}/", {"laps": 11, "track": "nowhere"}, format="json")
    assert bad.status_code == 400 and "track" in bad.json()


def test_once_open_only_the_name_description_and_close_time_change(as_, fran):
    race = f.community_race(fran, name="Open race")
    client = as_(fran)
    for field, value in (("laps", 5), ("ranking", "best_lap"), ("time_cap_s", 60), ("visibility", "private"),
                         ("opens_at", iso(timezone.now() + timedelta(days=1)))):  # fmt: skip
        resp = client.patch(f"/api/races/{race.pk}/", {field: value}, format="json")
        assert resp.status_code == 400 and list(resp.json()) == [field], (field, resp.json())
        assert "opened" in resp.json()[field][0]
    # the same values again are no change
    assert client.patch(f"/api/races/{race.pk}/", {"laps": 3, "ranking": "total_time"}, format="json").status_code == 200
    later = race.closes_at + timedelta(days=2)
    resp = client.patch(
        f"/api/races/{race.pk}/", {"name": "Renamed", "description": "More time!", "closes_at": iso(later)}, format="json"
    )
    assert resp.status_code == 200, resp.json()
    race.refresh_from_db()
    assert (race.name, race.description, race.closes_at) == ("Renamed", "More time!", later)
    past = client.patch(f"/api/races/{race.pk}/", {"closes_at": iso(timezone.now() - timedelta(hours=1))}, format="json")
    assert past.status_code == 400 and "close it now" in past.json()["closes_at"][0]


def test_close_early_then_extend(as_, fran):
    race = f.community_race(fran)
    ann = f.racer("Ann")
    record_result(ann, race, 30.0)
    resp = as_(fran).post(f"/api/races/{race.pk}/close/")
    assert resp.status_code == 200 and resp.json()["accepting_submissions"] is False
    race.refresh_from_db()
    assert race.closes_at <= timezone.now()
    model = f.policy_model(ann)
    refused = as_(ann).post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json")
    assert refused.status_code == 400 and "closed" in refused.json()["race"][0]
    # closing again changes nothing; a later close time opens it again
    closed_at = race.closes_at
    as_(fran).post(f"/api/races/{race.pk}/close/")
    race.refresh_from_db()
    assert race.closes_at == closed_at
    extended = timezone.now() + timedelta(days=1)
    resp = as_(fran).patch(f"/api/races/{race.pk}/", {"closes_at": iso(extended)}, format="json")
    assert resp.status_code == 200 and resp.json()["accepting_submissions"] is True
    assert as_(ann).post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json").status_code == 202


@pytest.mark.parametrize("visibility, outsider_status", [("public", 403), ("private", 404)])
def test_only_the_races_facilitator_or_an_admin_runs_it(as_, fran, admin, visibility, outsider_status):
    race = f.community_race(fran, visibility=visibility)
    change = {"description": "mine now"}
    other_fac = as_(f.facilitator("Other Fac"))
    racer = as_(f.racer())
    for client, expected in ((other_fac, outsider_status), (racer, outsider_status)):
        assert client.patch(f"/api/races/{race.pk}/", change, format="json").status_code == expected
        assert client.post(f"/api/races/{race.pk}/close/").status_code == expected
        assert client.post(f"/api/races/{race.pk}/invite/reset/").status_code == expected
        assert client.get(f"/api/races/{race.pk}/racers/").status_code == expected
    forbidden = other_fac.patch(f"/api/races/{race.pk}/", change, format="json").json()
    assert forbidden["detail"] == ("Only the race's facilitator or an admin can do this." if visibility == "public"
                                   else "No such race.")  # fmt: skip
    assert as_(None).patch(f"/api/races/{race.pk}/", change, format="json").status_code == 401
    assert as_(admin).patch(f"/api/races/{race.pk}/", change, format="json").status_code == 200
    assert as_(fran).patch(f"/api/races/{race.pk}/", {"name": "Still mine"}, format="json").status_code == 200


def test_a_facilitator_whose_role_was_revoked_no_longer_runs_their_race(as_, fran):
    from league.community import role_revoke

    race = f.community_race(fran)
    role_revoke(fran.user, "facilitator")
    assert as_(fran).patch(f"/api/races/{race.pk}/", {"name": "x"}, format="json").status_code == 403
    assert f.track() and create(as_(fran)).status_code == 403


def test_league_races_are_not_edited_here(as_, admin):
    race = f.race()
    resp = as_(admin).patch(f"/api/races/{race.pk}/", {"name": "Renamed"}, format="json")
    assert resp.status_code == 400 and "season" in resp.json()["race"][0]


def test_unknown_settings_are_refused_not_ignored(as_, fran):
    race = f.community_race(fran)
    resp = as_(fran).patch(f"/api/races/{race.pk}/", {"timing_method": "BEST_LAP_TIME"}, format="json")
    assert resp.status_code == 400 and "Unknown setting" in resp.json()["timing_method"][0]


def test_closing_early_by_setting_the_close_time_to_now(as_, fran):
    race = f.community_race(fran)
    resp = as_(fran).patch(f"/api/races/{race.pk}/", {"closes_at": iso(timezone.now())}, format="json")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["accepting_submissions"] is False


# --- A race night from the start (nights/) --------------------------------------------------


def test_a_race_is_created_live_with_its_night_settings(as_, fran):
    f.track()
    starts_at = timezone.now() + timedelta(hours=2)
    resp = create(as_(fran), mode="live",
                  live={"countdown_s": 5, "speed_control": True, "starts_at": iso(starts_at), "self_start": True})
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["mode"] == "live"
    assert {k: body["live"][k] for k in ("mode", "state", "countdown_s", "speed_control", "self_start")} == {
        "mode": "live", "state": "waiting", "countdown_s": 5, "speed_control": True, "self_start": True}
    # The same night PUT /live/ shows and changes.
    live = as_(fran).get(f"/api/races/{body['id']}/live/").json()
    assert live["mode"] == "live" and datetime.fromisoformat(live["starts_at"]) == starts_at
    assert as_(fran).put(f"/api/races/{body['id']}/live/", {"countdown_s": 3}, format="json").json()[
        "countdown_s"] == 3


def test_a_race_is_classic_unless_asked(as_, fran):
    f.track()
    body = create(as_(fran)).json()
    assert body["mode"] == "classic" and body["live"] is None
    assert as_(fran).get(f"/api/races/{body['id']}/live/").status_code == 404


@pytest.mark.parametrize(("asked", "field", "says"), [
    ({"mode": "nightly"}, "mode", "is not a valid choice"),
    ({"mode": "live", "format": "head_to_head"}, "live", "raced on its ladder"),
    ({"mode": "live", "live": {"self_start": True}}, "live", "needs starts_at"),
    ({"mode": "live", "live": {"countdown_s": 99}}, "live", "less than or equal to 60"),
])
def test_a_live_race_that_does_not_fit_is_refused_and_not_created(as_, fran, asked, field, says):
    f.track()
    resp = create(as_(fran), **asked)
    assert resp.status_code == 400
    assert says in json_text(resp.json()[field])
    assert not Race.objects.exists()


def test_only_facilitators_create_live_races(as_):
    f.track()
    assert create(as_(f.racer()), mode="live").status_code == 403
    assert create(as_(None), mode="live").status_code == 401
    assert not Race.objects.exists()


def json_text(value) -> str:
    return value if isinstance(value, str) else " ".join(map(json_text, value.values() if isinstance(value, dict)
                                                              else value))
