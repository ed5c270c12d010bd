"""Head-to-head in a real headless Chromium: a duel raced by the simulator, recorded by the
ladder's service, replayed with both cars (the other car rides in the ghost's place, at the
same step of the duel); the bracket page drawn on a phone without the page overflowing."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from django.utils import timezone

from ladder.matches import finals_begin, match_claim, match_record
from ladder.models import Match
from ladder.rounds import pair_round, ratings_sync
from simulator.duel import DuelSettings, match_dict, run_match
from simulator.params import RaceRules
from simulator.policy import load_policy
from simulator.replay import write_duel_replay
from tests import factories as f
from tests.simulator import builders as B
from tracks.pictures import sim_track

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def raced_match() -> Match:
    race = f.head_to_head_race(f.community_race(on=f.track("oval-loop"), laps=1, visibility="public"))
    for name in ("Fast Fay", "Slow Sam"):
        f.qualified_submission(race, f.racer(name))
    ratings_sync(race, timezone.now())
    pair_round(race, timezone.now())
    match = Match.objects.get(race=race)
    track = sim_track(race.track)
    policies = [load_policy(B.pursuit_model(speed), B.continuous_metadata()) for speed in (1.8, 1.2)]
    outcomes = run_match(*policies, track, RaceRules(laps=1), settings=DuelSettings(start="staggered", seed=match.seed))
    with tempfile.TemporaryDirectory() as tmp:
        replays = []
        for k, outcome in enumerate(outcomes, 1):
            path = Path(tmp) / f"r{k}.json"
            write_duel_replay(path, outcome, track, race.track.slug)
            replays.append(path.read_bytes())
    return match_record(match_claim(match.pk), match_dict(outcomes), replays)


def test_a_duel_replays_with_both_cars(page, live_server):
    match = raced_match()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/matches/{match.pk}/replay/1/")
    page.wait_for_selector("#rp-stage[data-ready='1']")
    page.wait_for_function("() => window.replayPlayer.state.ghostId === 'duel'")
    duel = match.result["duels"][0]
    steps = page.evaluate("() => [window.replayPlayer.state.run.n, window.replayPlayer.state.ghost.n]")
    assert steps == [duel["a"]["steps"], duel["b"]["steps"]]
    note = page.text_content("#rp-ghost-note")
    assert match.racer_a.alias in note and match.racer_b.alias in note and "position 2" in note
    # The other car is shown at the same step of the duel, not at the same official clock.
    page.evaluate("() => window.replayPlayer.seek(20)")
    same = page.evaluate("""() => { const st = window.replayPlayer.state; return st.ghost.t[20] === st.run.t[20]; }""")
    assert same
    assert page.is_visible("#rp-gap-wrap") and errors == []


def test_the_bracket_is_drawn_on_a_phone(phone_page, live_server):
    race = f.head_to_head_race(f.community_race(on=f.track("oval-loop"), visibility="public"), finals_size=8)
    for k in range(8):
        f.qualified_submission(race, f.racer(f"Finalist {k + 1}"), 30.0 + k)
    ratings_sync(race, timezone.now())
    finals_begin(race)
    while queued := list(Match.objects.filter(race=race, status="queued")):
        for m in queued:
            match_record(match_claim(m.pk), {"winner": "a", "duels": []}, [None, None])
    phone_page.goto(f"{live_server.url}/races/{race.pk}/bracket/")
    assert phone_page.is_visible("#champion")
    assert phone_page.locator(".bracket-col").count() == 3 + 4 + 1  # W1-3, L1-4, the finals
    page_width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert page_width <= 390  # the bracket scrolls inside its box, the page does not
    scrolls = phone_page.evaluate("() => { const b = document.getElementById('bracket'); return b.scrollWidth > b.clientWidth; }")
    assert scrolls
