"""An import asks the database which rows are, cell for cell, what the public file writes for
their entry now (institute.datasets.unchanged): those are reported unchanged without their
entries being read. The report is the row-by-row path's, to the row; the rows it cannot vouch
for (an entry with a working copy, an edited cell, a repeated key) are decided as before, and
a cell that path refuses is refused though the entry holds it too; and a file exported and
imported again changes nothing, citations an editor left at position 0 included."""

import csv
import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from institute.datasets import importer, plan
from institute.datasets.importer import run_import
from institute.datasets.parse import ImportRefused, Limits
from institute.editorial.edits import save_edit
from institute.editorial.models import PendingRevision
from institute.editorial.versions import snapshot
from institute.sources.models import Citation
from reforms.models import Reform
from tests.factories import CitationFactory, ReformFactory, SourceFactory, TopicFactory

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the database vouches for rows on PostgreSQL only"
)


def public_file(table: str = "reforms") -> bytes:
    return b"".join(Client().get(f"/data/{table}.csv").streaming_content)


def edited(data: bytes, slug: str, column: str, value: str) -> bytes:
    """The file with one cell of the row of `slug` changed (cells here hold no commas)."""
    lines = data.decode().split("\r\n")
    header = lines[0].split(",")
    for n, line in enumerate(lines):
        if line.startswith(slug + ","):
            cells = line.split(",")
            cells[header.index(column)] = value
            lines[n] = ",".join(cells)
    return "\r\n".join(lines).encode()


def new_row(data: bytes, **cells: str) -> bytes:
    header = data.decode().split("\r\n", 1)[0].split(",")
    cells = {"area": "economy", "status": "adopted", **cells}
    return (",".join(cells.get(name, "") for name in header) + "\r\n").encode()


def published_reforms(count: int) -> list[Reform]:
    topic = TopicFactory(slug="land")
    return [
        ReformFactory(slug=f"r-{n:02d}", title=f"Reform {n}", published=True, topics=[topic])
        for n in range(count)
    ]


@pytest.fixture
def content():
    reforms = published_reforms(12)
    sources = [SourceFactory(slug=f"src-{n}", published=True) for n in range(3)]
    # Citations as the admin's inline leaves them, every one at position 0, and one of a source
    # the public file does not show.
    for source in [*sources, SourceFactory(slug="src-draft")]:
        CitationFactory(reform=reforms[0], source=source, locator="", position=0)
    ReformFactory(slug="r-formula", title="=1+1, not a formula", published=True)
    ReformFactory(slug="r-lines", body='Line one,\nline "two".', published=True)
    ReformFactory(slug="r-draft")  # not in the public file
    # A published reform with a working copy: editors work on the copy.
    working = reforms[1]
    save_edit(working, {**snapshot(working), "title": "Reform 1, being revised"}, by=None)
    return reforms


def report_of(data: bytes, table: str = "reforms", **options):
    report = run_import(table=table, data=data, detail=True, **options)
    return [(o.line, o.key, o.action, o.changes) for o in report.outcomes], report.basis


def test_the_report_is_the_row_by_row_paths(content, settings, monkeypatch):
    # Changes worked out for the first two rows that change something, wherever they are.
    monkeypatch.setattr(plan, "PREVIEW_LIMIT", 2)
    data = public_file()
    data = edited(data, "r-02", "title", "Reform 2 retitled")
    data += new_row(data, slug="r-new", title="A new one", summary="One sentence.")
    reports = {}
    for by_sql in (True, False):
        settings.IMPORT_UNCHANGED_BY_SQL = by_sql
        reports[by_sql] = report_of(data, dry_run=True, preview=True)
    assert reports[True] == reports[False]
    outcomes, basis = reports[True]
    changes = {key: bool(changes) for _, key, action, changes in outcomes if action != "unchanged"}
    assert changes == {"r-01": True, "r-02": True, "r-new": False}
    actions = {key: action for _, key, action, _ in outcomes}
    assert actions.pop("r-new") == "new"
    assert actions.pop("r-02") == "updated"
    assert actions.pop("r-01") == "updated"  # the file's title, against the working copy's
    assert set(actions.values()) == {"unchanged"} and len(actions) == 12  # r-00 among them
    assert [line for line, *_ in outcomes] == sorted(line for line, *_ in outcomes)
    assert len(basis["versions"]) == 14


def test_the_sources_report_is_the_row_by_row_paths(demo_content, settings):
    rows = list(csv.reader(io.StringIO(public_file("sources").decode(), newline="")))
    rows[1][rows[0].index("title")] = "Retitled"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode()
    reports = {}
    for by_sql in (True, False):
        settings.IMPORT_UNCHANGED_BY_SQL = by_sql
        reports[by_sql] = report_of(data, "sources", dry_run=True, preview=True)
    assert reports[True] == reports[False]
    actions = [action for _, _, action, _ in reports[True][0]]
    assert actions.count("updated") == 1 and actions.count("unchanged") == len(actions) - 1


def test_a_file_exported_and_imported_again_changes_nothing(content):
    data = public_file()
    citations = list(Citation.objects.order_by("pk").values_list("reform__slug", "position"))
    report = run_import(table="reforms", data=data)
    assert report.counts == {"new": 0, "updated": 1, "unchanged": 13}
    # Only the reform with a working copy is touched: the file's title goes into its copy.
    assert list(PendingRevision.objects.values_list("data__title", flat=True)) == ["Reform 1"]
    assert list(Citation.objects.order_by("pk").values_list("reform__slug", "position")) == (
        citations
    )
    assert public_file() == data


def test_a_repeated_row_is_refused_though_it_is_unchanged(content):
    data = public_file()
    row = next(line for line in data.split(b"\r\n") if line.startswith(b"r-05,"))
    with pytest.raises(ImportRefused) as refused:
        run_import(table="reforms", data=data + row + b"\r\n")
    (problem,) = refused.value.problems
    assert problem.line == data.count(b"\n") + 1 and "duplicates line" in problem.reason
    assert not PendingRevision.objects.exclude(object_id=content[1].pk).exists()


@pytest.mark.parametrize("by_sql", [True, False])
@pytest.mark.parametrize(
    "column, stored, reason",
    [
        ("summary", "", "is required"),
        ("title", "Reform\x0b3", "contains a control character (U+000B) at character 7"),
        ("title", "Reform\n3", "contains a line break character (U+000A) at character 7"),
    ],
)
def test_a_cell_refused_in_the_entry_and_the_file_is_refused(
    content, settings, by_sql, column, stored, reason
):
    # Stored so by a path that checked nothing (an old import, before the rule, by hand).
    Reform.objects.filter(slug="r-03").update(**{column: stored})
    settings.IMPORT_UNCHANGED_BY_SQL = by_sql
    with pytest.raises(ImportRefused) as refused:
        run_import(table="reforms", data=public_file())
    (problem,) = refused.value.problems
    assert problem.column == column and problem.reason.startswith(reason)


@pytest.mark.parametrize("by_sql", [True, False])
def test_a_control_character_in_a_cell_the_import_ignores_is_refused(content, settings, by_sql):
    # The page's address is not compared (the import ignores it), but every cell of a row is
    # checked for what no cell may hold, on either path.
    data = public_file()
    row = next(line for line in data.decode().split("\r\n") if line.startswith("r-03,"))
    url = row.split(",")[data.decode().split("\r\n", 1)[0].split(",").index("url")]
    settings.IMPORT_UNCHANGED_BY_SQL = by_sql
    with pytest.raises(ImportRefused) as refused:
        run_import(table="reforms", data=edited(data, "r-03", "url", url + "\x0b"))
    (problem,) = refused.value.problems
    assert problem.column == "url"
    assert problem.reason.startswith("contains a control character (U+000B)")


@pytest.mark.parametrize("by_sql", [True, False])
def test_a_key_repeated_across_parts_names_its_first_line_each_time(
    content, settings, monkeypatch, by_sql
):
    lines = public_file().split(b"\r\n")
    header, rows = lines[0], {line.split(b",", 1)[0]: line for line in lines[1:] if line}
    a, b, c = rows[b"r-04"], rows[b"r-05"], rows[b"r-06"]
    data = b"\r\n".join([header, a, b, a, a, c, c, b, b""])  # lines 2 to 9
    monkeypatch.setattr(importer, "PART_ROWS", 2)  # parts: 2-3, 4-5, 6-7, 8-9
    settings.IMPORT_UNCHANGED_BY_SQL = by_sql
    with pytest.raises(ImportRefused) as refused:
        run_import(table="reforms", data=data)
    assert [(p.line, p.reason.split(":")[0]) for p in refused.value.problems] == [
        (4, "duplicates line 2"),
        (5, "duplicates line 2"),
        (7, "duplicates line 6"),
        (8, "duplicates line 3"),
    ]


@pytest.mark.parametrize("by_sql", [True, False])
def test_keys_repeated_by_rows_vouched_for_and_rows_edited_name_their_first_line(
    content, settings, monkeypatch, by_sql
):
    # The database claims a part's keys in its comparison only when it vouches for every row
    # of the part; in a part it does not, every key is claimed as before. Both kinds of part,
    # and repeats across them and within them, name the key's first line.
    lines = public_file().split(b"\r\n")
    header, rows = lines[0], {line.split(b",", 1)[0]: line for line in lines[1:] if line}

    def same(n: int) -> bytes:
        return rows[f"r-{n:02d}".encode()]

    def changed(n: int) -> bytes:
        return same(n).replace(f"Reform {n},".encode(), f"Reform {n} changed,".encode())

    # Parts of two rows: 2-3 (one edited), 4-5 (both the same), 6-7, 8-9 and 10-11 (one each).
    layout = [same(4), changed(5), same(4), same(6), same(5), changed(6)]
    layout += [same(7), changed(7), changed(8), same(8)]
    assert all(row not in rows.values() for row in (changed(5), changed(6), changed(7)))
    monkeypatch.setattr(importer, "PART_ROWS", 2)
    settings.IMPORT_UNCHANGED_BY_SQL = by_sql
    with pytest.raises(ImportRefused) as refused:
        run_import(table="reforms", data=b"\r\n".join([header, *layout, b""]))
    assert [(p.line, p.reason.split(":")[0]) for p in refused.value.problems] == [
        (4, "duplicates line 2"),
        (6, "duplicates line 3"),
        (7, "duplicates line 5"),
        (9, "duplicates line 8"),
        (11, "duplicates line 10"),
    ]


@on_postgresql
def test_a_part_of_unchanged_rows_costs_one_statement(monkeypatch, settings):
    published_reforms(12)
    data = public_file()
    ContentType.objects.get_for_model(Reform)  # cached for the process, as in a worker
    per_part = {}
    for by_sql in (True, False):
        settings.IMPORT_UNCHANGED_BY_SQL = by_sql
        counts = {}
        for part_rows in (1000, 4):  # one part, then three
            monkeypatch.setattr(importer, "PART_ROWS", part_rows)
            with CaptureQueriesContext(connection) as queries:
                report = run_import(table="reforms", data=data, detail=False)
            assert report.counts["unchanged"] == 12
            counts[part_rows] = len(queries)
        per_part[by_sql] = (counts[4] - counts[1000]) / 2
    # Each part: the database's comparison, which claims the part's keys when it vouches for
    # every row (file_keys.claimed_with); no entry read. Row by row, each part claims its keys
    # in a statement of their own and reads its entries.
    assert per_part[True] == 1
    assert per_part[False] > 2


@on_postgresql
def test_rows_in_any_script_with_quotes_formulas_and_line_breaks_are_vouched_for(settings):
    # The database hashes the export's cells as Python hashes the file's: a row it could not
    # match would still be reported unchanged, by reading its entry, so what shows it is the
    # count of statements: a part's, whatever its rows hold.
    topic = TopicFactory(slug="land")
    texts = [
        ("Қазақстан: жер реформасы", "Закон «О земле», 2021 г.", "Бір.\nЕкі; үш."),
        ("=SUM(A1:A2), not a formula", "'+ kept as text", 'He said "yes",\r\nthen no.\t'),
        ("Emoji 🇰🇿 and a semicolon; here", "@handle -1", "Ünïcode ß ﬁ 𝔘"),
    ]
    for n, (title, summary, body) in enumerate(texts):
        ReformFactory(
            slug=f"s-{n}", title=title, summary=summary, body=body, published=True, topics=[topic]
        )
    ReformFactory(slug="plain", title="Plain", summary="Plain.", published=True, topics=[topic])
    data = public_file()
    header, *rows = csv.reader(io.StringIO(data.decode(), newline=""))
    one = io.StringIO()  # the plain row alone: the statements of a part the database vouched for
    plain = [row for row in rows if row[header.index("slug")] == "plain"]
    csv.writer(one, lineterminator="\r\n").writerows([header, *plain])
    ContentType.objects.get_for_model(Reform)  # cached for the process, as in a worker
    settings.IMPORT_UNCHANGED_BY_SQL = True
    statements = {}
    for name, file, count in (("one row", one.getvalue().encode(), 1), ("every row", data, 4)):
        with CaptureQueriesContext(connection) as queries:
            report = run_import(table="reforms", data=file, detail=False)
        assert report.counts == {"new": 0, "updated": 0, "unchanged": count}
        statements[name] = len(queries)
    assert statements["every row"] == statements["one row"]


@on_postgresql
def test_a_file_refused_while_a_part_is_compared_leaves_the_connection_to_the_next_import(
    monkeypatch, settings
):
    # Each part's comparison is with the database while the next part is read; the sixth row
    # is past the limit, refused while the third part's comparison is sent and not answered.
    published_reforms(12)
    data = public_file()
    settings.IMPORT_UNCHANGED_BY_SQL = True
    monkeypatch.setattr(importer, "PART_ROWS", 2)
    with pytest.raises(ImportRefused) as refused:
        run_import(table="reforms", data=data, limits=Limits(max_bytes=10**6, max_rows=5))
    assert [p.reason for p in refused.value.problems] == [
        "The file has more than 5 rows; split it into smaller files."
    ]
    # The next import on the same connection writes its rows by COPY, which a connection left
    # waiting for that answer refuses.
    added = data + new_row(data, slug="added", title="Added", summary="Added.")
    report = run_import(table="reforms", data=added, detail=False)
    assert report.counts == {"new": 1, "updated": 0, "unchanged": 12}
    assert Reform.objects.get(slug="added").title == "Added"
