"""The published datasets: the tables and their columns (the CSV contract), CSV import as
parse → clean → plan → apply, exports and the data package, background import jobs, and the
admin's import screens. See docs/architecture.md."""
