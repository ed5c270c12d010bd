from django.core.management.base import BaseCommand

from league.models import Race
from racing import signals
from racing.models import RaceStanding
from racing.standings import standings_rebuild


class Command(BaseCommand):
    help = "Rebuild every race board and season standing from the stored results."

    def add_arguments(self, parser):
        parser.add_argument("--season", help="only this season (slug)")

    def handle(self, *args, season=None, **options):
        races = Race.objects.select_related("season")
        if season:
            races = races.filter(season__slug=season)
        for race in races:
            standings_rebuild(race)
            # Open boards and standings pages update live.
            signals.standings_rebuilt.send(sender=RaceStanding, race=race)
            self.stdout.write(f"rebuilt {race}")
