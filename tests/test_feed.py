"""The Atom feed of reforms: what a feed reader gets after parsing the XML (issue 10, finding 5)."""

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.http import QueryDict
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.versions import snapshot
from reforms.feeds import ReformsFeed
from reforms.selectors import reform_filter_public
from tests.factories import RecommendationFactory, ReformFactory
from tests.plans import plan_of, postgresql_only

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


# --- Feeds follow the listing (issue 28, item 6) ---------------------------------------------


def _feed(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    root = ET.fromstring(response.content)
    return root, root.findall(f"{ATOM}entry")


def _titles(entries):
    return sorted(entry.find(f"{ATOM}title").text for entry in entries)


def test_the_reforms_feed_follows_every_listing_parameter(client):
    ReformFactory(published=True, title="Tenge float", area="economy")
    ReformFactory(published=True, title="Ombudsman office", area="human-rights")
    ReformFactory(title="Economy draft never syndicated", area="economy")
    root, entries = _feed(client, reverse("reforms:feed") + "?area=economy")
    assert _titles(entries) == ["Tenge float"]
    assert "Area: Economy" in root.find(f"{ATOM}title").text
    _, entries = _feed(client, reverse("reforms:feed") + "?q=ombudsman")
    assert _titles(entries) == ["Ombudsman office"]
    page = client.get(reverse("reforms:list") + "?area=economy").content.decode()
    assert 'href="/reforms/feed/?area=economy"' in page


def test_a_feed_refuses_what_the_listing_would_ignore(client):
    response = client.get(reverse("reforms:feed") + "?area=atlantis")
    assert response.status_code == 400
    assert "atlantis" in response.content.decode()


def test_the_recommendations_feed_lists_published_ones_of_the_listing(client):
    RecommendationFactory(published=True, title="To the West", audience="western")
    RecommendationFactory(published=True, title="To the government", audience="government")
    RecommendationFactory(title="Draft recommendation never syndicated", audience="western")
    _, entries = _feed(client, reverse("recommendations:feed"))
    assert _titles(entries) == ["To the West", "To the government"]
    _, entries = _feed(client, reverse("recommendations:feed") + "?audience=western")
    assert _titles(entries) == ["To the West"]


def test_an_edited_entry_is_updated_not_new(client, contributor, reviewer, publisher):
    def publish(entry):
        workflow.submit_for_review(entry, by=contributor)
        workflow.approve(entry, by=reviewer)
        workflow.publish(entry, by=publisher)
        entry.refresh_from_db()
        return entry

    reform = publish(ReformFactory(title="First version"))
    _, [entry] = _feed(client, reverse("reforms:feed"))
    first_published = entry.find(f"{ATOM}published").text
    first_id = entry.find(f"{ATOM}id").text

    save_edit(reform, {**snapshot(reform), "title": "Second version"}, by=contributor)
    _, [entry] = _feed(client, reverse("reforms:feed"))
    assert entry.find(f"{ATOM}title").text == "First version"  # the working copy is not public
    publish(reform)
    _, [entry] = _feed(client, reverse("reforms:feed"))
    assert entry.find(f"{ATOM}title").text == "Second version"
    assert entry.find(f"{ATOM}id").text == first_id
    assert entry.find(f"{ATOM}published").text == first_published
    assert entry.find(f"{ATOM}updated").text > first_published


@postgresql_only
@pytest.mark.parametrize("params", ["", "area=economy"])
def test_the_reforms_feed_reads_its_entries_in_order_from_an_index(params):
    """A feed is its newest changes (`published_at`), which the index reform_public_changed
    (reforms/0030) holds in that order: a feed reads its 50 entries there, where it sorted
    every published reform (3.2-4.1 s cold at 1M). Asked of the feed's own query, with the
    plans that would sort the rows turned off, as a few rows would make them cheapest."""
    ReformFactory.create_batch(3, published=True)
    feed = ReformsFeed()
    items = feed.items(reform_filter_public(params=QueryDict(params)))
    plan = plan_of(items, off=("seqscan", "bitmapscan", "sort"))
    assert "Index Scan using reform_public_changed on reforms_reform" in plan, plan
