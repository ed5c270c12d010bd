"""The database cache's table (settings.CACHES without Redis): the rate-limit counters and
upload-check locks that every web process shares. `manage.py createcachetable` does the same
and is idempotent; as a migration, every database the league migrates (the tests' too) has
it."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies: list = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
