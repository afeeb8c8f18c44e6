"""The database cache's table (settings.CACHES, when CACHE_URL is not Redis), made by `migrate`
so that a plain `migrate` + `runserver` needs no `createcachetable` step. Idempotent."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("institute", "0009_importjob_heartbeat")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
