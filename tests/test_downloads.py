"""Downloads for people: the XLSX says labels, keeps its header, filters and a codebook; file
names say the filter; "CSV for Excel" is the contract CSV after a byte order mark."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone

from institute.datasets.export import BOM
from institute.datasets.tables import TABLES, table_rows
from reforms.models import Area, ReformStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def workbook(response):
    from openpyxl import load_workbook

    assert response["Content-Type"] == XLSX
    return load_workbook(io.BytesIO(body(response)))


def test_xlsx_first_sheet_has_labels_and_the_slugs_sheet_the_contract(client, demo_module, db):
    params = {"area": "human-rights"}
    csv_rows = body(client.get(reverse("reforms:export", kwargs={"fmt": "csv"}), params))
    book = workbook(client.get(reverse("reforms:export", kwargs={"fmt": "xlsx"}), params))
    assert book.sheetnames == ["Reforms", "data (slugs)", "Codebook"]
    people = list(book["Reforms"].iter_rows(values_only=True))
    data = list(book["data (slugs)"].iter_rows(values_only=True))
    header = TABLES["reforms"].header
    assert list(data[0]) == header
    assert len(data) == len(people) == csv_rows.count(b"\r\n") > 1
    assert people[0][:6] == ("Slug", "Title", "Summary", "Area", "Topics", "Status")
    area, status, sources = (header.index(n) for n in ("area", "status", "sources"))
    also = header.index("secondary_areas")
    for person_row, data_row in zip(people[1:], data[1:], strict=True):
        # Found under human rights: its own area, or one it is also filed under.
        assert "human-rights" in [data_row[area], *(data_row[also] or "").split(";")]
        assert person_row[area] == Area(data_row[area]).label
        assert person_row[status] == ReformStatus(data_row[status]).label
        assert person_row[0] == data_row[0]  # the slug stays: it is the row's name
    cited = [r for r in people[1:] if r[sources]]
    assert cited and all(
        "Central Asia" in r[sources] or "Kazakhstan" in r[sources] for r in cited
    ), "sources are named by their titles"
    assert not any(r[sources] and "cornell-starr-barro-2021" in r[sources] for r in people[1:])
    filed_twice = [(p, d) for p, d in zip(people[1:], data[1:], strict=True) if d[also]]
    assert filed_twice, "the demo content files police reforms under two areas"
    for person_row, data_row in filed_twice:
        assert person_row[also] == "; ".join(str(Area(s).label) for s in data_row[also].split(";"))


def test_xlsx_header_is_bold_frozen_filtered_and_columns_have_widths(client, demo_module, db):
    book = workbook(client.get(reverse("reforms:export", kwargs={"fmt": "xlsx"})))
    for name in ("Reforms", "data (slugs)"):
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.b for cell in sheet[1])
        assert not any(cell.font.b for cell in sheet[2])
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}" + str(
            sheet.max_row
        )
        widths = {
            sheet.cell(1, n).value: sheet.column_dimensions[sheet.cell(1, n).column_letter].width
            for n in range(1, sheet.max_column + 1)
        }
        assert all(10 <= w <= 60 for w in widths.values()), widths
    widths = book["Reforms"].column_dimensions
    assert widths["B"].width >= 40  # titles
    assert widths["G"].width < widths["B"].width  # dates


def test_xlsx_codebook_sheet_is_the_codebook_of_its_table(client, demo_module, db):
    book = workbook(client.get(reverse("recommendations:export", kwargs={"fmt": "xlsx"})))
    rows = list(book["Codebook"].iter_rows(values_only=True))
    assert rows[0][:4] == ("Column", "Heading", "Type", "Meaning")
    columns = TABLES["recommendations"].columns
    assert [r[0] for r in rows[1 : len(columns) + 1]] == [c.name for c in columns]
    audience = next(r for r in rows if r[0] == "audience")
    assert audience[3].startswith(str(columns[3].description))
    assert "government: Government of Kazakhstan" in audience[4]
    assert any(r[0] and "byte" not in r[0] and "formula" in r[0] for r in rows)


def test_xlsx_of_every_table_opens(client, demo_module, db):
    for name in TABLES:
        book = workbook(client.get(reverse("data-table", kwargs={"table": name, "fmt": "xlsx"})))
        assert book.sheetnames[1:] == ["data (slugs)", "Codebook"]
        assert book.worksheets[1].max_row == book.worksheets[0].max_row


@pytest.mark.parametrize(
    ("params", "stem"),
    [
        ({}, "reforms"),
        ({"area": "human-rights"}, "reforms-area-human-rights"),
        (
            {"area": ["human-rights", "economy"], "year_from": "2019", "sort": "title"},
            "reforms-area-human-rights-economy-year-from-2019",
        ),
        ({"area": "astrology", "page": "3"}, "reforms"),  # ignored values name nothing
        ({"q": "Nurly Zhol"}, "reforms-q-nurly-zhol"),
        ({"q": "Закон", "status": "adopted"}, "reforms-status-adopted"),
        # The form always sends date_field; alone it narrows nothing, with a year it does.
        ({"date_field": "first", "area": "economy"}, "reforms-area-economy"),
        (
            {"date_field": "adopted", "year_from": "2019"},
            "reforms-date-field-adopted-year-from-2019",
        ),
    ],
)
def test_download_file_names_say_the_filter(client, demo_module, db, params, stem):
    today = timezone.localdate().isoformat()
    for fmt, name in (
        ("xlsx", f"{stem}-{today}.xlsx"),
        ("csv", f"{stem}-{today}.csv"),
        ("json", f"{stem}-{today}.json"),
        ("csv-excel", f"{stem}-{today}-excel.csv"),
    ):
        response = client.get(reverse("reforms:export", kwargs={"fmt": fmt}), params)
        assert response.status_code == 200
        assert f'filename="{name}"' in response["Content-Disposition"]


def test_csv_for_excel_is_the_contract_csv_after_a_bom(client, demo_module, db):
    from django.test import RequestFactory

    params = {"status": "adopted"}
    contract = body(client.get(reverse("reforms:export", kwargs={"fmt": "csv"}), params))
    excel = client.get(reverse("reforms:export", kwargs={"fmt": "csv-excel"}), params)
    assert excel["Content-Type"] == "text/csv; charset=utf-8"
    assert body(excel) == BOM.encode("utf-8") + contract == b"\xef\xbb\xbf" + contract
    # The contract CSV itself is unchanged: no BOM, CRLF lines, the bytes of the CSV writer.
    assert contract.startswith(b"slug,title,summary,area,")
    assert contract.count(b"\r\n") == contract.count(b"\n")
    from institute.datasets.export import csv_lines
    from reforms.selectors import reform_filter_public

    table = TABLES["reforms"]
    rows = table_rows(
        table,
        table.prepare(reform_filter_public(params=RequestFactory().get("/", params).GET).qs),
        base_url="http://testserver/",
    )
    assert "".join(csv_lines(table, rows)).encode("utf-8") == contract
    whole = client.get(reverse("data-table", kwargs={"table": "sources", "fmt": "csv-excel"}))
    assert body(whole).startswith(b"\xef\xbb\xbfslug,title,")


def test_listing_and_data_page_offer_csv_for_excel(client, demo_module, db):
    listing = client.get(reverse("reforms:list"), {"area": "economy"}).content.decode()
    assert 'href="/reforms/export.csv-excel?area=economy">CSV for Excel</a>' in listing
    data = client.get(reverse("data")).content.decode()
    assert 'href="/data/reforms.csv-excel">CSV for Excel</a>' in data
    assert 'href="/data/reforms.xlsx">XLSX</a>' in data


def test_xlsx_labels_name_only_published_entries_batch_after_batch(client, db, monkeypatch):
    from institute.datasets import spreadsheet
    from tests.factories import CitationFactory, ReformFactory, SourceFactory, TopicFactory

    monkeypatch.setattr(spreadsheet, "LABEL_BATCH_ROWS", 2)  # several batches from five rows
    public = SourceFactory(published=True, title="A published report")
    draft = SourceFactory(title="A draft report nobody has reviewed")
    for n in range(5):
        reform = ReformFactory(
            published=True,
            slug=f"labelled-{n}",
            # The listing's order is by date, then title: the factory's "Reform number 9" would
            # follow "Reform number 10" once the sequence crosses a digit.
            title=f"Labelled reform {n}",
            topics=[TopicFactory(slug=f"topic-of-{n}", name=f"Topic of reform {n}")],
        )
        CitationFactory(reform=reform, source=public)
        CitationFactory(reform=reform, source=draft)
    response = client.get(reverse("reforms:export", kwargs={"fmt": "xlsx"}))
    raw = body(response)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(raw))
    header = TABLES["reforms"].header
    people = [
        r for r in book["Reforms"].iter_rows(values_only=True) if r[0].startswith("labelled-")
    ]
    assert [r[0] for r in people] == [f"labelled-{n}" for n in range(5)]
    for n, row in enumerate(people):
        assert row[header.index("topics")] == f"Topic of reform {n}"
        assert row[header.index("sources")] == "A published report"
    cells = [c for sheet in book.worksheets for r in sheet.iter_rows(values_only=True) for c in r]
    assert not any("draft report" in str(c) for c in cells)
    assert draft.slug not in {str(c) for c in cells}
