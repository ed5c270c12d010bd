from django.core.management.base import BaseCommand, CommandError

from league.models import Race
from web.bench import bench_season, seed_leaderboard


class Command(BaseCommand):
    help = (
        "Seed a race with many racers and results for load tests (default: a race of the "
        "`bench` season, which is opened; never run it on a production league)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--racers", type=int, default=10_000)
        parser.add_argument("--results", type=int, default=100_000)
        parser.add_argument("--race", type=int, help="race id (default: the bench season's last race)")
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, racers, results, race, seed, **options):
        if results < racers:
            raise CommandError("--results must be at least --racers (every racer gets a result)")
        if race:
            target = Race.objects.select_related("season").get(pk=race)
        else:
            target = bench_season().races.order_by("-order").first()
        self.stdout.write(f"seeding race {target.pk} ({target})")
        seed_leaderboard(target, racers=racers, results=results, seed=seed, log=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"race {target.pk}: {racers} racers, {results} results"))
