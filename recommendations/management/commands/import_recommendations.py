from institute.datasets.command import ImportCommand


class Command(ImportCommand):
    help = "Import recommendations from CSV: upsert by slug, all or nothing."
    table = "recommendations"
