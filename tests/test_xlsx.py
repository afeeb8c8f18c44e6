"""The XLSX files (institute.datasets.xlsx): what a spreadsheet reads back from them, the same
bytes for the same rows, and a clear answer where a table is longer than a sheet can be."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from institute.datasets.xlsx import BOLD, TooManyRows, Workbook, column_letter, sheet_name

AWKWARD = [
    "Fish & chips <b>not bold</b>",
    "  spaces kept at both ends  ",
    "line\nbreaks\r\nof both kinds\rand a lone CR",
    "Қазақстан — “quotes” and 'apostrophes'",
    "]]> and &amp; as text",
]


def write(rows, **sheet) -> bytes:
    workbook = Workbook(title="A & B", creator="test")
    data = workbook.sheet("data", widths=[12, 30, 45], frozen_header=True, **sheet)
    data.append(["slug", "text", "number"], style=BOLD)
    for row in rows:
        data.append(row)
    data.autofilter = True
    notes = workbook.sheet("Notes: [draft]?")  # characters a sheet name may not hold
    notes.append(["one line"])
    notes.skip_row()
    notes.append(["after an empty row"])
    handle = io.BytesIO()
    workbook.save(handle)
    return handle.getvalue()


def test_a_spreadsheet_reads_back_every_cell_as_written():
    rows = [[f"row-{n}", text, n] for n, text in enumerate(AWKWARD, 1)]
    rows.append(["empty-cells", "", None])
    book = load_workbook(io.BytesIO(write(rows)))
    assert book.sheetnames == ["data", "Notes   draft"]
    sheet = book["data"]
    read = list(sheet.iter_rows(values_only=True))
    assert read[0] == ("slug", "text", "number")
    for written, back in zip(rows[:-1], read[1:-1], strict=True):
        assert list(back) == written  # text exactly, numbers as numbers
    assert read[-1] == ("empty-cells", None, None)
    assert isinstance(read[1][2], int)
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1]) and not any(cell.font.b for cell in sheet[2])
    assert sheet.auto_filter.ref == f"A1:C{len(rows) + 1}"
    assert [sheet.column_dimensions[c].width for c in "ABC"] == [12, 30, 45]
    notes = list(book.worksheets[1].iter_rows(values_only=True))
    assert notes == [("one line",), (None,), ("after an empty row",)]
    assert book.properties.title == "A & B"


def test_the_same_rows_make_the_same_bytes():
    rows = [[f"row-{n}", text, n] for n, text in enumerate(AWKWARD, 1)]
    assert write(rows) == write(rows)
    assert write(rows) != write(rows[:-1])


def test_column_letters_and_sheet_names():
    assert [column_letter(n) for n in (1, 26, 27, 52, 53, 702, 703)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
    assert sheet_name("A/B: C*D?[E]\\F") == "A B  C D  E  F"
    assert len(sheet_name("x" * 40)) == 31


def test_two_sheets_may_not_share_a_name():
    workbook = Workbook()
    workbook.sheet("Data")
    with pytest.raises(ValueError, match="already"):
        workbook.sheet("data")


def test_a_sheet_refuses_more_rows_than_it_may_hold():
    sheet = Workbook().sheet("data", max_rows=3)
    for _ in range(3):
        sheet.append(["row"])
    with pytest.raises(TooManyRows, match="more than 3 rows"):
        sheet.append(["one too many"])


@pytest.mark.django_db
def test_a_table_longer_than_a_sheet_is_a_clear_answer_not_a_cut_file(
    client, demo_module, settings
):
    settings.XLSX_MAX_ROWS = 20
    for url in (
        reverse("data-table", kwargs={"table": "reforms", "fmt": "xlsx"}),
        reverse("reforms:export", kwargs={"fmt": "xlsx"}),
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        text = response.content.decode()
        assert "more rows than a spreadsheet opens (20," in text and "CSV" in text
    # A table that fits is still a workbook: 18 sources and the header.
    response = client.get(reverse("data-table", kwargs={"table": "sources", "fmt": "xlsx"}))
    assert response.status_code == 200
