"""The ladder's pairing rounds: while a head-to-head race is open, a task runs every
round (`settings.LADDER_ROUND_S`, default 60 s) that brings the ratings up to the racers'
latest valid submissions, pairs racers (ladder/pairing.py) within the race's match budget
per hour, and queues their matches; once the race has closed and its last ladder matches
are in, it starts the finals. A qualifying result in the race schedules the first round."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from league.models import Race
from racing.models import Submission

from . import ratings
from .bracket import FinalsError
from .matches import finals_begin, match_create, matches_reclaim
from .models import Bracket, LadderRules, Match, Rating
from .pairing import Entry, pairings
from .selectors import busy_racers, is_head_to_head, ladder_rules, valid_submissions
from .signals import ladder_changed

logger = logging.getLogger(__name__)
# Ladder matches still in flight when the race closes get this long before the finals
# start without them.
SETTLE_S = 30.0


def round_s() -> float:
    return float(settings.LADDER_ROUND_S)


def on_result_landed(sender, result, **kwargs) -> None:
    """racing.signals.result_landed: a head-to-head race's qualifying result schedules a
    round (after the commit; one round however many results land)."""
    race = result.race
    if is_head_to_head(race):
        transaction.on_commit(lambda: round_schedule(race.pk, 0.0))


def round_schedule(race_id: int, delay_s: float) -> bool:
    """Queue the race's next round in `delay_s` unless one is due sooner already."""
    due = timezone.now() + timedelta(seconds=delay_s)
    with transaction.atomic():
        rules, _ = LadderRules.objects.select_for_update().get_or_create(race_id=race_id)
        if rules.round_due_at is not None and rules.round_due_at <= due and rules.round_due_at > timezone.now() - \
                timedelta(seconds=round_s() + SETTLE_S):
            return False
        rules.round_due_at = due
        rules.save(update_fields=["round_due_at"])
        t = ladder_round_task.using(run_after=due) if delay_s > 0 else ladder_round_task
        transaction.on_commit(lambda: t.enqueue(race_id))
    return True


@task()
def ladder_round_task(race_id: int) -> str:
    return ladder_round(race_id)


def ladder_round(race_id: int, now=None) -> str:
    """One round; returns what it did (for the logs and the tests)."""
    now = now or timezone.now()
    LadderRules.objects.filter(race_id=race_id).update(round_due_at=None)
    race = Race.objects.select_related("season").filter(pk=race_id).first()
    if race is None or not is_head_to_head(race) or Bracket.objects.filter(race=race).exists():
        return "idle"
    matches_reclaim(now)
    ratings_sync(race, now)
    if race.accepting_submissions(now):
        created = pair_round(race, now)
        nxt = round_s()
        if race.closes_at is not None:
            nxt = max(1.0, min(nxt, (race.closes_at - now).total_seconds() + 1.0))
        round_schedule(race.pk, nxt)
        return f"paired {created}"
    if race.closes_at is None or now < race.closes_at:
        return "not open"  # not open yet (or its season is a draft)
    in_flight = Match.objects.filter(race=race, bracket_match=None,
                                     status__in=(Match.Status.QUEUED, Match.Status.RUNNING))
    if in_flight.filter(created_at__gt=now - timedelta(seconds=SETTLE_S + round_s())).exists():
        round_schedule(race.pk, 5.0)
        return "settling"
    try:
        finals_begin(race)
    except FinalsError as exc:
        logger.info("race %s: no finals (%s)", race.pk, exc)
        return "no finals"
    return "finals"


def ratings_sync(race, now) -> int:
    """Ratings for racers with a valid submission; a racer's new submission carries their
    rating on with its uncertainty raised. Returns how many changed."""
    latest = valid_submissions(race)
    changed = 0
    with transaction.atomic():
        current = {r.racer_id: r for r in Rating.objects.select_for_update().filter(race=race)}
        for racer_id, submission_id in latest.items():
            r = current.get(racer_id)
            if r is None:
                skill = ratings.newcomer()
                Rating.objects.create(race=race, racer_id=racer_id, submission_id=submission_id, mu=skill.mu,
                                      sigma=skill.sigma, score=skill.score, updated_at=now)
                changed += 1
            elif r.submission_id != submission_id:
                skill = ratings.new_submission(ratings.Skill(r.mu, r.sigma))
                r.submission_id, r.mu, r.sigma, r.score, r.updated_at = submission_id, skill.mu, skill.sigma, \
                    skill.score, now
                r.save()
                changed += 1
        # Racers off the board (removed from the race) leave the ladder.
        gone = [rid for rid in current if rid not in latest]
        if gone:
            Rating.objects.filter(race=race, racer_id__in=gone).delete()
            changed += len(gone)
        if changed:
            ladder_changed.send(Rating, race_id=race.pk)
    return changed


def pair_round(race, now) -> int:
    """Queue this round's matches: the race's budget per hour spread over its rounds."""
    rules = ladder_rules(race)
    started = Match.objects.filter(race=race, bracket_match=None, rerun_of=None,
                                   created_at__gt=now - timedelta(hours=1)).count()
    per_round = max(1, math.ceil(rules.matches_per_hour * round_s() / 3600.0))
    limit = min(per_round, rules.matches_per_hour - started)
    if limit <= 0:
        return 0
    rows = list(Rating.objects.filter(race=race))
    last_opponent = {}
    for m in Match.objects.filter(race=race, bracket_match=None).order_by("created_at", "id").values_list(
            "racer_a_id", "racer_b_id"):
        last_opponent[m[0]], last_opponent[m[1]] = m[1], m[0]
    entries = [Entry(r.racer_id, r.score, r.last_match_at, last_opponent.get(r.racer_id)) for r in rows]
    subs = {r.racer_id: r.submission_id for r in rows}
    pairs = pairings(entries, busy_racers(race), limit)
    by_id = Submission.objects.in_bulk([subs[x] for pair in pairs for x in pair])
    with transaction.atomic():
        for a, b in pairs:
            match_create(race=race, submission_a=by_id[subs[a]], submission_b=by_id[subs[b]])
    return len(pairs)
