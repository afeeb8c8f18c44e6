"""Who may import: a permission of its own per table (`Table.import_permission`), held by
contributors and above."""

from institute.datasets.tables import TABLES


def can_import(user, table: str) -> bool:
    return bool(user and user.is_active and user.has_perm(TABLES[table].import_permission))
