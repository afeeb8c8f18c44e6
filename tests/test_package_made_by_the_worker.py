"""A large data package is made by the worker after each change, never by a visitor's request:
until it is made, /data/package.zip is a 503 that says so (with Retry-After) and /data/ says the
package is being made, kept by no cache; the worker's pass makes the package of the content as
it is now, which a draft never reaches. A small one is still made by the request that asks.
Every whole table is then sent from the file the same pass made, the bytes it streamed before."""

import gzip
import io
import zipfile

import pytest
from django.core.management import call_command

from tests.factories import ReformFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def large(settings, tmp_path):
    settings.DATA_PACKAGE_DIR = tmp_path
    settings.DATA_PACKAGE_INLINE_MAX_ROWS = 1  # two published reforms are a large table
    settings.SITE_URL = "http://testserver"
    ReformFactory(published=True, slug="first-reform")
    ReformFactory(published=True, slug="second-reform")
    ReformFactory(draft=True, slug="planted-draft")
    return tmp_path


def reform_slugs(package: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        lines = archive.read("reforms.csv").decode().splitlines()
    return sorted(line.split(",")[0] for line in lines[1:])


def assert_being_made(client, folder):
    download = client.get("/data/package.zip")
    assert download.status_code == 503
    assert int(download["Retry-After"]) > 0
    assert "being made by the site's worker" in download.content.decode()
    page = client.get("/data/")
    assert page.status_code == 200
    assert 'id="package-being-made"' in page.content.decode()
    assert "no-cache" in page["Cache-Control"]  # the page cache keeps none of it
    assert '"version"' not in page.context["structured_data"]


# The worker's command closes connections left outside autocommit, as a test's transaction is.
@pytest.mark.django_db(transaction=True)
def test_a_large_package_is_made_by_the_worker_not_by_a_request(client, large):
    assert_being_made(client, large)
    assert not list(large.glob("*.zip"))  # the requests built nothing

    call_command("run_worker", "--batch", verbosity=0)
    download = client.get("/data/package.zip")
    assert download.status_code == 200
    package = b"".join(download.streaming_content)
    assert reform_slugs(package) == ["first-reform", "second-reform"]
    page = client.get("/data/").content.decode()
    version = download["Content-Disposition"].rsplit("-", 1)[1].removesuffix('.zip"')
    assert f"Content version <strong>{version}</strong>" in page

    # A change: the package of the content before it is not served for the content after it.
    ReformFactory(published=True, slug="third-reform")
    assert_being_made(client, large)
    call_command("run_worker", "--batch", verbosity=0)
    package = b"".join(client.get("/data/package.zip").streaming_content)
    assert reform_slugs(package) == ["first-reform", "second-reform", "third-reform"]


def test_a_small_package_is_made_by_the_request_that_asks(client, settings, tmp_path):
    settings.DATA_PACKAGE_DIR = tmp_path
    ReformFactory(published=True, slug="only-reform")
    download = client.get("/data/package.zip")
    assert download.status_code == 200
    assert reform_slugs(b"".join(download.streaming_content)) == ["only-reform"]


def unpacked(path) -> bytes:
    """What a finished file holds, its compressed files' contents included (the compressed twin,
    the package's and a workbook's zip)."""
    held = path.read_bytes()
    if path.suffix == ".gz":
        return gzip.decompress(held)
    if path.suffix in (".zip", ".xlsx"):
        with zipfile.ZipFile(io.BytesIO(held)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    return held


TABLE_FORMATS = ["csv", "csv-excel", "json", "xlsx"]


def downloads(client) -> dict[str, tuple[bytes, str]]:
    """Every whole-table download: address → (body, Content-Type)."""
    from institute.datasets.tables import TABLES

    found = {}
    for name in TABLES:
        for fmt in TABLE_FORMATS:
            address = f"/data/{name}.{fmt}"
            response = client.get(address)
            assert response.status_code == 200, address
            assert response["Content-Disposition"].startswith("attachment; filename="), address
            body = b"".join(response.streaming_content)
            if response.has_header("Content-Length"):
                assert response["Content-Length"] == str(len(body)), address
            found[address] = (body, response["Content-Type"])
    return found


@pytest.mark.django_db(transaction=True)
def test_every_table_is_sent_from_the_file_the_worker_made_the_same_bytes(client, large, settings):
    settings.PAGE_CACHE = False  # each answer from its view
    streamed = downloads(client)
    assert b"second-reform" in streamed["/data/reforms.csv"][0]

    call_command("run_worker", "--batch", verbosity=0)
    assert downloads(client) == streamed
    [kept] = [p for p in large.iterdir() if p.is_dir()]
    assert kept.stat().st_mode & 0o777 == 0o755
    for path in kept.iterdir():
        assert b"planted-draft" not in unpacked(path), path.name
    for name in ("reforms.csv", "reforms.csv.gz", "reforms.json.gz", "reforms.xlsx"):
        assert b"second-reform" in unpacked(kept / name), name  # what is read is the rows
        assert path.stat().st_mode & 0o777 == 0o644, path.name  # any server's user reads it
    # Sent from those files: what they hold is what is sent ("CSV for Excel" after its mark).
    for path in kept.glob("*.*"):
        path.write_bytes(b"the file " + path.name.encode())
    for address, (body, _) in downloads(client).items():
        name, fmt = address.removeprefix("/data/").split(".")
        held = b"the file " + f"{name}.{fmt.removesuffix('-excel')}".encode()
        assert body == ("\ufeff".encode() + held if fmt == "csv-excel" else held), address

    # A change: the files of the content before it are not sent for the content after it.
    ReformFactory(published=True, slug="third-reform")
    assert b"third-reform" in downloads(client)["/data/reforms.csv"][0]
    call_command("run_worker", "--batch", verbosity=0)
    files = downloads(client)
    assert b"third-reform" in files["/data/reforms.csv"][0]
    assert len([p for p in large.iterdir() if p.is_dir()]) == 2

    # The page cache sends them from where they are: no copy in its own files.
    settings.PAGE_CACHE, settings.PAGE_CACHE_MAX_BYTES = True, 10
    assert downloads(client) == files
    assert not list(settings.PAGE_CACHE_DIR.iterdir())


@pytest.mark.django_db(transaction=True)
def test_a_table_longer_than_a_sheet_is_refused_as_a_workbook_before_and_after_the_worker(
    client, large, settings
):
    settings.PAGE_CACHE = False
    settings.XLSX_MAX_ROWS = 2  # the header and one reform; two are published
    before = client.get("/data/reforms.xlsx")
    call_command("run_worker", "--batch", verbosity=0)
    after = client.get("/data/reforms.xlsx")
    assert before.status_code == after.status_code == 400
    assert after.content == before.content
    assert b"more rows than a spreadsheet opens" in after.content
    assert not list(large.glob("*/reforms.xlsx"))
    assert client.get("/data/sources.xlsx").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_package_made_by_a_request_brings_the_tables_csvs_the_worker_the_rest(
    client, settings, tmp_path
):
    settings.DATA_PACKAGE_DIR = tmp_path
    settings.SITE_URL = "http://testserver"
    settings.PAGE_CACHE = False
    ReformFactory(published=True, slug="only-reform")
    assert client.get("/data/package.zip").status_code == 200  # small: made by the request
    [kept] = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert sorted(p.suffix for p in kept.glob("reforms.*")) == [".csv"]
    streamed = b"".join(client.get("/data/reforms.json").streaming_content)

    call_command("run_worker", "--batch", verbosity=0)
    assert sorted(p.name for p in kept.glob("reforms.*")) == [
        "reforms.csv",
        "reforms.csv.gz",
        "reforms.json",
        "reforms.json.gz",
        "reforms.xlsx",
    ]
    assert (kept / "reforms.json").read_bytes() == streamed
    (kept / "reforms.json").write_bytes(b"the worker's file")
    assert b"".join(client.get("/data/reforms.json").streaming_content) == b"the worker's file"
    assert not list(kept.glob("*.part"))


@pytest.mark.django_db(transaction=True)
def test_a_client_that_accepts_gzip_is_sent_the_compressed_twin_the_worker_made(
    client, large, settings
):
    settings.PAGE_CACHE = False
    plain = downloads(client)
    gzip_client = {"Accept-Encoding": "gzip, deflate, br"}
    # Before the worker: the tables stream as they are read, uncompressed.
    before = client.get("/data/reforms.csv", headers=gzip_client)
    assert not before.has_header("Content-Encoding")

    call_command("run_worker", "--batch", verbosity=0)
    [kept] = [p for p in large.iterdir() if p.is_dir()]
    for address, (body, content_type) in plain.items():
        response = client.get(address, headers=gzip_client)
        sent = b"".join(response.streaming_content)
        assert response["Content-Type"] == content_type, address
        assert "Accept-Encoding" in response.get("Vary", "") or address.endswith(
            (".xlsx", ".csv-excel")
        )
        if address.endswith((".csv", ".json")):
            assert response["Content-Encoding"] == "gzip", address
            assert response["Content-Length"] == str(len(sent)), address
            assert gzip.decompress(sent) == body, address
            twin = kept / (address.removeprefix("/data/") + ".gz")
            assert sent == twin.read_bytes() and twin.stat().st_mode & 0o777 == 0o644
        else:  # a workbook is a zip already; CSV for Excel is the CSV after a mark
            assert not response.has_header("Content-Encoding"), address
            assert sent == body, address
    # gzip;q=0 refuses it; a client that asks for nothing is sent the file as it is.
    refused = client.get("/data/reforms.json", headers={"Accept-Encoding": "gzip;q=0"})
    assert not refused.has_header("Content-Encoding")
    assert b"".join(refused.streaming_content) == plain["/data/reforms.json"][0]

    # The page cache keeps what every client may be given: a compressed answer is not kept
    # under the address, and the next client that asks for no coding gets the file as it is.
    settings.PAGE_CACHE = True
    for headers in (gzip_client, {}, gzip_client):
        response = client.get("/data/reforms.csv", headers=headers)
        sent = response.getvalue()
        unpacked = gzip.decompress(sent) if response.has_header("Content-Encoding") else sent
        assert unpacked == plain["/data/reforms.csv"][0]
        assert response.has_header("ETag")
        if not headers:
            assert not response.has_header("Content-Encoding")
