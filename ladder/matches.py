"""A match's life: created and queued, claimed by a worker under a lease, raced in the
sandbox (ladder/runner.py), recorded (ratings moved in the same transaction), retried on
the platform's faults and ended `error` after the last attempt; an organiser may re-run a
match that ended in error."""

from __future__ import annotations

import logging
import secrets
import shlex
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from racing.models import Submission
from racing.runner import PlatformFault
from racing.uploads import model_metadata_bytes
from racing.workdirs import work_dir
from simulator.duel import DuelSettings
from simulator.formats import SEED_RANGE
from tracks.selectors import track_cli_argument
from tracks.services import track_file_bytes

from . import ratings
from .bracket import bracket_advance, finals_start, ready_slots
from .models import Match, Rating
from .runner import match_arguments, race_match
from .selectors import ladder_rules
from .signals import ladder_changed, match_changed
from .videos import match_videos_enqueue_on_commit

logger = logging.getLogger(__name__)


def _cfg(key: str):
    return settings.RACING[key]


def new_seed() -> int:
    return secrets.randbelow(SEED_RANGE[1]) + 1


def match_create(*, race, submission_a: Submission, submission_b: Submission, bracket_match=None,
                 seed: int | None = None, rerun_of: Match | None = None) -> Match:
    """A queued match and its task, in one transaction."""
    if submission_a.racer_id == submission_b.racer_id:
        raise ValueError("a racer never races themself")
    match = Match.objects.create(
        race=race, racer_a_id=submission_a.racer_id, racer_b_id=submission_b.racer_id,
        submission_a=submission_a, submission_b=submission_b, seed=new_seed() if seed is None else seed,
        bracket_match=bracket_match, rerun_of=rerun_of,
    )
    match_enqueue(match)
    match_changed.send(Match, match=match)
    return match


def match_enqueue(match: Match, delay_s: float = 0.0) -> None:
    t = race_match_task
    if delay_s:
        t = t.using(run_after=timezone.now() + timedelta(seconds=delay_s))
    match.task_id = str(t.enqueue(match.pk).id)
    Match.objects.filter(pk=match.pk).update(task_id=match.task_id)


@task()
def race_match_task(match_id: int) -> str:
    """Queue task: race a queued match and record it."""
    return match_race(match_id)


def match_flags(match: Match) -> list[str]:
    """The duel command's flags of a match: its race's rules and grid, its seed."""
    race = match.race
    rules = ladder_rules(race)
    return match_arguments(
        laps=race.laps, off_track_penalty_s=race.off_track_penalty_s, time_cap_s=race.time_cap_s,
        reverse=race.reversed,
        settings=DuelSettings(start=rules.start, collision_penalty_s=race.collision_penalty_s, seed=match.seed),
    )


def duel_command(match: Match, duel: int) -> str:
    """The duel at home: `python -m simulator duel` with the two models in folders a/ and b/."""
    args = ["python", "-m", "simulator", "duel", "a/model.onnx", "b/model.onnx",
            "--metadata-a", "a/model_metadata.json", "--metadata-b", "b/model_metadata.json",
            "--track", track_cli_argument(match.race.track), *match_flags(match)]
    return shlex.join(args + (["--swap"] if duel == 2 else []) + ["--json"])


def match_claim(match_id: int) -> Match | None:
    with transaction.atomic():
        match = Match.objects.select_for_update().filter(pk=match_id, status=Match.Status.QUEUED).first()
        if match is None:
            return None
        match.status = Match.Status.RUNNING
        match.attempts += 1
        match.run_token = secrets.token_hex(16)
        match.lease_expires_at = timezone.now() + timedelta(seconds=_cfg("LEASE_S"))
        match.save(update_fields=["status", "attempts", "run_token", "lease_expires_at"])
        match_changed.send(Match, match=match)
    return match


def match_race(match_id: int) -> str:
    match = match_claim(match_id)
    if match is None:
        return "skipped"
    race = match.race
    flags = match_flags(match)
    models = []
    for sub in (match.submission_a, match.submission_b):
        with sub.model.onnx.open("rb") as fh:
            models.append((fh.read(), model_metadata_bytes(sub.model)))

    def renew() -> None:
        Match.objects.filter(pk=match.pk, run_token=match.run_token).update(
            lease_expires_at=timezone.now() + timedelta(seconds=_cfg("LEASE_S")))

    try:
        with work_dir("match", match.pk) as workdir:
            run = race_match(workdir=workdir, models=(models[0], models[1]), track_bytes=track_file_bytes(race.track),
                             flags=flags, on_tick=renew, tick_s=max(0.5, min(5.0, _cfg("LEASE_S") / 4)))
            if run.ok:
                replays = [p.read_bytes() if p is not None else None for p in run.replays]
                match_record(match, run.result, replays)
                return "finished"
            message = run.message
    except PlatformFault as exc:
        message = str(exc)
    logger.warning("match %s: %s", match.pk, message)
    return match_retry_or_error(match, message)


def match_retry_or_error(match: Match, message: str) -> str:
    with transaction.atomic():
        fresh = Match.objects.select_for_update().get(pk=match.pk)
        if fresh.status != Match.Status.RUNNING or fresh.run_token != match.run_token:
            return "lost"
        fresh.error = message
        fresh.run_token = ""
        fresh.lease_expires_at = None
        if fresh.attempts < int(_cfg("MAX_ATTEMPTS")):
            fresh.status = Match.Status.QUEUED
            fresh.save(update_fields=["error", "run_token", "lease_expires_at", "status"])
            match_enqueue(fresh, float(_cfg("RETRY_BACKOFF_S")) * (2 ** (fresh.attempts - 1)))
        else:
            fresh.status = Match.Status.ERROR
            fresh.finished_at = timezone.now()
            fresh.save(update_fields=["error", "run_token", "lease_expires_at", "status", "finished_at"])
        match_changed.send(Match, match=fresh)
        return fresh.status


def match_record(match: Match, result: dict, replays: list[bytes | None]) -> Match:
    """Store the match and move both ratings (a ladder match between the racers' current
    submissions), or advance the bracket (a finals match), in one transaction."""
    with transaction.atomic():
        fresh = Match.objects.select_for_update().get(pk=match.pk)
        if fresh.status != Match.Status.RUNNING or fresh.run_token != match.run_token:
            return fresh
        fresh.status = Match.Status.FINISHED
        fresh.winner = result["winner"]
        fresh.result = result
        fresh.finished_at = timezone.now()
        fresh.lease_expires_at = None
        fresh.error = ""
        for k, data in enumerate(replays, 1):
            if data is not None:
                getattr(fresh, f"replay_{k}").save(f"match-{fresh.pk}-{k}.json", ContentFile(data), save=False)
        if fresh.bracket_match_id is None:
            _rate(fresh)
        fresh.save()
        match_changed.send(Match, match=fresh)
        match_videos_enqueue_on_commit(fresh)
        if fresh.bracket_match_id is not None:
            bracket_advance(fresh)
            bracket_start_ready(fresh.bracket_match.bracket)
    return fresh


def bracket_start_ready(bracket) -> list[Match]:
    """Queue the matches of the bracket's places whose two sides are known, each side
    racing the submission that carries their rating."""
    started = []
    for slot in ready_slots(bracket):
        subs = {r.racer_id: r.submission for r in Rating.objects.filter(
            race_id=bracket.race_id, racer_id__in=(slot.racer_a_id, slot.racer_b_id)).select_related("submission")}
        started.append(match_create(race=bracket.race, submission_a=subs[slot.racer_a_id],
                                    submission_b=subs[slot.racer_b_id], bracket_match=slot))
    return started


def finals_begin(race):
    """Seed the finals from the ladder and queue their first round (FinalsError if they
    cannot start); the organiser's button and the round after the race closes."""
    with transaction.atomic():
        bracket = finals_start(race)
        bracket_start_ready(bracket)
    return bracket


def _rate(match: Match) -> None:
    """Both ratings after the match, if both sides still race the submissions it ran
    (a racer who sent a new model since is rated on that model's matches)."""
    both = {r.racer_id: r for r in Rating.objects.select_for_update().filter(
        race_id=match.race_id, racer_id__in=(match.racer_a_id, match.racer_b_id))}
    a, b = both.get(match.racer_a_id), both.get(match.racer_b_id)
    now = timezone.now()
    for r in (a, b):
        if r is not None:
            r.last_match_at = now
    if a is None or b is None or a.submission_id != match.submission_a_id or b.submission_id != match.submission_b_id:
        for r in (a, b):
            if r is not None:
                r.save(update_fields=["last_match_at"])
        return
    new_a, new_b = ratings.rate(ratings.Skill(a.mu, a.sigma), ratings.Skill(b.mu, b.sigma), match.winner)
    match.rating_change = {
        "a": {"mu": [a.mu, new_a.mu], "sigma": [a.sigma, new_a.sigma]},
        "b": {"mu": [b.mu, new_b.mu], "sigma": [b.sigma, new_b.sigma]},
    }
    for r, new, side in ((a, new_a, "a"), (b, new_b, "b")):
        r.mu, r.sigma, r.score = new.mu, new.sigma, new.score
        r.matches += 1
        r.wins += match.winner == side
        r.draws += match.winner == "draw"
        r.updated_at = now
        r.save()
    match.rated = True
    ladder_changed.send(Rating, race_id=match.race_id)


def match_rerun(match: Match) -> Match:
    """An organiser's re-run of a match that ended in error: a new match of the same
    submissions on the same seed (in the bracket, in the same place)."""
    if match.status != Match.Status.ERROR:
        raise ValueError(f"only a match that ended in error can be re-run; this one is {match.status}")
    with transaction.atomic():
        return match_create(race=match.race, submission_a=match.submission_a, submission_b=match.submission_b,
                            bracket_match=match.bracket_match, seed=match.seed, rerun_of=match)


def matches_reclaim(now=None) -> int:
    """Queue again the running matches whose worker stopped renewing their lease."""
    now = now or timezone.now()
    count = 0
    for match in Match.objects.filter(status=Match.Status.RUNNING, lease_expires_at__lt=now)[:200]:
        with transaction.atomic():
            fresh = Match.objects.select_for_update().get(pk=match.pk)
            if fresh.status != Match.Status.RUNNING or fresh.lease_expires_at is None or fresh.lease_expires_at >= now:
                continue
            fresh.status = Match.Status.QUEUED
            fresh.run_token = ""
            fresh.lease_expires_at = None
            fresh.save(update_fields=["status", "run_token", "lease_expires_at"])
            match_enqueue(fresh)
            count += 1
    return count
