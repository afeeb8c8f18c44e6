"""A response moves to the app of its owner, the reform: in Django's state only. Its table keeps
its name (recommendations_response, `db_table`), its rows, constraints and indexes; its content
type row is renamed, so the permissions on it, and the roles granted them, follow."""

import django.db.models.deletion
from django.db import migrations, models


def content_type_to(app_label: str, from_label: str):
    def rename(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        # Only when the target is not there yet: a database that created it already (its
        # permissions empty) keeps it, and the old row's permissions stay where they were.
        if not ContentType.objects.filter(app_label=app_label, model="response").exists():
            ContentType.objects.filter(app_label=from_label, model="response").update(
                app_label=app_label
            )

    return rename


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("recommendations", "0006_response_add_relation"),
        ("reforms", "0011_reform_add_secondary_areas"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Response",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "relation",
                            models.CharField(
                                choices=[
                                    ("answers", "Answers it"),
                                    ("anticipates", "Anticipates it"),
                                    ("related", "Related"),
                                ],
                                default="answers",
                                help_text=(
                                    "Answers it: the reform came after the recommendation. "
                                    "Anticipates it: it came before but goes its way. Related: "
                                    "it bears on it without answering it."
                                ),
                                max_length=20,
                            ),
                        ),
                        (
                            "note",
                            models.TextField(
                                blank=True, help_text="How the reform answers the recommendation."
                            ),
                        ),
                        (
                            "recommendation",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="responses",
                                to="recommendations.recommendation",
                            ),
                        ),
                        (
                            "reform",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="responses",
                                to="reforms.reform",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "recommendations_response",
                        "ordering": ["recommendation", "reform"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("recommendation", "reform"), name="response_unique_pair"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("relation__in", ["answers", "anticipates", "related"])
                                ),
                                name="response_relation_known",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            content_type_to("reforms", "recommendations"),
            content_type_to("recommendations", "reforms"),
        ),
    ]
