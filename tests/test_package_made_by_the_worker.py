"""A large data package is made by the worker after each change, never by a visitor's request:
until it is made, /data/package.zip is a 503 that says so (with Retry-After) and /data/ says the
package is being made, kept by no cache; the worker's pass makes the package of the content as
it is now, which a draft never reaches. A small one is still made by the request that asks."""

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
