"""A response's evidence points at the response in its new app (reforms): state only, the
foreign key's column and constraint are unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("institute", "0012_import_job_previewed"),
        ("reforms", "0012_response_moved_from_recommendations"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="citation",
                    name="response",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="citations",
                        to="reforms.response",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
