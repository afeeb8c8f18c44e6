"""A big import reads its file in chunks, never whole: a character cut between two chunks is read
whole, a byte that is not UTF-8 far into the file is named by its line, the refusal carries only
the rows that failed, and new entries written children first are still found by what they cite."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from institute.datasets import apply, parse
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


def test_new_entries_written_a_chunk_at_a_time_are_all_checked_and_all_undone(
    tmp_path, monkeypatch
):
    # The write path refuses a reform whose secondary areas list its own area: the first chunk
    # is written, the second refused, the third only checked; the refusal names both bad rows
    # and nothing stays.
    monkeypatch.setattr(apply, "CREATE_CHUNK", 2)
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

    monkeypatch.setattr(apply, "CREATE_CHUNK", 4)
    out = import_reforms(
        tmp_path, data.replace(b",economy\r\n", b",\r\n").replace(b",human-rights\r\n", b",\r\n")
    )
    assert "6 new" in out
    assert sorted(Reform.objects.values_list("slug", flat=True)) == [f"chunk-{n}" for n in range(6)]
    assert EntryVersion.objects.count() == 6
