"""Private means invisible: a private race, its board, results, exports, replays, videos
and traces answer 404 to whoever has not joined it, exactly as for ids that do not
exist; replays follow the race's replay setting on top of that."""

from __future__ import annotations

import re

import pytest
from django.core.files.base import ContentFile

from league.community import entrant_join
from league.models import Race
from racing.entrants import entrant_remove
from racing.models import Result
from tests import factories as f
from tests.racing.test_replays import raced_result

pytestmark = pytest.mark.django_db

RACE_PATHS = (
    "/api/races/{race}/",
    "/api/races/{race}/leaderboard/",
    "/api/races/{race}/results.csv",
    "/api/races/{race}/results.csv?format=json",
    "/api/races/{race}/results.json",
)
RESULT_PATHS = (
    "/api/results/{result}/",
    "/api/results/{result}/replay/",
    "/api/results/{result}/video/",
    "/api/results/{result}/simtrace.csv",
)
MISSING = {"race": 999_999, "result": 999_999}


class World:
    """A private race run by Fran: Ann raced in it (a real run, its replay and a video),
    Bob joined, Cyd joined and was removed; Oscar is an outsider, Olga another facilitator."""

    def __init__(self, visibility: str = "private", replay_visibility: str = "everyone"):
        self.fran = f.facilitator("Fran")
        self.race = f.community_race(
            self.fran, on=f.track("oval-loop"), laps=1, visibility=visibility, replay_visibility=replay_visibility
        )
        self.ann, self.bob, self.cyd = f.racer("Ann"), f.racer("Bob"), f.racer("Cyd")
        for racer in (self.ann, self.bob, self.cyd):
            entrant_join(self.race, racer)
        self.result = raced_result(self.race, self.ann)
        self.result.video.save("run.mp4", ContentFile(b"\0\0\0\x18ftypisom" + b"\0" * 64), save=False)
        self.result.video_status = Result.VideoStatus.READY
        self.result.save()
        entrant_remove(self.race, self.cyd)
        self.oscar = f.racer("Oscar")
        self.olga = f.facilitator("Olga")
        self.admin = f.racer("Ada Admin", staff=True)

    def paths(self, ids=None) -> list[str]:
        ids = ids or {"race": self.race.pk, "result": self.result.pk}
        return [p.format(**ids) for p in (*RACE_PATHS, *RESULT_PATHS)]


@pytest.fixture
def world():
    return World()


def _body(resp) -> dict:
    return resp.json()


@pytest.mark.parametrize("who", ["anonymous", "oscar", "olga", "cyd"])
def test_outsiders_get_the_404_of_a_race_that_does_not_exist(as_, world, who):
    client = as_(None if who == "anonymous" else getattr(world, who))
    for path, missing in zip(world.paths(), world.paths(MISSING), strict=True):
        resp, nothing = client.get(path), client.get(missing)
        assert resp.status_code == nothing.status_code == 404, path
        assert _body(resp) == _body(nothing), path
        assert "Cache-Control" not in resp or "public" not in resp["Cache-Control"]


@pytest.mark.parametrize("who", ["ann", "bob", "fran", "admin"])
def test_members_the_facilitator_and_admins_see_everything(as_, world, who):
    client = as_(getattr(world, who))
    for path in world.paths():
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.status_code)
        if "replay" in path or "simtrace" in path or "video" in path:
            assert resp["Cache-Control"].startswith("private"), path
    board = client.get(f"/api/races/{world.race.pk}/leaderboard/").json()["results"]
    assert [row["racer"] for row in board] == ["Ann"]
    result = client.get(f"/api/results/{world.result.pk}/").json()
    assert result["replay_url"] and result["video_url"] and result["simtrace_url"]


def test_a_public_race_shows_everything_to_everyone(as_):
    world = World(visibility="public")
    for path in world.paths():
        resp = as_(None).get(path)
        assert resp.status_code == 200, path
        if "replay" in path or "simtrace" in path:
            assert resp["Cache-Control"].startswith("public"), path


def test_submitting_to_a_private_race_one_may_not_see_is_a_missing_race(as_, world):
    for who in (world.oscar, world.cyd):
        model = f.policy_model(who)
        resp = as_(who).post("/api/submissions/", {"model": model.pk, "race": world.race.pk}, format="json")
        missing = as_(who).post("/api/submissions/", {"model": model.pk, "race": 999_999}, format="json")
        assert resp.status_code == missing.status_code == 404
        normalise = lambda r: re.sub(r"\d+", "N", str(r.json()))  # noqa: E731
        assert normalise(resp) == normalise(missing) == "{'race': ['There is no race with id N.']}"
    bob_model = f.policy_model(world.bob)
    assert as_(world.bob).post("/api/submissions/", {"model": bob_model.pk, "race": world.race.pk},
                               format="json").status_code == 202  # fmt: skip


def test_a_removed_racer_of_a_public_race_may_not_enter_again(as_):
    race = f.community_race(f.facilitator("Fran"))
    cyd = f.racer("Cyd")
    entrant_join(race, cyd)
    entrant_remove(race, cyd)
    model = f.policy_model(cyd)
    resp = as_(cyd).post("/api/submissions/", {"model": model.pk, "race": race.pk}, format="json")
    assert resp.status_code == 400 and "removed you" in resp.json()["race"][0]


def test_an_unlisted_race_is_seen_by_anyone_with_its_link(as_):
    world = World(visibility="unlisted")
    assert all(as_(None).get(path).status_code == 200 for path in world.paths())


# --- Replay visibility ---------------------------------------------------------------------

REPLAY_PATHS = RESULT_PATHS[1:]
# viewer -> may they see Ann's replay, per replay setting
EXPECTED = {
    "everyone": {"anonymous": True, "oscar": True, "bob": True, "ann": True, "fran": True, "admin": True},
    "participants": {"anonymous": False, "oscar": False, "bob": True, "ann": True, "fran": True, "admin": True},
    "owner": {"anonymous": False, "oscar": False, "bob": False, "ann": True, "fran": True, "admin": True},
}


@pytest.mark.parametrize("visibility", ["public", "private"])
def test_replays_follow_the_replay_setting(as_, visibility):
    world = World(visibility=visibility)
    for setting, viewers in EXPECTED.items():
        Race.objects.filter(pk=world.race.pk).update(replay_visibility=setting)
        for who, sees in viewers.items():
            if visibility == "private" and who in ("anonymous", "oscar"):
                sees = False  # not even the race
            client = as_(None if who == "anonymous" else getattr(world, who))
            for path in REPLAY_PATHS:
                resp = client.get(path.format(result=world.result.pk))
                assert resp.status_code == (200 if sees else 404), (setting, who, path)
                if not sees:
                    assert resp.json() == {"detail": "No such result."}
            detail = client.get(f"/api/results/{world.result.pk}/")
            if visibility == "private" and who in ("anonymous", "oscar"):
                assert detail.status_code == 404
                continue
            # the result itself shows; its replay links only to who may follow them
            links = [detail.json()[k] for k in ("replay_url", "video_url", "simtrace_url")]
            assert all(links) if sees else links == [None, None, None], (setting, who)
