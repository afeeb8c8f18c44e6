from institute.datasets.command import ImportCommand


class Command(ImportCommand):
    help = "Import reforms from CSV: upsert by slug, all or nothing. See /data/ for the columns."
    table = "reforms"
