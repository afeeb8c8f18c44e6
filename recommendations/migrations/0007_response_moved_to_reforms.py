"""The response is the reform's now (reforms 0012): it leaves this app's state, with the
many-to-many `Recommendation.reforms` that went through it. No table changes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0006_response_add_relation"),
        # The evidence's foreign key points at reforms.Response first.
        ("institute", "0013_citation_response_in_reforms"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="recommendation", name="reforms"),
                migrations.DeleteModel(name="Response"),
            ],
            database_operations=[],
        ),
    ]
