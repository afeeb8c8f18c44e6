from institute.datasets.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import sources, citations or responses from CSV (the table is told by the header or "
        "--table): upsert by key, all or nothing."
    )
    tables = ("sources", "citations", "responses")
