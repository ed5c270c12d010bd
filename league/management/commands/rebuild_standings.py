from django.core.management.base import BaseCommand

from league.models import Race
from league.services import standings_rebuild
from racing import events


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
            events.standings_changed(race)  # open boards and standings pages update live
            self.stdout.write(f"rebuilt {race}")
