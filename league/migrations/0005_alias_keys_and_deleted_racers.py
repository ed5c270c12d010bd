"""Aliases unique as they read (league/aliases.py), and racers that outlive a deleted
account (user empty, deleted_at set).

Every existing racer keeps its row. Two aliases that read the same ("Max Q" and "max-q")
were allowed before; the one created first keeps its alias, each later one gets a number
("max-q 2"), and the migration prints who was renamed so that an organiser can tell them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from league.aliases import MAX_LENGTH, alias_key


def fill_alias_keys(apps, schema_editor):
    Racer = apps.get_model("league", "Racer")
    taken: set[str] = set()
    renamed = []
    for racer in Racer.objects.order_by("created_at", "id").iterator():
        key, alias = alias_key(racer.alias), racer.alias
        number = 1
        while key in taken:
            number += 1
            suffix = f" {number}"
            alias = racer.alias[: MAX_LENGTH - len(suffix)] + suffix
            key = alias_key(alias)
        taken.add(key)
        if alias != racer.alias:
            renamed.append((racer.alias, alias))
        Racer.objects.filter(pk=racer.pk).update(alias=alias, alias_key=key)
    for old, new in renamed:
        print(f"\n  league: the alias {old!r} reads like an older racer's; renamed {new!r}.", end="")


class Migration(migrations.Migration):

    dependencies = [
        ("league", "0004_community_races"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="racer",
            name="alias_key",
            field=models.CharField(blank=True, editable=False, max_length=200, null=True),
        ),
        migrations.AddField(
            model_name="racer",
            name="deleted_at",
            field=models.DateTimeField(blank=True, help_text="When the account was deleted.", null=True),
        ),
        migrations.AlterField(
            model_name="racer",
            name="user",
            field=models.OneToOneField(
                blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                related_name="racer", to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(fill_alias_keys, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="racer",
            constraint=models.UniqueConstraint(fields=("alias_key",), name="racer_alias_key_unique"),
        ),
    ]
