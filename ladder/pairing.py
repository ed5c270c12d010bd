"""Who races whom next on the ladder: a pure function, so its rules are tested alone.

Every racer regularly: the racer who has waited longest since their last match picks
first. Close ratings first: they meet the free racer with the nearest conservative score
(ties: the one who waited longer, then the lower id), not the one they met last if there
is anyone else. Never a racer against themself, and never one already in a match."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    racer_id: int
    score: float
    last_match_at: datetime | None = None
    last_opponent_id: int | None = None


def _waited(e: Entry) -> tuple:
    # Never raced first, then the oldest last match.
    return (e.last_match_at is not None, e.last_match_at or datetime.min, e.racer_id)


def pairings(entries: list[Entry], busy: set[int], limit: int) -> list[tuple[int, int]]:
    """Up to `limit` pairs (racer ids) among the entries not busy."""
    free = sorted((e for e in entries if e.racer_id not in busy), key=_waited)
    pairs: list[tuple[int, int]] = []
    while len(free) >= 2 and len(pairs) < limit:
        first = free.pop(0)
        others = [e for e in free if e.racer_id != first.racer_id]
        if not others:
            break
        fresh = [e for e in others if e.racer_id != first.last_opponent_id] or others
        rank = {e.racer_id: k for k, e in enumerate(free)}
        opponent = min(fresh, key=lambda e: (abs(e.score - first.score), rank[e.racer_id], e.racer_id))
        free.remove(opponent)
        pairs.append((first.racer_id, opponent.racer_id))
    return pairs
