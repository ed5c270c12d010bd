"""Race formats (object avoidance, head-to-bot) and their settings on every race.

Every existing race keeps its row and becomes what it was: a time trial, with the
formats' defaults for settings it ignores. Their seeds are 0 (a time trial draws
nothing from it); races created from now on draw theirs (`league.models.new_seed`).
"""

from django.db import migrations, models

import league.models


class Migration(migrations.Migration):
    dependencies = [
        ("league", "0005_alias_keys_and_deleted_racers"),
    ]

    operations = [
        migrations.AddField(
            model_name="race",
            name="format",
            field=models.CharField(
                choices=[("time_trial", "Time trial"), ("object_avoidance", "Object avoidance"), ("head_to_bot", "Head-to-bot")],
                default="time_trial", max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="race",
            name="object_count",
            field=models.PositiveSmallIntegerField(default=6, help_text="Object avoidance: boxes on the track."),
        ),
        migrations.AddField(
            model_name="race",
            name="placement",
            field=models.CharField(
                choices=[("random", "Random"), ("fixed", "Fixed")], default="random", max_length=10,
                help_text="Object avoidance: boxes placed from the seed, or at the fixed positions.",
            ),
        ),
        migrations.AddField(
            model_name="race",
            name="fixed_positions",
            field=models.JSONField(
                blank=True, default=list,
                help_text='Fixed placement: one {"lane": "inside"|"outside", "progress_pct": 0-100} per box.',
            ),
        ),
        migrations.AddField(
            model_name="race",
            name="bots",
            field=models.PositiveSmallIntegerField(default=3, help_text="Head-to-bot: bot cars."),
        ),
        migrations.AddField(
            model_name="race",
            name="bot_speed_m_s",
            field=models.FloatField(default=0.75, help_text="Head-to-bot: m/s."),
        ),
        migrations.AddField(
            model_name="race",
            name="bot_lane_change",
            field=models.BooleanField(default=False, help_text="Head-to-bot: bots change lanes at seeded times."),
        ),
        migrations.AddField(
            model_name="race",
            name="collision_penalty_s",
            field=models.FloatField(default=5.0),
        ),
        # Existing rows get 0 in one step; new rows draw their own from the next.
        migrations.AddField(
            model_name="race",
            name="seed",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="race",
            name="seed",
            field=models.PositiveIntegerField(
                default=league.models.new_seed,
                help_text="Where boxes stand and when bots change lanes; drawn at creation.",
            ),
        ),
    ]
