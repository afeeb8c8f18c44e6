"""On PostgreSQL the public files are read by the database (COPY ... TO STDOUT): a CSV's lines
written by it, a JSON's and an XLSX's cells read by it. They must be the very bytes the Python
path gives, on data made to break a CSV writer."""

import io
import json
import threading

import pytest
from django.db import connection, connections
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from openpyxl import load_workbook

from institute.datasets.export import _queries
from institute.datasets.tables import TABLES
from institute.editorial.edits import save_edit
from institute.editorial.versions import snapshot
from reforms.models import Reform
from reforms.selectors import reform_filter_public
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    ResponseFactory,
    SourceFactory,
    ThemeFactory,
    TopicFactory,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("connection.vendor != 'postgresql'", reason="COPY is PostgreSQL's"),
]

AWKWARD = [
    'Quotes "inside", and a comma',
    "Line\nbreaks\r\nof both kinds\rand a lone CR",
    "=SUM(A1) looks like a formula",
    "+1 and -2",
    "@mention",
    "\tleading tab",
    "-1, a leading minus",
    "\rleading carriage return",
    "'already quoted",
    "Қазақстан: non-ASCII, “typographic” quotes — and dashes",
    "",
    "plain",
    " leading space, trailing space ",
    "semi;colons;inside",
    "back\\slash and %s and %(name)s",
    # COPY's own markers and quoting: its end of data alone, quotes alone or at an end, a line
    # break alone.
    "\\.",
    '"',
    '""',
    'ends with a quote"',
    "\n",
]


def build_awkward_content():
    published_source = SourceFactory(slug="z-last-source", published=True)
    other_source = SourceFactory(slug="a-first-source", published=True)
    draft_source = SourceFactory(slug="draft-source", draft=True)
    topics = [TopicFactory(slug=s) for s in ("b-topic", "a-topic", "a-topic-2", "atopic")]
    themes = [ThemeFactory(slug=s) for s in ("z-theme", "a-theme")]
    open_rec = RecommendationFactory(
        slug="open-rec", report=published_source, position=1, published=True
    )
    other_rec = RecommendationFactory(
        slug="another-rec",
        report=published_source,
        position=2,
        text=AWKWARD[1],
        implementation_note=AWKWARD[0],
        published=True,
    )
    open_rec.themes.set(themes)
    secret_rec = RecommendationFactory(slug="secret-rec", report=published_source, position=3)
    for n, text in enumerate(AWKWARD):
        reform = ReformFactory(
            slug=f"reform-{n:02d}",
            title=text or "untitled",
            summary=text or "no summary",
            body=AWKWARD[-1 - n],
            initiated_by_detail=text,
            announced_on="2019" if n % 3 == 0 else "",
            adopted_on="2019-12" if n % 3 == 1 else "",
            effective_on="2020-01-01" if n % 3 == 2 else "",
            published=n != 4,  # one draft, which neither path may show
        )
        reform.topics.set(topics[: n % 5])
        # Two citations of one source are one slug; a draft source is never shown.
        for source in (published_source, published_source, other_source, draft_source)[: n % 5]:
            CitationFactory(reform=reform, source=source)
        for rec in (open_rec, secret_rec, other_rec)[: n % 4]:
            response = ResponseFactory(reform=reform, recommendation=rec, note=text)
            # Evidence for a response: its entry is "recommendation/reform".
            CitationFactory(response=response, source=other_source, supports=text)
    CitationFactory(recommendation=other_rec, source=published_source, quote=AWKWARD[2])
    CitationFactory(recommendation=secret_rec, source=published_source)


def download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def rows_of(body: bytes, url: str) -> int:
    """How many rows a file holds, so that a file with none cannot pass for a match."""
    if ".json" in url:
        return len(json.loads(body))
    if ".xlsx" in url:
        sheet = load_workbook(io.BytesIO(body), read_only=True)["data (slugs)"]
        return sum(1 for _ in sheet.iter_rows()) - 1
    return body.count(b"\r\n") - 1


@pytest.mark.parametrize(
    "url",
    [
        "/data/reforms.csv",
        "/data/recommendations.csv",
        "/data/sources.csv",
        "/data/citations.csv",
        "/data/responses.csv",
        "/reforms/export.csv",
        "/reforms/export.csv?sort=title",
        "/reforms/export.csv?sort=status&area=economy&area=human-rights",
        "/reforms/export.csv?q=quotes",
        "/reforms/export.csv?year_from=2019&has_response=true",
        "/recommendations/export.csv",
        "/recommendations/export.csv?sort=implementation",
        "/data/reforms.json",
        "/data/recommendations.json",
        "/data/sources.json",
        "/data/citations.json",
        "/data/responses.json",
        "/reforms/export.json?sort=title&area=economy&area=human-rights",
        "/recommendations/export.json?sort=implementation",
        "/data/reforms.xlsx",
        "/data/recommendations.xlsx",
        "/data/citations.xlsx",
        "/reforms/export.xlsx?q=quotes",
    ],
)
def test_the_database_path_gives_the_bytes_of_the_python_path(client, url):
    build_awkward_content()
    written = download(client, url)
    with override_settings(DATASET_EXPORT_COPY=False):
        expected = download(client, url)
    assert written == expected
    assert rows_of(written, url) > 0


def test_the_database_path_is_taken_and_shows_only_published_links(client):
    build_awkward_content()
    with CaptureQueriesContext(connection) as queries:
        body = download(client, "/data/reforms.csv").decode()
    # The rows come from one COPY, which Django's query log does not see: the Python path
    # reads reforms, topics, citations and responses in separate queries.
    assert not any("reforms_reform_topics" in q["sql"] for q in queries.captured_queries)
    assert "reform-04" not in body and "draft-source" not in body and "secret-rec" not in body
    lines = body.split("\r\n")
    row = next(line for line in lines if line.startswith("reform-03,"))
    # code-point order, as Python's sorted(): "a-topic" < "a-topic-2" < "atopic" < "b-topic"
    assert ",a-topic;a-topic-2;b-topic," in row
    assert ",a-first-source;z-last-source," in row


def test_citations_and_responses_are_written_by_the_database_too(client):
    build_awkward_content()
    with CaptureQueriesContext(connection) as queries:
        citations = download(client, "/data/citations.csv").decode()
        responses = download(client, "/data/responses.csv").decode()
    # The Python path reads the citations and responses through the ORM; COPY is not logged.
    assert not any('FROM "institute_citation"' in q["sql"] for q in queries.captured_queries)
    assert not any('FROM "reforms_response"' in q["sql"] for q in queries.captured_queries)
    lines = citations.split("\r\n")
    # One citation of each kind of entry; a response's entry is "recommendation/reform".
    assert any(line.startswith("reform,reform-01,z-last-source,") for line in lines)
    assert any(line.startswith("recommendation,another-rec,z-last-source,") for line in lines)
    assert any(line.startswith("response,open-rec/reform-01,a-first-source,") for line in lines)
    assert "secret-rec" not in citations and "reform-04" not in citations
    assert "open-rec,reform-01," in responses and "secret-rec" not in responses


def test_a_client_that_leaves_mid_file_does_not_break_the_connection(client, monkeypatch):
    build_awkward_content()
    monkeypatch.setattr("institute.datasets.export.COPY_BATCH_BYTES", 1)
    response = client.get("/data/reforms.csv")
    # The test client's own wrapper of the body: closing it is what a WSGI server does when the
    # client hangs up (the response's close(), with the request's end signalled).
    stream = response._iterator
    next(stream)  # the header
    next(stream)  # a row of twelve: the COPY is under way
    stream.close()
    # The COPY was cancelled and its rest drained: the connection answers the next query.
    assert download(client, "/data/sources.csv").startswith(b"slug,title,")


@pytest.mark.parametrize("url", ["/data/reforms.csv", "/data/recommendations.csv"])
def test_the_database_csv_is_the_same_passed_on_a_row_at_a_time(client, url, monkeypatch):
    """COPY's lines are passed on in stretches whose ends fall anywhere between rows: a quoted
    cell's line breaks stay its own whatever stretch a row comes in."""
    build_awkward_content()
    monkeypatch.setattr("institute.datasets.export.COPY_BATCH_BYTES", 1)
    written = download(client, url)
    with override_settings(DATASET_EXPORT_COPY=False):
        expected = download(client, url)
    assert written == expected
    assert b'"Line\nbreaks\r\nof both kinds\rand a lone CR"' in written


def assert_both_paths_agree(client, what: str) -> bytes:
    written = download(client, "/data/reforms.csv")
    with override_settings(DATASET_EXPORT_COPY=False):
        expected = download(client, "/data/reforms.csv")
    assert written == expected, what
    return written


def test_the_link_columns_kept_on_the_row_follow_every_write(
    client, tmp_path, contributor, reviewer, publisher
):
    """The reforms' topics, sources, responds_to and secondary_areas cells are read from
    columns triggers keep on the row (reforms/0022): after each kind of write to what they
    show, the file is still the Python path's."""
    from institute.editorial import workflow
    from institute.sources.models import Citation, Source
    from recommendations.models import Recommendation
    from reforms.models import Reform, Response, SecondaryArea, Topic

    build_awkward_content()
    assert_both_paths_agree(client, "built")
    reform = Reform.objects.get(slug="reform-03")
    SecondaryArea.objects.create(reform=reform, area="economy")
    SecondaryArea.objects.create(reform=reform, area="political-participation")
    assert b",economy;political-participation," in assert_both_paths_agree(client, "areas")
    SecondaryArea.objects.filter(reform=reform, area="economy").delete()
    SecondaryArea.objects.filter(reform=reform).update(area="human-rights")
    reform.topics.remove(Topic.objects.get(slug="a-topic"))
    Topic.objects.filter(slug="b-topic").update(slug="renamed-topic")
    assert b"renamed-topic" in assert_both_paths_agree(client, "topics")
    Source.objects.filter(slug="z-last-source").update(slug="renamed-source")
    Source.objects.filter(slug="a-first-source").update(review_state="archived")
    assert b"renamed-source" in assert_both_paths_agree(client, "sources")
    Citation.objects.filter(reform=reform).delete()
    Recommendation.objects.filter(slug="secret-rec").update(
        review_state="published", published_at=timezone.now()
    )
    Recommendation.objects.filter(slug="open-rec").update(slug="renamed-rec")
    written = assert_both_paths_agree(client, "recommendations")
    assert b"renamed-rec" in written and b"secret-rec" in written
    Response.objects.filter(reform=reform).delete()
    # A response moved to another reform: both reforms' cells change.
    Response.objects.filter(reform__slug="reform-01").update(
        reform=Reform.objects.get(slug="reform-08")
    )
    assert_both_paths_agree(client, "responses")
    # A report withdrawn hides its recommendations (Recommendation.objects.published()), and a
    # recommendation moved to it with them; published again, they are back.
    report = Source.objects.create(slug="second-report", title="Second report")
    Source.objects.filter(pk=report.pk).update(
        review_state="published", published_at=timezone.now()
    )
    Recommendation.objects.filter(slug="renamed-rec").update(report=report)
    assert b"renamed-rec" in assert_both_paths_agree(client, "a recommendation's report")
    Source.objects.filter(pk=report.pk).update(review_state="archived")
    assert b"renamed-rec" not in assert_both_paths_agree(client, "a report withdrawn")
    Source.objects.filter(pk=report.pk).update(review_state="published")
    assert b"renamed-rec" in assert_both_paths_agree(client, "a report published again")

    # An import writes a new entry's links before its row (institute.editorial.bulk_insert).
    path = tmp_path / "reforms.csv"
    path.write_text(
        "slug,title,summary,area,status,topics,secondary_areas,sources,responds_to\r\n"
        "imported,Imported,An imported reform. Two sentences.,economy,adopted,"
        "a-topic-2;renamed-topic,justice-anti-corruption,renamed-source,renamed-rec\r\n",
        encoding="utf-8",
    )
    from io import StringIO

    from django.core.management import call_command

    call_command("import_reforms", str(path), stdout=StringIO(), stderr=StringIO())
    imported = Reform.objects.get(slug="imported")
    workflow.submit_for_review(imported, by=contributor)
    workflow.approve(imported, by=reviewer)
    workflow.publish(imported, by=publisher)
    written = assert_both_paths_agree(client, "import")
    assert (
        b"imported,Imported,An imported reform. Two sentences.,economy,a-topic-2;renamed-topic,"
        in written
    )


@pytest.fixture
def many_alike(db):
    """Enough published reforms for PostgreSQL to read a filtered export's first rows from the
    listing's index: many alike in date and title (ties of the file's order), some in another
    area or status (which the filter drops)."""
    for n in range(400):
        ReformFactory(
            slug=f"alike-{n:03d}",
            title=f"Alike {n % 7}",
            adopted_on=f"20{10 + n % 5}",
            area="economy" if n % 4 else "human-rights",
            status="adopted" if n % 3 else "announced",
            published=True,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reforms_reform")
        # Random reads priced as PostgreSQL's default prices them: at this size the planner then
        # plans the whole filtered file as it does at 1M reforms with ours (every match read and
        # sorted before the first row), and its first rows alone from the listing's index.
        cursor.execute("SET random_page_cost = 4")
    yield
    with connection.cursor() as cursor:
        cursor.execute("RESET random_page_cost")


FILTERED = "/reforms/export.csv?area=economy&status=adopted"


def head_read_first(url: str) -> bool:
    """Whether the export at `url` reads its first rows by a query of their own."""
    queryset = reform_filter_public(params=QueryDict(url.partition("?")[2])).qs
    csv = ".csv" in url
    return len(_queries(TABLES["reforms"], queryset, base_url="http://testserver", csv=csv)) == 2


def rows_and_column(body: bytes, name: str) -> tuple[list[bytes], list[bytes]]:
    """A file's rows (lines of a CSV without its header, or a JSON's objects), and one column of
    theirs (cells that hold no comma or quote)."""
    if body.startswith(b"["):
        rows = json.loads(body)
        return [json.dumps(row).encode() for row in rows], [row[name].encode() for row in rows]
    header, *rows, end = body.split(b"\r\n")
    assert end == b""
    at = header.split(b",").index(name.encode())
    return rows, [row.split(b",")[at] for row in rows]


@pytest.mark.parametrize("url", [FILTERED, FILTERED.replace(".csv", ".json")])
def test_a_file_read_head_first_is_every_row_once_in_its_order(
    client, many_alike, monkeypatch, url
):
    monkeypatch.setattr("institute.datasets.export.HEAD_ROWS", 5)
    # Planted: a draft the filter would keep, and a working copy of a row the file holds.
    ReformFactory(slug="planted-draft", title="Alike 0", adopted_on="2014")
    newest = Reform.objects.get(slug="alike-001")  # economy, adopted: in the file
    save_edit(newest, {**snapshot(newest), "title": "Unpublished working copy"}, by=None)
    assert head_read_first(url)  # else this test would not be about it
    written = download(client, url)
    assert b"planted-draft" not in written and b"Unpublished working" not in written
    assert b"alike-001" in written  # the working copy's public row is
    for language in ("ru", "kk"):
        translated = download(client, f"/{language}{url}")
        assert b"alike-001" in translated and b"planted-draft" not in translated
        assert b"Unpublished working" not in translated
    with override_settings(DATASET_EXPORT_COPY=False):
        expected = download(client, url)
    rows, years = rows_and_column(written, "adopted_on")
    # Rows alike in date and title may come in either order on either path; none twice.
    assert sorted(rows) == sorted(rows_and_column(expected, "adopted_on")[0])
    assert len(set(rows)) == len(rows) == 200
    assert years == sorted(years, reverse=True)  # the newest first


@pytest.mark.django_db(transaction=True)
def test_a_file_read_head_first_is_one_moment_of_the_database(client, many_alike, monkeypatch):
    """A reform withdrawn while the file's first rows are being sent is still in its rest: the
    two parts are read in one snapshot."""
    monkeypatch.setattr("institute.datasets.export.HEAD_ROWS", 5)
    monkeypatch.setattr("institute.datasets.export.COPY_BATCH_BYTES", 1)
    assert head_read_first(FILTERED)
    before = download(client, FILTERED)
    oldest = rows_and_column(before, "slug")[1][-1].decode()
    stream = client.get(FILTERED)._iterator
    sent = [next(stream), next(stream)]  # the header, and the head's first row

    def withdraw():
        Reform.objects.filter(slug=oldest).update(review_state="draft")
        connections.close_all()

    elsewhere = threading.Thread(target=withdraw)
    elsewhere.start()
    elsewhere.join()
    assert b"".join([*sent, *stream]) == before
    assert oldest.encode() not in download(client, FILTERED)  # withdrawn for the next one


@pytest.mark.django_db(transaction=True)  # the parts' transaction the outermost, as served
@pytest.mark.parametrize("chunks", [2, 9], ids=["in the head", "in the rest"])
def test_a_client_that_leaves_a_file_read_head_first_does_not_break_the_connection(
    client, many_alike, monkeypatch, chunks
):
    monkeypatch.setattr("institute.datasets.export.HEAD_ROWS", 5)
    monkeypatch.setattr("institute.datasets.export.COPY_BATCH_BYTES", 1)
    assert head_read_first(FILTERED)
    stream = client.get(FILTERED)._iterator
    for _ in range(1 + chunks):  # the header, then rows (one a chunk): five are the head's
        next(stream)
    stream.close()
    assert len(rows_and_column(download(client, FILTERED), "slug")[0]) == 200
