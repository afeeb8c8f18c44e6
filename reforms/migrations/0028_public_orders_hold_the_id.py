"""The public listing's three order indexes (newest, oldest, title) hold each row's id too.

A page's ids are read first (`FacetedFilterSet.page_rows`: `SELECT id … ORDER BY … LIMIT 25
OFFSET n`), and the rows before the page are skipped one by one. Without the id in the index,
PostgreSQL read each skipped row from the table to learn it; with it, an index-only scan skips
them in the index (the table's pages all-visible, as vacuum leaves them). At 1M published
reforms, the middle page of the newest-first order (`OFFSET 499975`): benchmarks/README.md,
section 3e. SQLite has no covering indexes; Django leaves `include` out there.

The indexes are dropped and made again under their names, inside the migration's transaction:
the reforms are locked while the three are built (about five seconds each at 1M here).
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reforms', '0027_secondary_areas_index'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='reform',
            name='reform_public_newest',
        ),
        migrations.RemoveIndex(
            model_name='reform',
            name='reform_public_title',
        ),
        migrations.RemoveIndex(
            model_name='reform',
            name='reform_public_oldest',
        ),
        migrations.AddIndex(
            model_name='reform',
            index=models.Index(condition=models.Q(('review_state', 'published')), fields=['-first_date', 'title'], include=('id',), name='reform_public_newest'),
        ),
        migrations.AddIndex(
            model_name='reform',
            index=models.Index(models.ExpressionWrapper(models.Q(('first_date', '')), output_field=models.BooleanField()), models.F('first_date'), models.F('title'), condition=models.Q(('review_state', 'published')), include=('id',), name='reform_public_oldest'),
        ),
        migrations.AddIndex(
            model_name='reform',
            index=models.Index(condition=models.Q(('review_state', 'published')), fields=['title'], include=('id',), name='reform_public_title'),
        ),
    ]
