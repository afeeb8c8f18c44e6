from django.db import migrations

from institute.editorial.publication_backfill import record_publications


def record_reform_publications(apps, schema_editor):
    record_publications(apps, "reforms", "reform")


def prune_own_area(apps, schema_editor):
    # A secondary area is never the reform's own area (Reform.normalized_snapshot, applied by
    # the write path from now on): the rows an edit of `area` left behind, which every page and
    # export skipped already, are dropped.
    secondary_area = apps.get_model("reforms", "SecondaryArea")
    for row in secondary_area.objects.select_related("reform").iterator():
        if row.area == row.reform.area:
            row.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reforms", "0012_response_moved_from_recommendations"),
        ("institute", "0014_publication_append_only_history"),
    ]

    operations = [
        migrations.RunPython(record_reform_publications, migrations.RunPython.noop),
        migrations.RunPython(prune_own_area, migrations.RunPython.noop),
    ]
