"""Who may import: a permission of its own per table, held by contributors and above."""

IMPORT_PERMISSIONS = {
    "reforms": "reforms.import_reform",
    "recommendations": "recommendations.import_recommendation",
    "sources": "institute.import_source",
    # Citations and responses belong to entries: importing them takes the entries' right.
    "citations": "reforms.import_reform",
    "responses": "reforms.import_reform",
}


def can_import(user, table: str) -> bool:
    return bool(user and user.is_active and user.has_perm(IMPORT_PERMISSIONS[table]))
