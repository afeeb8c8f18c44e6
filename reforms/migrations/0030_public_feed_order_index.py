"""The reforms' feed (`/reforms/feed/`, any listing's filters) read in its order from an index.

A feed is its 50 newest changes (`ORDER BY published_at DESC, id`), which no index held: every
request sorted all the published reforms it kept, and computed each one's first publication on
the way (at 1M, 2.5-3.8 s cold). A feed reader asks again every few minutes, and every publish
makes the next answer cold. The index is of published rows only, as the feed lists no other.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reforms', '0029_public_status_order_index'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='reform',
            index=models.Index(models.OrderBy(models.F('published_at'), descending=True), models.F('id'), condition=models.Q(('review_state', 'published')), name='reform_public_changed'),
        ),
    ]
