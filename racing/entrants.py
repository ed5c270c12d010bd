"""Removing a racer from a community race: their entries leave the board (kept, marked
removed, for the record) and they may not enter again."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from league.models import Race, RaceEntrant, Racer

from . import signals
from .models import RaceStanding
from .standings import standings_rebuild

# What a layer above does when a racer is removed (a race night takes them out of its
# queue: nights/apps.py adds it), called in the same transaction with (race, racer).
ALSO_ON_REMOVAL: list[Callable[[Race, Racer], None]] = []


def entrant_remove(race: Race, racer: Racer) -> RaceEntrant:
    with transaction.atomic():
        entrant, _ = RaceEntrant.objects.get_or_create(race=race, racer=racer)
        if entrant.removed_at is None:
            entrant.removed_at = timezone.now()
            entrant.save(update_fields=["removed_at"])
        for also in ALSO_ON_REMOVAL:
            also(race, racer)
        standings_rebuild(race)
        signals.standings_rebuilt.send(sender=RaceStanding, race=race)
    return entrant
