"""The listing's status order (`?sort=status`) read from an index, as its other orders are.

The order is the statuses' place in the vocabulary (reforms.models.in_status_order), which no
index held: every request in that order sorted all the published reforms it kept, the first
page too (at 1M, 1.3-1.9 s cold, with an area or without). The index holds the same
expression, the date and title after it, and the id (reforms/0028) and the status (from which
PostgreSQL computes the expression again in an index-only scan), for published rows only.
A status added to the vocabulary changes the expression, and `makemigrations` the index.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reforms', '0028_public_orders_hold_the_id'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='reform',
            index=models.Index(models.Case(models.When(status='announced', then=models.Value(0)), models.When(status='adopted', then=models.Value(1)), models.When(status='in-progress', then=models.Value(2)), models.When(status='implemented', then=models.Value(3)), models.When(status='partially-implemented', then=models.Value(4)), models.When(status='stalled', then=models.Value(5)), models.When(status='reversed', then=models.Value(6)), output_field=models.IntegerField()), models.OrderBy(models.F('first_date'), descending=True), models.F('title'), condition=models.Q(('review_state', 'published')), include=('id', 'status'), name='reform_public_status'),
        ),
    ]
