"""Public datasets: exports honour the listing's filters, stay published-only, escape formulas,
and the data package validates against the Frictionless standard."""

import csv
import io
import json
import zipfile

import pytest
from django.urls import reverse
from django.utils import timezone

from institute.datasets.tables import TABLES
from reforms.models import Reform
from tests.factories import ReformFactory

REFORM_HEADER = (
    "slug,title,summary,area,topics,status,announced_on,adopted_on,effective_on,initiated_by,"
    "sources,responds_to,url"
)
RECOMMENDATION_HEADER = (
    "slug,title,text,audience,themes,report,position,implementation,implementation_note,"
    "assessed_on,related_reforms,url"
)


def read_csv(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body)))


def test_the_csv_contract_columns_come_first_in_order():
    assert ",".join(TABLES["reforms"].header).startswith(REFORM_HEADER)
    assert ",".join(TABLES["recommendations"].header).startswith(RECOMMENDATION_HEADER)
    assert TABLES["sources"].header == [
        "slug",
        "title",
        "authors",
        "publisher",
        "published_on",
        "kind",
        "url",
        "title_ru",
        "title_kk",
    ]
    assert TABLES["citations"].header[:5] == ["entry_type", "entry", "source", "locator", "quote"]
    assert TABLES["citations"].header[-2:] == ["supports_ru", "supports_kk"]
    assert TABLES["responses"].header == [
        "recommendation",
        "reform",
        "note",
        "relation",
        "note_ru",
        "note_kk",
    ]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"area": "economy"},
        {"area": "human-rights", "status": "adopted"},
        {"q": "police", "sort": "title"},
        {"year_from": "2019", "year_to": "2020", "sort": "oldest"},
        {"topic": "agriculture", "has_response": "false"},
        {"area": "astrology"},  # invalid: ignored by both alike
    ],
)
def test_a_filtered_export_equals_the_filtered_listing_row_for_row(client, demo_module, db, params):
    listing = client.get(reverse("reforms:list"), params)
    on_screen = [r.slug for r in listing.context["page"].paginator.object_list]
    export = client.get(reverse("reforms:export", kwargs={"fmt": "csv"}), params)
    assert export.streaming
    assert [row["slug"] for row in read_csv(export)] == on_screen


@pytest.mark.parametrize(
    "params", [{}, {"audience": "government"}, {"sort": "implementation"}, {"q": "judicial"}]
)
def test_recommendation_export_follows_its_listing(client, demo_module, db, params):
    listing = client.get(reverse("recommendations:list"), params)
    on_screen = [r.slug for r in listing.context["page"].paginator.object_list]
    export = client.get(reverse("recommendations:export", kwargs={"fmt": "csv"}), params)
    assert [row["slug"] for row in read_csv(export)] == on_screen


def test_listing_links_to_the_export_of_the_same_view(client, demo_module, db):
    html = client.get(reverse("reforms:list"), {"area": "economy", "page": "2"}).content.decode()
    assert 'href="/reforms/export.csv?area=economy"' in html
    assert "Download these" in html


def test_export_carries_relations_and_a_dated_file_name(client, demo_module, db):
    response = client.get(
        reverse("reforms:export", kwargs={"fmt": "csv"}), {"has_response": "true"}
    )
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="reforms-has-response-true-{today}.csv"'
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = read_csv(response)
    assert rows and all(row["responds_to"] for row in rows)
    assert all("cornell-starr-barro-2021" in row["sources"].split(";") for row in rows)
    assert all(row["url"].startswith("http://testserver/reforms/") for row in rows)


def test_json_and_xlsx_hold_the_same_rows_as_csv(client, demo_module, db):
    from openpyxl import load_workbook

    params = {"area": "political-participation"}
    rows = read_csv(client.get(reverse("reforms:export", kwargs={"fmt": "csv"}), params))
    data = json.loads(
        b"".join(
            client.get(reverse("reforms:export", kwargs={"fmt": "json"}), params).streaming_content
        )
    )
    assert [d["slug"] for d in data] == [r["slug"] for r in rows]
    assert data[0]["topics"] == rows[0]["topics"].split(";")
    xlsx = client.get(reverse("reforms:export", kwargs={"fmt": "xlsx"}), params)
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))["data (slugs)"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == TABLES["reforms"].header
    assert [v[0] for v in values[1:]] == [r["slug"] for r in rows]
    assert [v or "" for v in values[1]] == list(rows[0].values())


def test_unknown_format_is_404(client, demo_module, db):
    assert client.get("/reforms/export.pdf").status_code == 404
    assert client.get("/data/nothing.csv").status_code == 404


def test_data_package_is_valid_frictionless(client, demo_module, db, tmp_path):
    from frictionless import Package, validate

    response = client.get(reverse("data-package"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert set(archive.namelist()) == {
        "datapackage.json",
        "codebook.md",
        *(f"{name}.csv" for name in TABLES),
    }
    archive.extractall(tmp_path)
    report = validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]
    package = Package(str(tmp_path / "datapackage.json"))
    reforms = package.get_resource("reforms").read_rows()
    assert len(reforms) == Reform.objects.published().count() > 80
    descriptor = json.loads((tmp_path / "datapackage.json").read_text())
    assert descriptor["version"] in response["Content-Disposition"]


def test_data_package_version_follows_the_content(client, demo_module, db):
    first = client.get(reverse("data")).context["version"]
    assert client.get(reverse("data")).context["version"] == first
    ReformFactory(slug="brand-new", published=True)
    assert client.get(reverse("data")).context["version"] != first


def test_data_page_documents_every_column_and_vocabulary(client, demo_module, db):
    html = client.get(reverse("data")).content.decode()
    for table in TABLES.values():
        for column in table.columns:
            assert f"<code>{column.name}</code>" in html
            for value, _label in column.vocabulary or []:
                assert f"<code>{value}</code>" in html
    assert "How to cite" in html
