"""The Atom feed of reforms: what a feed reader gets after parsing the XML (issue 10, finding 5)."""

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.factories import ReformFactory

ATOM = "{http://www.w3.org/2005/Atom}"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"

pytestmark = pytest.mark.django_db


class _Html(HTMLParser):
    """What a browser would build from a string: its elements and its visible text."""

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.tags, self.text = [], []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def _entries(client):
    response = client.get(reverse("reforms:feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def _as_the_reader_shows_it(element):
    """(elements, visible text) of an Atom text construct, by its type (RFC 4287 3.1)."""
    kind = element.get("type", "text")
    if kind == "text":
        return [], element.text or ""
    assert kind == "html", kind
    parsed = _Html(element.text or "")
    return parsed.tags, "".join(parsed.text)


def test_markup_in_a_title_or_summary_reaches_the_reader_as_text(client):
    ReformFactory(
        published=True,
        title=f"Hostile title {SCRIPT} {IMG}",
        summary=f"Hostile summary {SCRIPT} and {IMG} & more.",
    )
    [entry] = _entries(client)

    tags, text = _as_the_reader_shows_it(entry.find(f"{ATOM}title"))
    assert tags == []
    assert text == f"Hostile title {SCRIPT} {IMG}"

    summary = entry.find(f"{ATOM}summary")
    tags, text = _as_the_reader_shows_it(summary)
    assert "script" not in tags and "img" not in tags
    assert tags == []
    assert f"Hostile summary {SCRIPT} and {IMG} & more." in text
    if summary.get("type") == "html":
        assert "&lt;script&gt;" in summary.text and "<script" not in summary.text


def test_the_feed_lists_only_published_reforms(client):
    ReformFactory(published=True, title="A published reform in the feed")
    ReformFactory(title="Zanzibar draft never to be syndicated")
    ReformFactory(in_review=True, title="Quixotic reform under review")
    titles = [entry.find(f"{ATOM}title").text for entry in _entries(client)]
    assert titles == ["A published reform in the feed"]
