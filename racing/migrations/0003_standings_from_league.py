"""RaceStanding and SeasonStanding move from league to racing (they rank racing's results),
so that the apps point one way: league <- racing. The tables stay as they are here
(state only); 0004 renames them once league has let go of the models."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("league", "0002_initial"),
        ("racing", "0002_submission_progress_lap"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RaceStanding",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("rank", models.PositiveIntegerField()),
                        ("finished", models.BooleanField()),
                        ("time_s", models.FloatField(help_text="Official time by the timing method.", null=True)),
                        ("best_lap_s", models.FloatField(null=True)),
                        ("laps", models.PositiveIntegerField()),
                        ("progress", models.FloatField()),
                        ("off_track_count", models.PositiveIntegerField()),
                        ("submissions", models.PositiveIntegerField(help_text="Raced submissions of this racer.")),
                        ("submitted_at", models.DateTimeField()),
                        ("points", models.PositiveIntegerField(default=0)),
                        ("race", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="standings", to="league.race")),
                        ("racer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="race_standings", to="league.racer")),
                        ("result", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="racing.result")),
                    ],
                    options={
                        "db_table": "league_racestanding",
                        "ordering": ["race", "rank"],
                        "indexes": [
                            models.Index(fields=["race", "rank"], name="race_standing_rank"),
                            models.Index(fields=["racer", "race"], name="race_standing_racer"),
                        ],
                        "constraints": [
                            models.UniqueConstraint(fields=("race", "racer"), name="one_standing_per_racer"),
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="SeasonStanding",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("rank", models.PositiveIntegerField()),
                        ("points", models.PositiveIntegerField()),
                        ("races", models.PositiveIntegerField(help_text="Races entered with a result.")),
                        ("wins", models.PositiveIntegerField()),
                        ("best_rank", models.PositiveIntegerField()),
                        ("racer", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="season_standings", to="league.racer")),
                        ("season", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="standings", to="league.season")),
                    ],
                    options={
                        "db_table": "league_seasonstanding",
                        "ordering": ["season", "rank"],
                        "indexes": [models.Index(fields=["season", "rank"], name="season_standing_rank")],
                        "constraints": [
                            models.UniqueConstraint(fields=("season", "racer"), name="one_season_row_per_racer"),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
