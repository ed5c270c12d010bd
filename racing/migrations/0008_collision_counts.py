"""Collisions with boxes and bots (object avoidance, head-to-bot) on results and board
rows. Every existing row is a time trial's and keeps its figures, with no collisions."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("racing", "0007_failures_archive_and_worker_beats"),
    ]

    operations = [
        migrations.AddField(
            model_name="result",
            name="collision_count",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="racestanding",
            name="collision_count",
            field=models.PositiveIntegerField(default=0),
        ),
    ]
