"""The listing generation (reforms/0009) starts from the time its database is made, in
milliseconds since 1970, rather than from 0 (institute.listings.generation.move_past).

The content marker is the database's name, the generation, the newest version and review event,
and the data files finished for it and the answers kept for it outside the database are found
by it. A database made afresh under the same name counted from 0 again, and the same writes as
the one before gave the same markers: after different publishes, the files of the old
database's content were the new one's. Moved on in an existing database too, which is then
what a publish is to those caches: its answers are computed once more.
"""

from django.db import migrations


def start_from_now(apps, schema_editor):
    from institute.listings.generation import move_past

    move_past(None, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("reforms", "0025_export_links_by_key")]

    operations = [migrations.RunPython(start_from_now, migrations.RunPython.noop)]
