"""The public record of corrections: each reform's and recommendation's public history (dates,
versions, changed fields, word diff, the publisher's note), and the site-wide recent changes and
their feed. Drafts, working copies, review comments and never-public sources never appear."""

import pytest
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.edits import save_edit
from institute.editorial.versions import snapshot
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ReformFactory,
    SourceFactory,
    TopicFactory,
)
from tests.support import admin_url, login

pytestmark = pytest.mark.django_db

LONG = "The law raises the threshold for registering a party from forty thousand members to fifty"


@pytest.fixture(autouse=True)
def _publish_without_second_reader(settings):
    settings.REVIEW_REQUIRES_APPROVAL = False


def publish(entry, contributor, publisher, note="", comment=""):
    workflow.submit_for_review(entry, by=contributor)
    return workflow.publish(entry, by=publisher, public_note=note, comment=comment)


def edit(entry, contributor, **changes):
    entry.refresh_from_db()
    save_edit(entry, {**snapshot(entry), **changes}, by=contributor)


@pytest.fixture
def reform(contributor, publisher):
    reform = ReformFactory(slug="party-law", title="Party law", summary=LONG + " thousand.")
    publish(reform, contributor, publisher, comment="Reviewer-only remark")
    edit(reform, contributor, title="Party registration law", summary=LONG + " five thousand.")
    publish(reform, contributor, publisher, note="Corrected the threshold")
    # Unpublished since: a working copy, and a citation of a source never made public.
    hidden = SourceFactory(slug="never-public-source", title="Never public source")
    edit(reform, contributor, title="Working copy secret")
    CitationFactory(reform=ReformFactory(slug="planted-draft"), source=hidden)
    return reform


def test_the_history_lists_published_versions_with_changes_and_notes(client, reform):
    detail = client.get(reverse("reforms:detail", kwargs={"slug": "party-law"})).content.decode()
    assert "First published" in detail and "last changed" in detail
    page = client.get(reverse("reforms:history", kwargs={"slug": "party-law"}))
    text = page.content.decode()
    assert "first published (version 1)" in text and "version 2 published" in text
    assert "Corrected the threshold" in text
    assert "<del>Party law</del> → <ins>Party registration law</ins>" in text
    assert "to fifty <ins>five</ins> thousand." in text  # the word diff of a long text
    for secret in ("Working copy secret", "Reviewer-only remark", "never-public", "planted-draft"):
        assert secret not in text
    assert reform.created_by is None or reform.created_by.username not in text


def test_a_draft_has_no_public_history(client, contributor):
    ReformFactory(slug="draft-only")
    assert client.get(reverse("reforms:history", kwargs={"slug": "draft-only"})).status_code == 404


def test_recommendations_have_a_history_too(client, contributor, publisher):
    recommendation = RecommendationFactory(slug="free-press", title="Free the press")
    publish(recommendation, contributor, publisher)
    text = client.get(
        reverse("recommendations:history", kwargs={"slug": "free-press"})
    ).content.decode()
    assert "first published" in text and "Free the press" in text


def test_recent_changes_and_feed(client, reform, contributor, publisher):
    archived = ReformFactory(slug="to-archive", title="To be archived", area="economy")
    publish(archived, contributor, publisher)
    workflow.archive(archived, by=publisher)
    page = client.get(reverse("changes")).content.decode()
    assert "Party registration law" in page and "Corrected the threshold" in page
    assert "To be archived" in page and "taken off the public site" in page
    for secret in ("Working copy secret", "planted-draft", "Reviewer-only remark"):
        assert secret not in page
    economy = client.get(reverse("changes"), {"area": "economy"}).content.decode()
    assert (
        "To be archived" in economy
        and "Party registration law" not in economy
        or (reform.area == "economy")
    )
    only_recommendations = client.get(reverse("changes"), {"type": "recommendation"})
    assert "Party registration law" not in only_recommendations.content.decode()
    bad = client.get(reverse("changes"), {"since": "soon", "area": "nowhere"}).content.decode()
    assert "Ignored since" in bad and "Ignored area" in bad
    feed = client.get(reverse("changes-feed")).content.decode()
    assert "Party registration law" in feed and "Corrected the threshold" in feed
    assert "Working copy secret" not in feed


def test_the_admin_publish_takes_a_public_note(client, contributor, publisher):
    reform = ReformFactory(slug="noted", title="Noted")
    workflow.submit_for_review(reform, by=contributor)
    login(client, publisher)
    response = client.post(
        admin_url(reform, "review", "publish"),
        {"comment": "private", "public_note": "Added the Russian translation"},
    )
    assert response.status_code == 302
    text = client.get(reverse("reforms:history", kwargs={"slug": "noted"})).content.decode()
    assert "Added the Russian translation" in text and "private" not in text


def test_recent_changes_filter_like_the_listings_on_what_the_public_saw(
    client, reform, contributor, publisher
):
    """`q` and a topic, read from the published versions: today's working copy is not searched
    (its words would find a change the public never saw)."""
    courts = TopicFactory(slug="courts", name="Courts")
    filed = ReformFactory(slug="filed-under-courts", title="Court fees cut")
    filed.topics.set([courts])
    publish(filed, contributor, publisher)

    def titles(**params):
        return client.get(reverse("changes"), params).content.decode()

    assert "Party registration law" in titles(q="threshold")
    assert "Party registration law" in titles(q="regist")  # a word's beginning, as on SQLite
    assert "Party registration law" not in titles(q="secret")  # only the working copy has it
    assert "Court fees cut" not in titles(q="threshold")
    by_topic = titles(topic="courts")
    assert "Court fees cut" in by_topic and "Party registration law" not in by_topic
    assert "Ignored topic" in titles(topic="no-such-topic")
    # A NUL is no slug: reported like any unknown value (PostgreSQL refused it in text: a 500).
    for address in (reverse("changes"), reverse("changes-feed")):
        response = client.get(address, {"topic": ["courts", "\x00"]})
        assert response.status_code == 200 and "Court fees cut" in response.content.decode()
    assert "Ignored topic" in titles(topic="court\x00s")
    feed = client.get(reverse("changes-feed"), {"topic": "courts"}).content.decode()
    assert "Court fees cut" in feed and "Party registration law" not in feed
    # The form keeps the filters it does not show.
    form = titles(topic="courts", q="fees")
    assert 'name="topic" value="courts"' in form and 'name="q" value="fees"' in form
