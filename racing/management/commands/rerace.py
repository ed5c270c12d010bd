"""Re-race the board's entries of races on the current simulator version (after an
upgrade that changed official results)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from league.models import Race
from racing.rerace import race_rerace
from simulator import SIMULATOR_VERSION


class Command(BaseCommand):
    help = (
        f"Queue a re-race, on simulator {SIMULATOR_VERSION}, of every board entry raced on another "
        "version: the racer's best run with the same model, not counted against their quota."
    )

    def add_arguments(self, parser):
        parser.add_argument("race_ids", nargs="*", type=int, help="race ids (or use --season / --all)")
        parser.add_argument("--season", help="every race of this season (slug)")
        parser.add_argument("--all", action="store_true", help="every race")

    def handle(self, *args, race_ids, season, all, **options):
        races = Race.objects.select_related("season", "track")
        if all:
            pass
        elif season:
            races = races.filter(season__slug=season)
        elif race_ids:
            races = races.filter(pk__in=race_ids)
            missing = set(race_ids) - set(races.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"no race with id {', '.join(map(str, sorted(missing)))}")
        else:
            raise CommandError("name the races: RACE_ID ..., --season SLUG or --all")
        total = 0
        for race in races:
            queued = race_rerace(race)
            total += queued
            self.stdout.write(f"{race}: {queued} entr{'y' if queued == 1 else 'ies'} queued for a re-race")
        self.stdout.write(self.style.SUCCESS(f"{total} re-race(s) queued on simulator {SIMULATOR_VERSION}; run a db_worker to race them"))
