"""CSV imports through the management commands: round trips, upserts, and every bad file
refused with its reason and nothing written."""

import hashlib

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from institute.datasets.importer import run_import
from institute.datasets.tables import TABLES
from institute.editorial import workflow
from institute.editorial.models import EntryVersion, PendingRevision
from institute.sources.models import Citation, Source
from recommendations.models import Recommendation
from reforms.models import Reform, Response
from tests.factories import ReformFactory, SourceFactory, TopicFactory, UserFactory

COMMANDS = {
    "reforms": ["import_reforms"],
    "recommendations": ["import_recommendations"],
    "sources": ["import_sources", "--table", "sources"],
    "citations": ["import_sources", "--table", "citations"],
    "responses": ["import_sources", "--table", "responses"],
}


def export(table: str) -> bytes:
    response = Client().get(f"/data/{table}.csv")
    return b"".join(response.streaming_content)


def import_file(tmp_path, table: str, data: bytes, *args, name="file.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    from io import StringIO

    out = StringIO()
    call_command(*COMMANDS[table], str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def fingerprint() -> str:
    """Everything an import could touch, as exported to editors: unchanged means untouched."""
    digest = hashlib.sha256()
    for model in (Reform, Recommendation, Source, Citation, Response):
        digest.update(repr(list(model.objects.order_by("pk").values())).encode())
    digest.update(repr(PendingRevision.objects.count()).encode())
    return digest.hexdigest()


@pytest.mark.parametrize("table", list(TABLES))
def test_export_import_export_gives_the_same_bytes(demo_content, tmp_path, table):
    before = export(table)
    state = fingerprint()
    out = import_file(tmp_path, table, before)
    assert " 0 new, 0 updated" in out
    assert export(table) == before
    assert fingerprint() == state


def test_the_whole_dataset_round_trips_through_an_empty_database(demo_content, tmp_path):
    files = {table: export(table) for table in TABLES}
    for model in (Citation, Response, Recommendation, Reform, Source):
        model.objects.all().delete()
    admin = UserFactory(username="chief", is_staff=True, is_superuser=True)
    # Links go in last: responses.csv holds them, so the two entry files leave them out;
    # citations of responses need their responses first.
    import_file(tmp_path, "sources", files["sources"])
    reforms = drop_column(files["reforms"], "responds_to")
    import_file(tmp_path, "reforms", reforms)
    import_file(
        tmp_path, "recommendations", drop_column(files["recommendations"], "related_reforms")
    )
    import_file(tmp_path, "responses", files["responses"])
    import_file(tmp_path, "citations", files["citations"])
    assert not Reform.objects.published().exists()  # imports land as drafts
    checker = UserFactory(username="checker", is_staff=True, is_superuser=True)
    for model in (Source, Reform, Recommendation):
        for entry in model.objects.all():
            workflow.submit_for_review(entry, by=admin)
            workflow.approve(entry, by=checker)
            workflow.publish(entry, by=admin)
    for table, data in files.items():
        assert export(table) == data, table


def drop_column(data: bytes, name: str) -> bytes:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(data.decode(), newline="")))
    index = rows[0].index(name)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow(row[:index] + row[index + 1 :])
    return out.getvalue().encode()


HEADER = "slug,title,summary,area,topics,status,announced_on\r\n"


@pytest.mark.django_db
def test_upsert_reports_new_updated_and_unchanged(tmp_path):
    TopicFactory(slug="farming")
    ReformFactory(
        slug="kept",
        title="Kept",
        summary="Same.",
        area="economy",
        status="adopted",
        adopted_on="",
        announced_on="2019",
        draft=True,
    ).topics.set([])
    ReformFactory(
        slug="edited",
        title="Old title",
        summary="Same.",
        area="economy",
        status="adopted",
        adopted_on="",
        announced_on="2019",
        draft=True,
    )
    data = (
        HEADER
        + "kept,Kept,Same.,economy,,adopted,2019\r\n"
        + "edited,New title,Same.,economy,farming,adopted,2019\r\n"
        + "fresh,Fresh,A new one.,human-rights,farming,announced,2021-03\r\n"
    ).encode()
    out = import_file(tmp_path, "reforms", data)
    assert "1 new, 1 updated, 1 unchanged" in out
    edited = Reform.objects.get(slug="edited")
    assert edited.title == "New title" and [t.slug for t in edited.topics.all()] == ["farming"]
    fresh = Reform.objects.get(slug="fresh")
    assert fresh.review_state == "draft"
    assert fresh.announced_on.label == "March 2021"
    assert EntryVersion.objects.for_entry(fresh).count() == 1


@pytest.mark.django_db
def test_a_published_entry_gets_a_working_copy_not_a_live_change(tmp_path):
    ReformFactory(
        slug="live",
        title="Public title",
        summary="Same.",
        area="economy",
        status="adopted",
        adopted_on="",
        announced_on="2019",
        published=True,
    )
    import_file(
        tmp_path, "reforms", (HEADER + "live,Edited title,Same.,economy,,adopted,2019\r\n").encode()
    )
    live = Reform.objects.get(slug="live")
    assert live.title == "Public title"
    assert b"Public title" in export("reforms") and b"Edited title" not in export("reforms")
    revision = PendingRevision.objects.get(object_id=live.pk)
    assert revision.data["title"] == "Edited title"


@pytest.mark.django_db
def test_dry_run_reports_and_writes_nothing(tmp_path):
    state = fingerprint()
    out = import_file(
        tmp_path, "sources", b"slug,title,kind\nnew-source,A source,report\n", "--dry-run"
    )
    assert "1 new" in out and "dry run" in out
    assert fingerprint() == state


@pytest.mark.django_db
def test_files_as_people_make_them_are_accepted(tmp_path):
    # BOM, CRLF, columns in another order, an extra column, a formula escape to remove.
    data = "\ufeffkind,title,slug,notes\r\nreport,'=Odd title,odd-one,ignored\r\n".encode()
    out = import_file(tmp_path, "sources", data)
    assert "Ignored column(s) not in the sources table: “notes”" in out
    assert Source.objects.get(slug="odd-one").title == "=Odd title"


BAD_FILES = [
    (b"", "The file is empty"),
    (b"slug,title,kind\n", "no data rows"),
    (b"title,kind\nA,report\n", "Required column(s) missing: slug"),
    ("slug,title,kind\ncaf\u00e9,Caf\u00e9,report\n".encode("latin-1"), "not UTF-8"),
    (b"PK\x03\x04\x14\x00\x00\x00binary", "not a CSV file"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "not a CSV file"),
    (
        b"slug,title,kind\na,A,report\na,A again,report\n",
        "Line 3, column “slug”: duplicates line 2",
    ),
    (
        b"slug,title,kind\nok-one,Fine,report\nbad one,Bad,blog\n",
        "Line 3, column “slug”: must be lowercase",
    ),
    (b"slug,title,kind\nok-one,Fine,report\ngood,Bad,blog\n", "must be one of report"),
    (b"slug,title,kind,published_on\na,A,report,2019-02-30\n", "has no day 30"),
    (b"slug,title,kind\na,A,report,extra\n", "has 4 cells but the header has 3"),
    (b'slug,title,kind\na,"unclosed,report\n', "not valid CSV"),
    (b"slug,title,slug,kind\na,A,a,report\n", "appears more than once"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "message"), BAD_FILES)
def test_a_bad_file_is_refused_with_its_reason_and_nothing_is_written(tmp_path, data, message):
    SourceFactory(slug="existing")
    state = fingerprint()
    with pytest.raises(CommandError) as excinfo:
        import_file(tmp_path, "sources", data)
    assert "Nothing was imported" in str(excinfo.value)
    assert message in str(excinfo.value)
    assert fingerprint() == state


@pytest.mark.django_db
def test_every_bad_row_is_listed_and_the_good_ones_are_not_written(tmp_path):
    data = (
        HEADER
        + "good,Good,Fine.,economy,,adopted,2019\r\n"
        + "bad-area,Bad,Fine.,culture,,adopted,2019\r\n"
        + "bad-topic,Bad,Fine.,economy,no-such-topic,adopted,2019\r\n"
        + "bad-date,Bad,Fine.,economy,,adopted,19\r\n"
    ).encode()
    with pytest.raises(CommandError) as excinfo:
        import_file(tmp_path, "reforms", data)
    text = str(excinfo.value)
    assert "3 problem(s)" in text
    assert "Line 3, column “area”: must be one of economy" in text
    assert "Line 4, column “topics”: unknown topic(s): no-such-topic" in text
    assert "Line 5, column “announced_on”" in text
    assert not Reform.objects.exists()


@pytest.mark.django_db
def test_import_as_a_user_without_the_right_is_refused(tmp_path):
    UserFactory(username="visitor", is_staff=True)
    with pytest.raises(CommandError, match="may not import"):
        import_file(tmp_path, "sources", b"slug,title,kind\na,A,report\n", "--as", "visitor")
    assert not Source.objects.filter(slug="a").exists()


def test_a_citation_of_a_response_that_does_not_exist_is_refused_by_line(demo_content, tmp_path):
    data = (
        b"entry_type,entry,source,locator\r\n"
        b"reform,business-roadmap-2025,cornell-starr-barro-2021,p. 1\r\n"
        b"response,west-prioritise-engagement-with-kazakhstan/business-roadmap-2025,"
        b"cornell-starr-barro-2021,p. 2\r\n"
    )
    state = fingerprint()
    with pytest.raises(CommandError) as excinfo:
        import_file(tmp_path, "citations", data)
    assert "Line 3, column “entry”: must be 'recommendation-slug/reform-slug'" in str(excinfo.value)
    assert fingerprint() == state


def reform_rows(count: int) -> bytes:
    lines = ["slug,title,summary,area,status"]
    lines += [f"limit-{n},Reform {n},One sentence. Two.,economy,adopted" for n in range(count)]
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.mark.django_db
def test_the_command_line_has_limits_of_its_own_and_names_them(tmp_path, settings):
    data = reform_rows(30)  # about 1.4 KB
    settings.IMPORT_UPLOAD_MAX_BYTES, settings.IMPORT_UPLOAD_MAX_ROWS = 500, 5
    out = import_file(tmp_path, "reforms", data)  # past an upload's limits, within the command's
    assert "30 new" in out
    assert Reform.objects.filter(slug__startswith="limit-").count() == 30

    settings.IMPORT_COMMAND_MAX_BYTES = 1_000
    with pytest.raises(CommandError, match="IMPORT_COMMAND_MAX_BYTES"):
        import_file(tmp_path, "reforms", reform_rows(40))
    settings.IMPORT_COMMAND_MAX_BYTES, settings.IMPORT_COMMAND_MAX_ROWS = 10**6, 35
    with pytest.raises(CommandError, match="more than 35 rows"):
        import_file(tmp_path, "reforms", reform_rows(40))
    assert Reform.objects.filter(slug__startswith="limit-").count() == 30


@pytest.mark.django_db
def test_each_entry_an_import_changes_costs_a_fixed_number_of_statements():
    """An updated entry goes through the write path under its lock, planned against a
    snapshot the import read with the others of its part: that snapshot is not read again."""
    topic = TopicFactory(slug="land")
    for n in range(6):
        ReformFactory(slug=f"d-{n}", title=f"Draft {n}", draft=True, topics=[topic])
    header = "slug,title,summary,area,status\r\n"

    def file(changed: int, round_: int) -> bytes:
        rows = [
            f"d-{n},Draft {n} ({round_}),A draft. Two sentences.,economy,adopted\r\n"
            for n in range(changed)
        ]
        return (header + "".join(rows)).encode()

    ContentType.objects.get_for_model(Reform)  # cached for the process, as in a worker
    counts = {}
    for round_, changed in enumerate((2, 4), start=1):
        with CaptureQueriesContext(connection) as queries:
            report = run_import(table="reforms", data=file(changed, round_), detail=False)
        assert report.counts["updated"] == changed
        counts[changed] = len(queries)
    # Each: its row locked, its working copy looked for (none), its baseline version found,
    # its uniqueness and check constraints asked, the row written, the new version's snapshot
    # read and stored: 15 on both databases. Its topics and children, which the file leaves as
    # they were, are neither read nor written again. Reading the planned snapshot again made
    # it 24; writing the links it left as they were, 19.
    assert (counts[4] - counts[2]) / 2 == 15
