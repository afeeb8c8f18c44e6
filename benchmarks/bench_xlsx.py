"""XLSX writer benchmark: the same rows written by institute.datasets.xlsx and, as the same-run
baseline, by openpyxl's write-only mode (what the exports used before). No database.

Rows are made up like a reform's (26 columns: slugs, titles, a paragraph, dates, codes and a
number), from a fixed seed. Prints seconds, rows per second and the file's size of each, and
checks that openpyxl reads back the cells this writer wrote. Asserts nothing on time.

    python benchmarks/bench_xlsx.py [ROWS]   # default 20000
"""

from __future__ import annotations

import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from institute.datasets.xlsx import BOLD, Workbook  # noqa: E402

COLUMNS = 26
WORDS = [
    "reform",
    "law",
    "code",
    "court",
    "tenge",
    "budget",
    "parliament",
    "election",
    "council",
    "ministry",
    "agency",
    "oblast",
    "akimat",
    "assembly",
    "rights",
    "media",
    "public",
    "procurement",
    "tax",
    "customs",
    "land",
    "police",
    "prosecutor",
]


def make_rows(count: int) -> list[list]:
    rng = random.Random(2026)

    def words(n: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(n))

    rows = []
    for n in range(count):
        row = [f"reform-{n}", words(8).capitalize(), words(60).capitalize() + "."]
        row += [rng.choice(["economy", "human-rights", "judicial-reform"]), f"{2015 + n % 10}"]
        row += [words(2).replace(" ", "-") + ";" + words(2).replace(" ", "-") for _ in range(6)]
        row += [f"{2019 + n % 5}-{1 + n % 12:02d}", "", "adopted", n % 7 + 1]
        row += [words(3) for _ in range(COLUMNS - len(row))]
        rows.append(row)
    return rows


def with_this_writer(rows: list[list], handle) -> None:
    workbook = Workbook(title="bench")
    sheet = workbook.sheet("data", widths=[30] * COLUMNS, frozen_header=True)
    sheet.append([f"column_{n}" for n in range(COLUMNS)], style=BOLD)
    for row in rows:
        sheet.append(row)
    sheet.autofilter = True
    workbook.save(handle)


def with_openpyxl(rows: list[list], handle) -> None:
    from openpyxl import Workbook as OpenpyxlWorkbook

    workbook = OpenpyxlWorkbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append([f"column_{n}" for n in range(COLUMNS)])
    for row in rows:
        sheet.append(row)
    workbook.save(handle)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    rows = make_rows(count)
    print(f"{count:,} rows of {COLUMNS} columns, one sheet, {time.strftime('%Y-%m-%d')}")
    print(f"{'writer':<34}{'seconds':>10}{'rows/s':>12}{'size':>12}")
    for label, write in (
        ("baseline: openpyxl write-only", with_openpyxl),
        ("institute.datasets.xlsx", with_this_writer),
    ):
        handle = io.BytesIO()
        start = time.perf_counter()
        write(rows, handle)
        seconds = time.perf_counter() - start
        size = len(handle.getvalue()) / 1e6
        print(f"{label:<34}{seconds:>10.2f}{count / seconds:>12,.0f}{size:>10.1f} MB")
        if write is with_this_writer:
            from openpyxl import load_workbook

            sheet = load_workbook(io.BytesIO(handle.getvalue()), read_only=True)["data"]
            last = list(sheet.iter_rows(min_row=count + 1, max_row=count + 1, values_only=True))
            assert list(last[0]) == [v if v != "" else None for v in rows[-1]], "read back"


if __name__ == "__main__":
    main()
