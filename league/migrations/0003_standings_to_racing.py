"""League lets go of RaceStanding and SeasonStanding (racing/migrations/0003 takes them
over with their tables and rows): state only, nothing in the database changes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("league", "0002_initial"),
        ("racing", "0003_standings_from_league"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="RaceStanding"),
                migrations.DeleteModel(name="SeasonStanding"),
            ],
            database_operations=[],
        ),
    ]
