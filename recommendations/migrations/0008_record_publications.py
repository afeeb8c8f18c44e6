from django.db import migrations

from institute.editorial.publication_backfill import record_publications


def record_recommendation_publications(apps, schema_editor):
    record_publications(apps, "recommendations", "recommendation")


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0007_response_moved_to_reforms"),
        ("institute", "0014_publication_append_only_history"),
    ]

    operations = [
        migrations.RunPython(record_recommendation_publications, migrations.RunPython.noop),
    ]
