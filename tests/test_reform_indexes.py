"""The reforms table's plain indexes (reforms/0031): one index a column, which the filters of
every reform, drafts included, read; no second copy of it for prefix matching, which no query
asks and every write of a reform would keep."""

import re

import pytest
from django.db import connection

from reforms.models import PLAIN_INDEXES, Reform
from tests.factories import ReformFactory
from tests.plans import plan_of, postgresql_only

pytestmark = postgresql_only

# Django's own, kept: the review state's (shared by every entry, institute.editorial) and the
# slug's (its unique constraint's).
PATTERN_INDEXES_KEPT = {"review_state", "slug"}


def test_no_plain_column_of_a_reform_has_a_second_index_for_prefixes(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'reforms_reform' "
            "AND indexdef LIKE '%%varchar_pattern_ops%%'"
        )
        columns = {
            re.search(r"\((\w+) varchar_pattern_ops\)", indexdef).group(1)
            for (indexdef,) in cursor.fetchall()
        }
    assert columns == PATTERN_INDEXES_KEPT


@pytest.mark.parametrize("column", PLAIN_INDEXES)
def test_a_filter_of_every_reform_reads_its_columns_index(db, column):
    """Drafts too (the admin's filters), which the public listing's partial indexes leave out.
    Asked with the scan of the whole table turned off, as a few rows make it cheapest."""
    reform = ReformFactory()
    plan = plan_of(
        Reform.objects.filter(**{column: getattr(reform, column)}).values("id"), off=("seqscan",)
    )
    assert re.search(rf"(using|Index Scan on) reform_{column}\b", plan), plan
