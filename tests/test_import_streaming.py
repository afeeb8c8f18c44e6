"""A big import reads its file in chunks, never whole: a character cut between two chunks is read
whole, a byte that is not UTF-8 far into the file is named by its line, the refusal carries only
the rows that failed, and new entries written children first are still found by what they cite."""

import gc
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from institute.datasets import apply, importer, parse
from institute.datasets.importer import failed_rows_csv, run_import
from institute.datasets.parse import ImportRefused
from institute.editorial import workflow
from institute.editorial.models import EntryVersion
from reforms.models import Reform
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db

HEADER = "slug,title,summary,area,status,sources\r\n"


def import_reforms(tmp_path, data: bytes) -> str:
    path = tmp_path / "reforms.csv"
    path.write_bytes(data)
    out = StringIO()
    call_command("import_reforms", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def rows(count: int, title="Reform {n}") -> str:
    return "".join(
        f"stream-{n},{title.format(n=n)},One sentence.,economy,adopted,\r\n" for n in range(count)
    )


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 7])
def test_a_character_cut_between_two_chunks_is_read_whole(tmp_path, monkeypatch, chunk):
    # Tiny chunks put a chunk's end inside every kind of character: 2, 3 and 4 bytes long.
    monkeypatch.setattr(parse, "READ_CHUNK", chunk)
    data = ("\ufeff" + HEADER + rows(3, title="Заң {n} — Mäjilis 🏛")).encode()
    out = import_reforms(tmp_path, data)
    assert "3 new" in out
    titles = sorted(Reform.objects.values_list("title", flat=True))
    assert titles == [f"Заң {n} — Mäjilis 🏛" for n in range(3)]


def test_a_byte_that_is_not_utf8_far_into_the_file_is_named_by_its_line(tmp_path, monkeypatch):
    monkeypatch.setattr(parse, "READ_CHUNK", 64)
    good = (HEADER + rows(40)).encode()
    bad = good + b"stream-x,Caf\xe9,One sentence.,economy,adopted,\r\n"  # Latin-1, line 42
    with pytest.raises(CommandError) as excinfo:
        import_reforms(tmp_path, bad)
    assert "Line 42: The file is not UTF-8 (byte 0xe9 cannot be read)" in str(excinfo.value)
    assert not Reform.objects.exists()


def test_a_file_cut_inside_its_last_character_is_named_by_its_last_line(tmp_path):
    data = (HEADER + rows(2)).encode() + "stream-9,Заң".encode()[:-1]
    with pytest.raises(CommandError, match="Line 4: The file is not UTF-8"):
        import_reforms(tmp_path, data)
    assert not Reform.objects.exists()


def test_the_refusal_carries_the_failed_rows_only_read_again_from_the_file():
    data = (
        HEADER
        + rows(3)
        + "stream-bad,Bad,One sentence.,nowhere,adopted,\r\n"
        + rows(2).replace("stream-", "later-")
        + 'stream-worse,"Worse\r\nstill",One sentence.,economy,gone,\r\n'
    ).encode()
    with pytest.raises(ImportRefused) as excinfo:
        run_import(table="reforms", data=data)
    refused = excinfo.value
    # A record is numbered by its last line, as its problems are (the CSV reader's count).
    assert sorted({p.line for p in refused.problems}) == [5, 9]
    assert [line for line, _ in refused.rows] == [5, 9]
    assert refused.rows[1][1]["title"] == "Worse\r\nstill"
    csv = failed_rows_csv(HEADER.strip().split(","), refused.rows, refused.problems)
    assert "stream-bad,Bad" in csv and "stream-worse" in csv and "stream-0" not in csv
    assert not Reform.objects.exists()


def test_a_new_reform_is_found_by_the_title_of_a_source_it_cites(tmp_path, client):
    SourceFactory(slug="commission", title="Zhanaozen commission findings", published=True)
    out = import_reforms(
        tmp_path,
        (HEADER + "cited,Labour law,On strikes.,economy,adopted,commission\r\n").encode(),
    )
    assert "1 new" in out
    workflow.publish_loaded(Reform.objects.get(slug="cited"))
    listing = client.get(reverse("reforms:list"), {"q": "zhanaozen"})
    assert [r.title for r in listing.context["page"].object_list] == ["Labour law"]


@pytest.mark.parametrize(
    "chunk", [(apply, "CREATE_CHUNK"), (importer, "PART_ROWS")], ids=["chunk", "part"]
)
def test_new_entries_written_a_chunk_at_a_time_are_all_checked_and_all_undone(
    tmp_path, monkeypatch, chunk
):
    # The write path refuses a reform whose secondary areas list its own area: the first chunk
    # (of the write path's batch, or of the file) is written, the second refused, the third
    # only checked; the refusal names both bad rows and nothing stays.
    monkeypatch.setattr(*chunk, 2)
    lines = [f"chunk-{n},Reform {n},One sentence.,economy,adopted,\r\n" for n in range(6)]
    lines[2] = "chunk-2,Reform 2,One sentence.,economy,adopted,economy\r\n"
    lines[5] = "chunk-5,Reform 5,One sentence.,human-rights,adopted,human-rights\r\n"
    data = ("slug,title,summary,area,status,secondary_areas\r\n" + "".join(lines)).encode()
    with pytest.raises(CommandError) as excinfo:
        import_reforms(tmp_path, data)
    message = str(excinfo.value)
    assert "2 problem(s)" in message
    assert "Line 4, column “secondary_areas”: lists the reform's own area (economy)" in message
    assert "Line 7, column “secondary_areas”: lists the reform's own area (human-rights)" in message
    assert not Reform.objects.exists()
    assert not EntryVersion.objects.exists()

    monkeypatch.setattr(*chunk, 4)
    out = import_reforms(
        tmp_path, data.replace(b",economy\r\n", b",\r\n").replace(b",human-rights\r\n", b",\r\n")
    )
    assert "6 new" in out
    assert sorted(Reform.objects.values_list("slug", flat=True)) == [f"chunk-{n}" for n in range(6)]
    assert EntryVersion.objects.count() == 6


@pytest.mark.parametrize("part", [1, 2, 3, 1000])
def test_a_file_imported_a_part_at_a_time_does_what_one_part_does(tmp_path, monkeypatch, part):
    # New, changed and unchanged rows in every part: the same entries, versions and counts
    # whatever the part's size.
    monkeypatch.setattr(importer, "PART_ROWS", part)
    import_reforms(tmp_path, (HEADER + rows(4)).encode())
    again = (
        HEADER
        + rows(4).replace("Reform 1,", "Reform one,").replace("Reform 3,", "Reform three,")
        + rows(3).replace("stream-", "more-")
    )
    out = import_reforms(tmp_path, again.encode())
    assert "reforms: 3 new, 2 updated, 2 unchanged (written), 0 errors. 7 rows" in out
    titles = dict(Reform.objects.values_list("slug", "title"))
    assert titles["stream-1"] == "Reform one" and titles["stream-2"] == "Reform 2"
    assert titles["more-2"] == "Reform 2" and len(titles) == 7
    # One version each at creation, one more for each changed entry: nothing written twice.
    assert EntryVersion.objects.count() == 7 + 2


def test_a_key_seen_in_an_earlier_part_is_refused_and_nothing_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "PART_ROWS", 2)
    data = HEADER + rows(5) + rows(1) + rows(2).replace("stream-", "other-")
    with pytest.raises(CommandError) as excinfo:
        import_reforms(tmp_path, data.encode())
    message = str(excinfo.value)
    assert "1 problem(s)" in message
    assert (
        "Line 7, column “slug”: duplicates line 2: each slug may appear once in a file "
        "(value “stream-0”)" in message
    )
    assert not Reform.objects.exists()
    assert not EntryVersion.objects.exists()


def test_a_bad_cell_after_parts_were_written_undoes_them_and_names_every_bad_row(
    tmp_path, monkeypatch
):
    # Parts 1 and 2 are written before line 6 is read; the refusal undoes them, and the rows
    # after it are still checked, with a repeated key in a part of its own.
    monkeypatch.setattr(importer, "PART_ROWS", 2)
    lines = [f"late-{n},Reform {n},One sentence.,economy,adopted,\r\n" for n in range(9)]
    lines[4] = "late-4,Reform 4,One sentence.,nowhere,adopted,\r\n"
    lines[8] = "late-1,Reform 8,One sentence.,economy,adopted,\r\n"
    with pytest.raises(ImportRefused) as excinfo:
        run_import(table="reforms", data=(HEADER + "".join(lines)).encode())
    assert [(p.line, p.column) for p in excinfo.value.problems] == [(6, "area"), (10, "slug")]
    assert "duplicates line 3" in excinfo.value.problems[1].reason
    assert not Reform.objects.exists()
    assert not EntryVersion.objects.exists()


def test_a_dry_run_in_parts_reports_every_row_and_writes_nothing(monkeypatch):
    monkeypatch.setattr(importer, "PART_ROWS", 2)
    report = run_import(table="reforms", data=(HEADER + rows(5)).encode(), dry_run=True)
    assert report.counts["new"] == 5
    assert [o.line for o in report.outcomes] == [2, 3, 4, 5, 6]
    assert report.basis["new"] == sorted(f"stream-{n}" for n in range(5))
    assert not Reform.objects.exists()
    # Without detail (the command line's), the counts only.
    quiet = run_import(table="reforms", data=(HEADER + rows(5)).encode(), detail=False)
    assert (quiet.counts["new"], quiet.outcomes, quiet.basis) == (5, [], {})
    assert Reform.objects.count() == 5


def test_an_import_sets_the_process_objects_aside_from_the_collector_and_gives_them_back():
    # While it runs, what existed before it is out of the cycle collector's way (a full pass
    # walked it again and again); after it, whether it wrote or was refused, the collector has
    # it all back: a worker that imports all day keeps nothing set aside.
    seen = []
    report = run_import(
        table="reforms",
        data=(HEADER + rows(3)).encode(),
        progress=lambda *_: seen.append(gc.get_freeze_count()),
    )
    assert report.counts["new"] == 3
    assert seen and min(seen) > 0
    assert gc.get_freeze_count() == 0
    with pytest.raises(ImportRefused):
        run_import(table="reforms", data=(HEADER + "bad,Bad,One.,nowhere,adopted,\r\n").encode())
    assert gc.get_freeze_count() == 0


def estimated_rows(model) -> float:
    """What PostgreSQL's planner takes `model`'s table to hold (-1: never analyzed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_an_import_of_many_rows_leaves_the_planner_the_tables_as_they_are(tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "ANALYZE_AFTER_ROWS", 5)
    before = estimated_rows(Reform), estimated_rows(EntryVersion)
    import_reforms(tmp_path, (HEADER + rows(4)).encode())  # fewer: left to autovacuum
    assert (estimated_rows(Reform), estimated_rows(EntryVersion)) == before
    import_reforms(tmp_path, (HEADER + rows(9)).encode())  # 5 new, 4 unchanged
    assert estimated_rows(Reform) == Reform.objects.count() == 9
    assert estimated_rows(EntryVersion) == EntryVersion.objects.count()
    assert estimated_rows(Reform.topics.through) == Reform.topics.through.objects.count()
