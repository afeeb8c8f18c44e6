"""Control characters (issue 23, items 2 and 7): refused at every input with the field, line
and column named; what was stored before the rule never takes down the feed or a spreadsheet."""

import io
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from institute.editorial.models import ReviewEvent
from institute.editorial.states import ReviewState
from institute.sources.models import Citation
from recommendations.models import Theme
from reforms.models import Reform, Topic
from tests.factories import CitationFactory, ReformFactory, SourceFactory
from tests.support import admin_url, entry_form_data

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HOSTILE = "Land\x0b\x1b\x07 reform"  # as reported: accepted by the admin and the CSV import
HEADER = "slug,title,summary,area,topics,status,announced_on\r\n"


def _draft(**fields):
    return ReformFactory(review_state=ReviewState.DRAFT, **fields)


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_refuses_a_control_character_in_a_title_naming_the_field(admin_client):
    reform = _draft(title="Land reform")
    data = entry_form_data(admin_client, reform)
    data["title"] = HOSTILE
    response = admin_client.post(admin_url(reform, "change"), data)
    assert response.status_code == 200  # the form again, not a save
    page = response.content.decode()
    assert "Title: contains a control character (U+000B) at character 5" in page
    reform.refresh_from_db()
    assert reform.title == "Land reform"


def test_the_admin_keeps_line_breaks_in_a_summary_and_refuses_other_controls(admin_client):
    reform = _draft(summary="One.")
    data = entry_form_data(admin_client, reform)
    data["summary"] = "One.\x0cTwo."
    response = admin_client.post(admin_url(reform, "change"), data)
    assert response.status_code == 200
    assert "Summary: contains a control character (U+000C)" in response.content.decode()

    data["summary"] = "One.\r\n\tTwo."
    assert admin_client.post(admin_url(reform, "change"), data).status_code == 302
    reform.refresh_from_db()
    assert reform.summary == "One.\r\n\tTwo."


def test_a_child_rows_control_character_is_refused_with_its_row_and_field(admin_client):
    reform = _draft()
    CitationFactory(reform=reform, source=SourceFactory(), locator="p. 1")
    data = entry_form_data(admin_client, reform)
    [prefix] = {k.split("-")[0] for k in data if k.endswith("-TOTAL_FORMS") and "citation" in k}
    data[f"{prefix}-0-locator"] = "p.\x1b 2"
    response = admin_client.post(admin_url(reform, "change"), data)
    assert response.status_code == 200
    assert "row 1, locator: contains an escape character (U+001B)" in response.content.decode()
    assert Citation.objects.get(reform=reform).locator == "p. 1"


# --- the CSV import ------------------------------------------------------------------------------


def _import(tmp_path, data: bytes) -> str:
    path = tmp_path / "reforms.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError) as refused:
        call_command("import_reforms", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    return str(refused.value)


def test_the_csv_import_names_the_line_column_and_character(tmp_path):
    data = (
        HEADER
        + "fine,Fine,Fine.,economy,,adopted,2019\r\n"
        + f"bad,{HOSTILE},Summary.,economy,,adopted,2019\r\n"
        + 'worse,Worse,"Two\r\nlines,\x0bthen a tab",economy,,adopted,2019\r\n'
    ).encode()
    message = _import(tmp_path, data)
    assert "Nothing was imported" in message
    assert "Line 3, column “title”: contains a control character (U+000B) at character 5" in message
    assert "(value “Land␋␛␇ reform”)" in message
    # A record over several lines is numbered by its last line, as every import problem is.
    assert "Line 5, column “summary”: contains a control character (U+000B) at character 12" in (
        message
    )
    assert not Reform.objects.exists()


def test_a_line_break_in_a_single_line_cell_is_refused(tmp_path):
    data = (HEADER + 'bad,"Two\nlines",Summary.,economy,,adopted,2019\r\n').encode()
    message = _import(tmp_path, data)
    assert "column “title”: contains a line break character (U+000A) at character 4" in message


def test_a_nul_in_a_cell_is_named_by_line_and_character_not_called_binary(tmp_path):
    data = (
        HEADER
        + "fine,Fine,Fine.,economy,,adopted,2019\r\n"
        + "nul,Nul\x00here,Summary.,economy,,adopted,2019\r\n"
    ).encode()
    message = _import(tmp_path, data)
    assert "binary" not in message
    assert "Line 3, column “title”: contains a NUL character (U+0000) at character 4" in message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_a_file_saved_as_utf16_is_named_so(tmp_path, encoding):
    """With a byte order mark (Python's "utf-16", a spreadsheet's “Unicode Text”) or without."""
    data = (HEADER + "a,A,A.,economy,,adopted,2019\r\n").encode(encoding)
    message = _import(tmp_path, data)
    assert "not a CSV file in UTF-8: it is text saved as UTF-16" in message
    assert "Save it as “CSV UTF-8 (comma-delimited)”" in message


# --- what was stored before the rule -------------------------------------------------------------


@pytest.fixture
def stored_before_the_rule():
    """A published reform whose title and summary hold control characters, planted as data
    written before input refused them was."""
    reform = ReformFactory(published=True, title="Land reform", summary="Plain.")
    Reform.objects.filter(pk=reform.pk).update(title=HOSTILE, summary="Two\x0b parts.\nDone.")
    return reform


def test_the_feed_leaves_control_characters_out(client, stored_before_the_rule):
    response = client.get(reverse("reforms:feed"))
    assert response.status_code == 200
    [entry] = ET.fromstring(response.content).findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Land reform"
    assert "Two parts.\nDone." in entry.find(f"{ATOM}summary").text


@pytest.mark.parametrize(
    "url",
    [
        reverse("reforms:export", kwargs={"fmt": "xlsx"}),
        reverse("data-table", kwargs={"table": "reforms", "fmt": "xlsx"}),
    ],
)
def test_the_spreadsheets_leave_control_characters_out(client, stored_before_the_rule, url):
    from openpyxl import load_workbook  # a tenth of a second to import: only these tests

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    content = b"".join(response.streaming_content)
    book = load_workbook(io.BytesIO(content))
    for sheet in ("Reforms", "data (slugs)"):
        rows = list(book[sheet].iter_rows(values_only=True))
        title = rows[0].index("title" if sheet == "data (slugs)" else "Title")
        summary = title + 1
        assert [r[title] for r in rows[1:]] == ["Land reform"]
        assert [r[summary] for r in rows[1:]] == ["Two parts.\nDone."]


# --- the other inputs: vocabularies, review comments, the curated content --------------------


def test_the_vocabulary_forms_refuse_control_characters(admin_client):
    response = admin_client.post(
        "/admin/reforms/topic/add/", {"name": HOSTILE, "slug": "land", "area": "economy"}
    )
    assert response.status_code == 200
    assert "contains a control character (U+000B) at character 5" in response.content.decode()
    response = admin_client.post(
        "/admin/recommendations/theme/add/", {"name": HOSTILE, "slug": "x"}
    )
    assert response.status_code == 200
    assert not Topic.objects.exists() and not Theme.objects.exists()


def test_a_review_comment_with_a_control_character_is_refused(admin_client):
    reform = _draft(title="Land reform")
    admin_client.post(admin_url(reform, "review", "comment"), {"comment": HOSTILE})
    assert not ReviewEvent.objects.for_entry(reform).exists()


def test_the_content_loader_refuses_a_control_character_in_a_vocabulary(tmp_path):
    (tmp_path / "a.yaml").write_text(
        'topics:\n  - {slug: land, name: "Land\\x0b reform", area: economy}\n', encoding="utf-8"
    )
    with pytest.raises(CommandError, match="U\\+000B"):
        call_command("load_content", str(tmp_path), stdout=io.StringIO())
    assert not Topic.objects.exists()
