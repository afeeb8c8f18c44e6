"""If-Modified-Since with a date after now is treated as absent on every surface that answers
conditional GETs (issue 23, item 8): the API and the static files WhiteNoise serves; the
downloads, which answer in full anyway, are held to it too. A client holding such a date (a
clock gone wrong, a hand-written header) would otherwise be told "not modified" about content
it never saw, and keep being told so until that date. If-None-Match and a past or present
If-Modified-Since work as before."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.http import http_date

from tests.factories import ReformFactory, SourceFactory, TopicFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/"
FUTURE = http_date((timezone.now() + datetime.timedelta(days=365)).timestamp())


@pytest.fixture
def content():
    TopicFactory(slug="budget", name="Budget")
    SourceFactory(published=True, slug="a-source", title="A source")
    ReformFactory(published=True, slug="a-reform", title="A reform")


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize(
    "url, shows",
    [
        (f"{API}reforms/", b'"slug":"a-reform"'),
        (f"{API}reforms/a-reform/", b'"slug":"a-reform"'),
        (f"{API}sources/", b'"slug":"a-source"'),
        (f"{API}topics/", b'"slug":"budget"'),
    ],
    ids=["api-list", "api-record", "api-sources", "api-topics"],
)
def test_the_api_answers_a_future_if_modified_since_in_full(client, content, url, shows):
    first = client.get(url)
    assert first.status_code == 200
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    future = client.get(url, HTTP_IF_MODIFIED_SINCE=FUTURE)
    assert future.status_code == 200
    assert shows in future.content
    assert future["ETag"] == first["ETag"] and future["Last-Modified"] == first["Last-Modified"]
    # The ETag still decides when both are sent, as before.
    both = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_IF_MODIFIED_SINCE=FUTURE)
    assert both.status_code == 304


def test_a_static_file_answers_a_future_if_modified_since_in_full(client, settings):
    # The finders' files, as `make run` serves them; tests have no collectstatic folder.
    settings.WHITENOISE_USE_FINDERS = True
    url = f"{settings.STATIC_URL}css/site.css"  # "/static/": Django adds the slash
    first = client.get(url)
    assert first.status_code == 200
    css = body_of(first)
    assert css
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    future = client.get(url, HTTP_IF_MODIFIED_SINCE=FUTURE)
    assert future.status_code == 200
    assert body_of(future) == css


@pytest.mark.parametrize(
    "url, starts",
    [
        (reverse("data-package"), b"PK"),
        (reverse("data-table", kwargs={"table": "reforms", "fmt": "csv"}), b"slug,title,"),
        (reverse("reforms:feed"), b"<?xml"),
    ],
    ids=["data-package", "data-table", "feed"],
)
def test_downloads_answer_a_future_if_modified_since_in_full(
    client, content, settings, tmp_path, url, starts
):
    """They send no validators today, so they never answer 304; this keeps a future date from
    making them do so should they start to (Django's ConditionalGetMiddleware, `condition`)."""
    settings.DATA_PACKAGE_DIR = tmp_path
    response = client.get(url, HTTP_IF_MODIFIED_SINCE=FUTURE)
    assert response.status_code == 200
    assert body_of(response).startswith(starts)
