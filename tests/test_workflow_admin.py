"""The review workflow in the admin, over HTTP: the permission matrix, the buttons each role is
offered, actions, working copies of published entries, stale forms, the review queue."""

import pytest
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.models import PendingRevision, ReviewEvent
from institute.editorial.states import ReviewState
from reforms.models import Reform
from tests.factories import (
    CitationFactory,
    RecommendationFactory,
    ResponseFactory,
    SourceFactory,
    TopicFactory,
    entry_in_state,
)
from tests.support import (
    CASES,
    MATRIX,
    NO_REFORM_INLINE_ROWS,
    ROLE_NAMES,
    admin_url,
    case_id,
    change_form_data,
    login,
    messages_of,
)

pytestmark = pytest.mark.django_db


# --- the permission matrix over HTTP -----------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_permission_matrix_through_the_admin(case, client, make_role_user):
    kind, move, role = case
    start, end, allowed_roles = MATRIX[move]
    entry = entry_in_state(kind, start, approved=start == ReviewState.IN_REVIEW)
    login(client, make_role_user(role))
    # (confirmed: the answer to the page a destructive move asks again on)
    response = client.post(
        admin_url(entry, "review", move), {"comment": "Please fix the date.", "confirmed": "yes"}
    )
    entry.refresh_from_db()
    if role in allowed_roles:
        assert response.status_code == 302
        assert response["Location"] == admin_url(entry, "change")
        assert entry.review_state == end
        assert ReviewEvent.objects.for_entry(entry).count() == 1
    else:
        if role == "anonymous":
            assert response.status_code == 302
            assert reverse("admin:login") in response["Location"]
        else:
            assert response.status_code == 403
        assert entry.review_state == start
        assert not ReviewEvent.objects.for_entry(entry).exists()


@pytest.mark.parametrize("role", ROLE_NAMES)
@pytest.mark.parametrize(
    "state",
    [ReviewState.DRAFT, ReviewState.IN_REVIEW, ReviewState.PUBLISHED, ReviewState.ARCHIVED],
)
def test_change_page_offers_exactly_the_allowed_moves(client, make_role_user, role, state):
    entry = entry_in_state("reform", state, approved=state == ReviewState.IN_REVIEW)
    login(client, make_role_user(role))
    page = client.get(admin_url(entry, "change"))
    if role == "anonymous":
        assert page.status_code == 302
        return
    if role == "staff":
        assert page.status_code == 403
        return
    assert page.status_code == 200
    offered = {m["name"] for m in page.context["review"]["moves"]}
    expected = {
        move for move, (start, _end, roles) in MATRIX.items() if start == state and role in roles
    }
    assert offered == expected
    html = page.content.decode()
    for move in MATRIX:
        assert (f'data-move="{move}"' in html) == (move in expected)


def test_a_refused_move_from_the_wrong_state_says_why_and_changes_nothing(client, superuser):
    reform = entry_in_state("reform", ReviewState.DRAFT)
    login(client, superuser)
    response = client.post(admin_url(reform, "review", "publish"))
    assert response.status_code == 302
    assert any("from draft to published" in m for m in messages_of(response))
    reform.refresh_from_db()
    assert reform.review_state == "draft"
    assert not ReviewEvent.objects.for_entry(reform).exists()


def test_a_reviewer_takes_an_entry_with_the_panels_assign_to_me(client, reviewer):
    """The button as the review panel posts it: the one form, its comment box and its public
    note's field with it, to the move's own address."""
    reform = entry_in_state("reform", ReviewState.IN_REVIEW)
    login(client, reviewer)
    assert 'data-move="assign_me"' in client.get(admin_url(reform, "change")).content.decode()
    response = client.post(
        admin_url(reform, "review", "assign_me"), {"comment": "I will read it.", "public_note": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == admin_url(reform, "change")
    assert "You are this entry's reviewer." in messages_of(response)
    reform.refresh_from_db()
    assert (reform.assigned_reviewer, reform.review_state) == (reviewer, ReviewState.IN_REVIEW)
    event = ReviewEvent.objects.for_entry(reform).get()
    assert (event.action, event.actor, event.comment) == ("assign", reviewer, "I will read it.")
    # Theirs now: the button is not offered again.
    assert 'data-move="assign_me"' not in client.get(admin_url(reform, "change")).content.decode()


def test_moves_take_post_only(client, superuser):
    reform = entry_in_state("reform", ReviewState.DRAFT)
    login(client, superuser)
    assert client.get(admin_url(reform, "review", "submit")).status_code == 405
    assert client.post(admin_url(reform, "review", "fly")).status_code == 404


# --- actions -----------------------------------------------------------------------------------


def changelist_actions(client) -> set[str]:
    page = client.get(reverse("admin:reforms_reform_changelist"))
    assert page.status_code == 200
    form = page.context["action_form"]
    if form is None:  # no action at all: the admin shows no action bar
        return set()
    return {name for name, _label in form.fields["action"].choices if name}


@pytest.mark.parametrize(
    ("role", "actions"),
    [
        ("contributor", {"submit_selected"}),
        ("reviewer", set()),
        ("publisher", {"publish_selected", "archive_selected", "reopen_selected"}),
        (
            "superuser",
            {
                "submit_selected",
                "publish_selected",
                "archive_selected",
                "reopen_selected",
                "delete_selected",
            },
        ),
    ],
)
def test_changelist_offers_only_the_actions_of_the_role(client, make_role_user, role, actions):
    login(client, make_role_user(role))
    assert changelist_actions(client) == actions


def test_publish_action_goes_through_the_service_per_entry(client, publisher):
    ready = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True)
    unapproved = entry_in_state("reform", ReviewState.IN_REVIEW)
    draft = entry_in_state("reform", ReviewState.DRAFT)
    login(client, publisher)
    response = client.post(
        reverse("admin:reforms_reform_changelist"),
        {"action": "publish_selected", "_selected_action": [ready.pk, unapproved.pk, draft.pk]},
    )
    assert response.status_code == 302
    for entry in (ready, unapproved, draft):
        entry.refresh_from_db()
    assert (ready.review_state, unapproved.review_state, draft.review_state) == (
        "published",
        "in-review",
        "draft",
    )
    notes = messages_of(response)
    assert any("done for 1" in m for m in notes)
    assert any(draft.title in m and "from draft to published" in m for m in notes)
    assert any(unapproved.title in m and "no approval" in m for m in notes)


def test_a_contributor_cannot_run_the_publish_action(client, contributor):
    ready = entry_in_state("reform", ReviewState.IN_REVIEW)
    login(client, contributor)
    client.post(
        reverse("admin:reforms_reform_changelist"),
        {"action": "publish_selected", "_selected_action": [ready.pk]},
    )
    ready.refresh_from_db()
    assert ready.review_state == "in-review"


# --- forms: review_state, editing rights, stale forms -------------------------------------------


def test_posted_review_state_is_ignored_on_add(client, contributor):
    login(client, contributor)
    response = client.post(
        reverse("admin:reforms_reform_add"),
        {
            "title": "Sneaky",
            "slug": "sneaky",
            "summary": "Two sentences. Here.",
            "area": "economy",
            "status": "adopted",
            "review_state": "published",
            "published_at": "2020-01-01 00:00",
            **NO_REFORM_INLINE_ROWS,
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    reform = Reform.objects.get(slug="sneaky")
    assert reform.review_state == "draft" and reform.published_at is None
    assert reform.created_by == contributor
    assert not Reform.objects.published().filter(slug="sneaky").exists()


def test_posted_review_state_is_ignored_on_change(client, contributor):
    reform = entry_in_state("reform", ReviewState.DRAFT)
    login(client, contributor)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data.update({"title": "Retitled", "review_state": "published"})
    response = client.post(admin_url(reform, "change"), data)
    assert response.status_code == 302
    reform.refresh_from_db()
    assert (reform.title, reform.review_state) == ("Retitled", "draft")


def test_a_contributor_cannot_edit_while_in_review(client, contributor):
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, title="Under review")
    login(client, contributor)
    page = client.get(admin_url(reform, "change"))
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert 'name="_save"' not in page.content.decode()
    data = {"title": "Changed behind the reviewer's back", "slug": reform.slug}
    assert client.post(admin_url(reform, "change"), data).status_code == 403
    reform.refresh_from_db()
    assert reform.title == "Under review"


def test_staff_without_a_group_sees_nothing_editable(client, make_role_user):
    login(client, make_role_user("staff"))
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []
    assert client.get(reverse("admin:reforms_reform_changelist")).status_code == 403
    assert client.get(reverse("admin:institute_review_queue")).status_code == 403


def test_a_stale_form_is_refused_and_nothing_is_lost(client, contributor, superuser):
    reform = entry_in_state("reform", ReviewState.DRAFT, title="Original")
    login(client, contributor)
    data = change_form_data(client.get(admin_url(reform, "change")))
    # Someone else saves in between.
    other = type(client)()
    other.force_login(superuser)
    theirs = change_form_data(other.get(admin_url(reform, "change")))
    theirs["title"] = "Their edit"
    assert other.post(admin_url(reform, "change"), theirs).status_code == 302
    data["title"] = "My edit"
    response = client.post(admin_url(reform, "change"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Someone else saved this entry" in html
    assert 'value="My edit"' in html  # the user's input is still in the form
    reform.refresh_from_db()
    assert reform.title == "Their edit"


# --- published entries: working copies ---------------------------------------------------------


def test_editing_a_published_entry_leaves_the_public_page_alone_until_published(
    client, contributor, reviewer, publisher
):
    source = SourceFactory(title="The decree")
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Public title")
    CitationFactory(reform=reform, source=source, locator="p. 1")
    login(client, contributor)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data["title"] = "Working title"
    data["citations-0-locator"] = "p. 2"
    response = client.post(admin_url(reform, "change"), data, follow=True)
    assert any("working copy" in m for m in messages_of(response))

    reform.refresh_from_db()
    assert reform.title == "Public title"
    assert reform.review_state == "published"
    assert list(reform.citations.values_list("locator", flat=True)) == ["p. 1"]
    public = client.get(reform.get_absolute_url()).content.decode()
    assert "Public title" in public and "Working title" not in public

    # The admin shows the working copy, and reopening the form keeps it.
    page = client.get(admin_url(reform, "change"))
    assert page.context["adminform"].form.initial["title"] == "Working title"
    again = change_form_data(page)
    assert again["citations-0-locator"] == "p. 2"
    again["summary"] = "A changed summary. Still two sentences."
    assert client.post(admin_url(reform, "change"), again).status_code == 302
    assert PendingRevision.objects.for_entry(reform).get().data["title"] == "Working title"

    # Submit, review: the reviewer sees the diff against the published version.
    client.post(admin_url(reform, "review", "submit"))
    login(client, reviewer)
    page = client.get(admin_url(reform, "change"))
    changed = {c.name: c for c in page.context["review"]["changes"]}
    assert set(changed) == {"title", "summary", "citations"}
    assert (changed["title"].old, changed["title"].new) == ("Public title", "Working title")
    assert changed["citations"].removed == ["The decree — locator: p. 1"]
    assert changed["citations"].added == ["The decree — locator: p. 2"]
    html = page.content.decode()
    assert 'data-field="title"' in html and "Working title" in html
    assert "Public title" in client.get(reform.get_absolute_url()).content.decode()
    assert client.post(admin_url(reform, "review", "approve")).status_code == 302

    # Publish: the public page shows it now, and the working copy is gone.
    login(client, publisher)
    client.post(admin_url(reform, "review", "publish"))
    reform.refresh_from_db()
    assert reform.title == "Working title"
    assert list(reform.citations.values_list("locator", flat=True)) == ["p. 2"]
    assert not PendingRevision.objects.for_entry(reform).exists()
    public = client.get(reform.get_absolute_url()).content.decode()
    assert "Working title" in public


def test_a_working_copy_edits_topics_and_responses_too(client, superuser, reviewer):
    old_topic, new_topic = TopicFactory(name="Old topic"), TopicFactory(name="New topic")
    reform = entry_in_state("reform", ReviewState.PUBLISHED, topics=[old_topic])
    kept = ResponseFactory(reform=reform, note="Kept")
    CitationFactory(response=kept)  # a response's own citations survive a publish
    dropped = ResponseFactory(reform=reform, note="Dropped")
    added = RecommendationFactory(title="Newly answered")
    login(client, superuser)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data["topics"] = [str(new_topic.pk)]
    dropped_id = next(
        k
        for k, v in data.items()
        if k.startswith("responses-") and k.endswith("-id") and v == str(dropped.pk)
    )
    data[dropped_id.replace("-id", "-DELETE")] = "on"
    total = int(data["responses-TOTAL_FORMS"])
    data[f"responses-{total}-recommendation"] = str(added.pk)
    data[f"responses-{total}-note"] = "New answer"
    data["responses-TOTAL_FORMS"] = str(total + 1)
    assert client.post(admin_url(reform, "change"), data).status_code == 302
    assert list(reform.topics.all()) == [old_topic]
    assert reform.responses.count() == 2
    page = client.get(admin_url(reform, "change"))
    changed = {c.name: c for c in page.context["review"]["changes"]}
    assert changed["topics"].added == ["New topic"] and changed["topics"].removed == ["Old topic"]
    assert any("Newly answered" in line for line in changed["responses"].added)
    client.post(admin_url(reform, "review", "submit"))
    workflow.approve(reform, by=reviewer)
    client.post(admin_url(reform, "review", "publish"))
    assert list(reform.topics.all()) == [new_topic]
    notes = sorted(reform.responses.values_list("note", flat=True))
    assert notes == ["Kept", "New answer"]
    assert kept.citations.count() == 1


def test_archiving_folds_the_working_copy_into_the_row(client, contributor, publisher):
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Public")
    login(client, contributor)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data["title"] = "Unreviewed"
    client.post(admin_url(reform, "change"), data)
    login(client, publisher)
    client.post(admin_url(reform, "review", "archive"), {"confirmed": "yes"})
    reform.refresh_from_db()
    assert (reform.review_state, reform.title) == ("archived", "Unreviewed")
    assert not PendingRevision.objects.for_entry(reform).exists()
    assert client.get(reform.get_absolute_url()).status_code == 404


def test_the_diff_of_a_never_published_entry_is_against_its_previous_version(client, superuser):
    reform = entry_in_state("reform", ReviewState.DRAFT, title="First")
    login(client, superuser)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data["title"] = "Second"
    client.post(admin_url(reform, "change"), data)
    client.post(admin_url(reform, "review", "submit"))
    page = client.get(admin_url(reform, "change"))
    review = page.context["review"]
    assert "previous version" in str(review["base_label"])
    assert [(c.name, c.old, c.new) for c in review["changes"]] == [("title", "First", "Second")]


# --- the review queue ---------------------------------------------------------------------------


def test_review_queue_lists_entries_in_review_with_filters(
    client, contributor, reviewer, make_role_user
):
    from institute.editorial import workflow

    other = make_role_user("contributor", username="other-contributor")
    mine = entry_in_state("reform", ReviewState.DRAFT, title="Mine in review", area="economy")
    theirs = entry_in_state(
        "reform", ReviewState.DRAFT, title="Theirs in review", area="human-rights"
    )
    entry_in_state("reform", ReviewState.DRAFT, title="Still a draft")
    rec = entry_in_state("recommendation", ReviewState.DRAFT, title="A recommendation")
    published = entry_in_state("source", ReviewState.PUBLISHED, title="Published source")
    workflow.submit_for_review(mine, by=contributor)
    workflow.submit_for_review(theirs, by=other)
    workflow.submit_for_review(rec, by=other)
    PendingRevision.objects.create(
        content_type_id=__import__("django.contrib.contenttypes.models", fromlist=["ContentType"])
        .ContentType.objects.get_for_model(published)
        .pk,
        object_id=published.pk,
        data={"title": "Published source (edited)"},
        state=ReviewState.IN_REVIEW,
        base_version=1,
    )
    workflow.assign_reviewer(theirs, by=reviewer, reviewer=reviewer)

    def titles(user, **params):
        login(client, user)
        page = client.get(reverse("admin:institute_review_queue"), params)
        assert page.status_code == 200
        return {str(row["entry"]) for row in page.context["rows"]}

    assert titles(reviewer) == {
        "Mine in review",
        "Theirs in review",
        "A recommendation",
        "Published source",
    }
    assert titles(reviewer, whose="assigned") == {"Theirs in review"}
    assert titles(contributor, whose="mine") == {"Mine in review"}
    assert titles(reviewer, area="human-rights") == {"Theirs in review"}
    assert titles(reviewer, kind="recommendation") == {"A recommendation"}
    assert titles(reviewer, state="draft") == {"Still a draft"}
    # The entries an import wrote, by id; a value that is not one is left out, not a 500 (a
    # superscript passes Python's isdigit() but not int()).
    named = f"²,{mine.pk},x"
    assert titles(reviewer, kind="reform", ids=named) == {"Mine in review"}
    page = client.get(reverse("admin:institute_review_queue"))
    html = page.content.decode()
    assert "other-contributor" in html  # who submitted it
    assert "working copy of a published entry" in html


def test_review_queue_is_paginated_oldest_first_keeping_its_filters(client, reviewer):
    from datetime import timedelta

    from django.utils import timezone

    from institute.editorial.review_admin import ReviewEventAdmin

    per_page = ReviewEventAdmin.queue_per_page
    start = timezone.now() - timedelta(days=1)
    for n in range(per_page + 3):
        entry_in_state(
            "source",
            ReviewState.IN_REVIEW,
            title=f"Source {n:03}",
            submitted_at=start + timedelta(minutes=n),
        )
    entry_in_state("reform", ReviewState.IN_REVIEW, title="A reform")
    login(client, reviewer)
    queue = reverse("admin:institute_review_queue")

    first = client.get(queue, {"kind": "source"})
    assert [str(row["entry"]) for row in first.context["rows"]] == [
        f"Source {n:03}" for n in range(per_page)
    ]
    html = first.content.decode()
    assert f"Page 1 of 2 ({per_page + 3} entries)" in html
    assert 'href="?kind=source&amp;page=2" rel="next"' in html
    second = client.get(queue, {"kind": "source", "page": "2"})
    assert [str(row["entry"]) for row in second.context["rows"]] == [
        f"Source {n:03}" for n in range(per_page, per_page + 3)
    ]
    assert 'href="?kind=source&amp;page=1" rel="prev"' in second.content.decode()
    # A page past the end, or not a number, is the last or the first page, not an error.
    assert client.get(queue, {"kind": "source", "page": "9"}).context["page"].number == 2
    assert client.get(queue, {"kind": "source", "page": "x"}).context["page"].number == 1


def test_contributors_see_the_state_of_their_work_at_a_glance(client, contributor, reviewer):
    from institute.editorial import workflow

    reform = entry_in_state("reform", ReviewState.DRAFT, title="My reform", created_by=contributor)
    workflow.submit_for_review(reform, by=contributor)
    workflow.request_changes(reform, by=reviewer, comment="Add the decree number")
    login(client, contributor)
    page = client.get(reverse("admin:reforms_reform_changelist"), {"whose": "mine"})
    html = page.content.decode()
    assert "My reform" in html and "Changes requested" in html
    change = client.get(admin_url(reform, "change")).content.decode()
    assert "Add the decree number" in change  # the review log with the comment
    assert 'data-move="submit"' in change


def test_response_admin_is_read_only_even_for_superusers(client, contributor, superuser):
    response = ResponseFactory()
    url = reverse("admin:reforms_response_change", args=[response.pk])
    for user in (contributor, superuser):
        login(client, user)
        assert client.get(url).context["has_change_permission"] is False
        assert client.post(url, {"note": "Changed"}).status_code == 403


def test_the_confirmation_names_the_move_it_asks_about(client, publisher):
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Public")
    login(client, publisher)
    page = client.post(admin_url(reform, "review", "archive")).content.decode()
    assert "<strong>Archive (unpublish)</strong> takes" in page
    assert "Yes, archive (unpublish)</button>" in page
    russian = client.post("/ru" + admin_url(reform, "review", "archive")).content.decode()
    assert "<strong>Архивировать (снять с публикации)</strong>" in russian
    assert "Да, архивировать (снять с публикации)</button>" in russian
    reform.refresh_from_db()
    assert reform.review_state == ReviewState.PUBLISHED  # asked, not done
