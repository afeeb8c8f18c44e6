"""History: one version per save (admin, import, revert), compare any two, revert as a new
version; and the public never sees drafts or working copies."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.models import EntryVersion, PendingRevision, ReviewEvent
from institute.editorial.states import ReviewState
from institute.editorial.versions import snapshot
from recommendations.models import Recommendation
from reforms.models import Reform
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ResponseFactory,
    SourceFactory,
    TopicFactory,
    entry_in_state,
)
from tests.support import NO_REFORM_INLINE_ROWS, admin_url, change_form_data, login, messages_of

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parent.parent / "fixtures" / "content"


def save(client, entry, **changes):
    data = change_form_data(client.get(admin_url(entry, "change")))
    data.update(changes)
    response = client.post(admin_url(entry, "change"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def test_one_version_per_save_with_who_and_when(client, contributor):
    login(client, contributor)
    client.post(
        reverse("admin:reforms_reform_add"),
        {
            "title": "Version one",
            "slug": "versioned",
            "summary": "Two sentences. Here.",
            "area": "economy",
            "status": "adopted",
            **NO_REFORM_INLINE_ROWS,
        },
    )
    reform = Reform.objects.get(slug="versioned")
    save(client, reform, title="Version two")
    save(client, reform, title="Version three")
    versions = list(EntryVersion.objects.for_entry(reform))
    assert [(v.number, v.kind, v.data["title"]) for v in versions] == [
        (3, "edited", "Version three"),
        (2, "edited", "Version two"),
        (1, "created", "Version one"),
    ]
    assert {v.created_by for v in versions} == {contributor}
    reform.refresh_from_db()
    assert reform.version == 3


def test_working_copy_saves_are_versions_too(client, contributor):
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Public")
    login(client, contributor)
    save(client, reform, title="Copy one")
    save(client, reform, title="Copy two")
    versions = list(EntryVersion.objects.for_entry(reform))
    assert [(v.number, v.kind, v.working_copy, v.data["title"]) for v in versions] == [
        (3, "working-copy", True, "Copy two"),
        (2, "working-copy", True, "Copy one"),
        (1, "baseline", False, "Public"),
    ]


def test_revert_restores_exactly_as_a_new_version(client, contributor, publisher):
    first_topic, second_topic = TopicFactory(), TopicFactory()
    source = SourceFactory()
    reform = entry_in_state(
        "reform", ReviewState.DRAFT, title="Before", status="announced", topics=[first_topic]
    )
    CitationFactory(reform=reform, source=source, locator="p. 1", quote="As it was")
    ResponseFactory(reform=reform, note="Answer as it was")
    login(client, contributor)
    original = snapshot(reform)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data.update(
        {
            "title": "After",
            "status": "reversed",
            "topics": [str(second_topic.pk)],
            "citations-0-locator": "p. 9",
            "citations-0-quote": "Changed",
            "responses-0-note": "Answer changed",
        }
    )
    client.post(admin_url(reform, "change"), data)
    reform.refresh_from_db()
    assert snapshot(reform) != original
    history_before = list(EntryVersion.objects.for_entry(reform).values("number", "data"))

    login(client, contributor)
    assert client.post(admin_url(reform, "revert", 1)).status_code == 403
    login(client, publisher)
    response = client.post(admin_url(reform, "revert", 1))
    assert response.status_code == 302
    reform.refresh_from_db()
    assert snapshot(reform) == original
    assert reform.version == 3
    latest = EntryVersion.objects.for_entry(reform).first()
    assert (latest.number, latest.kind, latest.data) == (3, "reverted", original)
    # History is never rewritten: the earlier versions are as they were.
    assert (
        list(EntryVersion.objects.for_entry(reform).filter(number__lt=3).values("number", "data"))
        == history_before
    )
    assert ReviewEvent.objects.for_entry(reform).get().action == "revert"


def test_reverting_a_published_entry_goes_through_review(client, publisher, contributor, reviewer):
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Good title")
    login(client, contributor)
    save(client, reform, title="Bad title")
    login(client, publisher)
    # Archiving folds the copy: the row is "Bad title".
    client.post(admin_url(reform, "review", "archive"), {"confirmed": "yes"})
    client.post(admin_url(reform, "review", "reopen"))
    reform.refresh_from_db()
    assert reform.title == "Bad title"
    workflow.submit_for_review(reform, by=contributor)
    workflow.approve(reform, by=reviewer)
    workflow.publish(reform, by=publisher)
    reform.refresh_from_db()
    assert reform.title == "Bad title" and reform.review_state == "published"

    response = client.post(admin_url(reform, "revert", 1))
    assert any("in review" in m for m in messages_of(response))
    reform.refresh_from_db()
    assert reform.title == "Bad title"  # the public page has not changed yet
    revision = PendingRevision.objects.for_entry(reform).get()
    assert (revision.state, revision.data["title"]) == ("in-review", "Good title")
    assert "Bad title" in client.get(reform.get_absolute_url()).content.decode()
    # The publisher who restored it is its author now: another reviewer approves.
    workflow.approve(reform, by=reviewer)
    client.post(admin_url(reform, "review", "publish"))
    reform.refresh_from_db()
    assert reform.title == "Good title"
    assert "Good title" in client.get(reform.get_absolute_url()).content.decode()


def test_a_revert_to_the_published_version_discards_the_working_copy(
    client, publisher, contributor, reviewer
):
    """Undoing a working copy by restoring the published version leaves nothing to review: the
    entry is back to published, out of the queue, and its history says the copy went."""
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Good title")
    login(client, contributor)
    save(client, reform, title="Bad title")
    client.post(admin_url(reform, "review", "submit"))
    workflow.approve(reform, by=reviewer)
    login(client, publisher)
    queue = reverse("admin:institute_review_queue")
    assert [row["entry"].pk for row in client.get(queue).context["rows"]] == [reform.pk]

    response = client.post(admin_url(reform, "revert", 1))
    assert response.status_code == 302
    assert any("the working copy was discarded" in m for m in messages_of(response))
    assert not PendingRevision.objects.for_entry(reform).exists()
    reform.refresh_from_db()
    assert (reform.title, reform.review_state, reform.version) == ("Good title", "published", 3)
    assert not reform.is_approved
    assert client.get(queue).context["rows"] == []
    page = client.get(admin_url(reform, "change"))
    assert page.context["review"]["state"] == ReviewState.PUBLISHED
    assert page.context["review"]["revision"] is None
    latest = EntryVersion.objects.for_entry(reform).first()
    assert (latest.number, latest.kind, latest.working_copy) == (3, "reverted", False)
    assert latest.data == snapshot(reform)
    assert "the working copy was discarded" in latest.comment
    event = ReviewEvent.objects.for_entry(reform).first()
    assert (event.action, event.from_state, event.to_state, event.on_working_copy) == (
        "revert",
        "in-review",
        "published",
        True,
    )
    assert "the working copy was discarded" in event.comment
    history = client.get(admin_url(reform, "history")).content.decode()
    assert "the working copy was discarded" in history
    # Again, with no working copy left: nothing to discard, nothing queued.
    response = client.post(admin_url(reform, "revert", 1))
    assert any("nothing changed, nothing to review" in m for m in messages_of(response))
    assert not PendingRevision.objects.for_entry(reform).exists()
    assert "nothing to review" in EntryVersion.objects.for_entry(reform).first().comment


def test_history_page_lists_versions_and_compare_shows_the_changed_field(client, superuser):
    reform = entry_in_state("reform", ReviewState.DRAFT, title="Old title")
    login(client, superuser)
    save(client, reform, title="New title")
    page = client.get(admin_url(reform, "history"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Old title" in html and "New title" in html and "admin" in html
    assert [v.number for v in page.context["versions"]] == [2, 1]
    compare = client.get(admin_url(reform, "compare"), {"a": 1, "b": 2})
    assert compare.status_code == 200
    changes = compare.context["changes"]
    assert [(c.name, c.old, c.new) for c in changes] == [("title", "Old title", "New title")]
    html = compare.content.decode()
    assert 'data-field="title"' in html and "Old title" in html and "New title" in html


def test_history_offers_revert_to_publishers_only(client, contributor, reviewer, publisher):
    reform = entry_in_state("reform", ReviewState.DRAFT)
    login(client, contributor)
    save(client, reform, title="Edited once")
    for user, can in ((contributor, False), (reviewer, False), (publisher, True)):
        login(client, user)
        page = client.get(admin_url(reform, "history"))
        assert page.context["can_revert"] is can
        assert ("Revert to this" in page.content.decode()) is can


def test_content_load_records_history_and_publishes_through_the_workflow(db):
    call_command("load_content", str(CONTENT))
    reform = Reform.objects.first()
    version = EntryVersion.objects.for_entry(reform).get()
    assert version.kind == "imported" and version.data == snapshot(reform)
    event = ReviewEvent.objects.for_entry(reform).get()
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        "publish",
        "draft",
        "published",
        None,
    )
    # The recorded version has the entry complete, with the responses it owns; a
    # recommendation's does not carry them (they are its reforms' rows).
    answering = Reform.objects.filter(responses__isnull=False).first()
    assert EntryVersion.objects.for_entry(answering).get().data["responses"]
    rec = Recommendation.objects.filter(responses__isnull=False).first()
    assert "responses" not in EntryVersion.objects.for_entry(rec).get().data
    counts = (EntryVersion.objects.count(), ReviewEvent.objects.count())
    call_command("load_content", str(CONTENT))
    assert (EntryVersion.objects.count(), ReviewEvent.objects.count()) == counts


# --- what the public sees ------------------------------------------------------------------------


def test_public_pages_never_show_drafts_or_working_copies(client, superuser):
    published = entry_in_state("reform", ReviewState.PUBLISHED, title="Published reform")
    rec = RecommendationFactory(title="Published rec", published=True)
    ResponseFactory(reform=published, recommendation=rec, note="Live answer")
    for state in ("draft", "in-review", "changes-requested", "archived"):
        entry_in_state("reform", state, title=f"Hidden {state} reform")
    login(client, superuser)
    save(client, published, title="Unpublished working title")
    client.logout()
    pages = [
        client.get(reverse("reforms:list")),
        client.get(published.get_absolute_url()),
        client.get(reverse("recommendations:list")),
        client.get(rec.get_absolute_url()),
        client.get(reverse("home")),
    ]
    for page in pages:
        assert page.status_code == 200
        html = page.content.decode()
        assert "Hidden" not in html
        assert "Unpublished working title" not in html
    assert "Published reform" in pages[1].content.decode()
    for state in ("draft", "in-review", "changes-requested", "archived"):
        hidden = Reform.objects.get(title=f"Hidden {state} reform")
        assert client.get(hidden.get_absolute_url()).status_code == 404


def test_reverting_to_a_version_whose_topic_is_gone_is_refused_with_a_message(client, superuser):
    gone = TopicFactory(name="Gone topic")
    reform = entry_in_state("reform", ReviewState.DRAFT, title="With topic", topics=[gone])
    login(client, superuser)
    save(client, reform, title="Without topic", topics=[])
    gone.delete()
    response = client.post(admin_url(reform, "revert", 1))
    assert any("no longer exist" in m for m in messages_of(response))
    reform.refresh_from_db()
    assert (reform.title, reform.version) == ("Without topic", 2)
    assert EntryVersion.objects.for_entry(reform).count() == 2
