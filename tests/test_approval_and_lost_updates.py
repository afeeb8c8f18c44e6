"""Publishing takes an approval of the version in review by someone other than its author, and
a change form that does not say which version it was opened at is refused (no lost update)."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.models import PendingRevision, ReviewAction, ReviewEvent
from institute.editorial.states import ReviewState
from tests.factories import SourceFactory, UserFactory, entry_in_state
from tests.support import KINDS, admin_url, entry_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer_reviewer(make_role_user):
    """Someone who both writes and reviews: the case self-approval is about."""
    user = make_role_user("contributor", username="writer-reviewer")
    user.groups.add(Group.objects.get(name="reviewer"))
    return user


# --- finding 9: approval before publish -------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_publish_without_an_approval_is_refused_and_writes_nothing(kind, publisher):
    entry = entry_in_state(kind, ReviewState.IN_REVIEW)
    with pytest.raises(ValidationError) as excinfo:
        workflow.publish(entry, by=publisher)
    assert "no approval" in " ".join(excinfo.value.messages)
    entry.refresh_from_db()
    assert entry.review_state == ReviewState.IN_REVIEW
    assert not ReviewEvent.objects.for_entry(entry).exists()


@pytest.mark.parametrize("kind", KINDS)
def test_approval_by_another_reviewer_makes_it_publishable(kind, contributor, reviewer, publisher):
    entry = entry_in_state(kind, ReviewState.DRAFT)
    workflow.submit_for_review(entry, by=contributor)
    workflow.approve(entry, by=reviewer, comment="Checked against the report.")
    entry.refresh_from_db()
    assert entry.review_state == ReviewState.IN_REVIEW
    assert (entry.approved_by, entry.approved_version, entry.is_approved) == (
        reviewer,
        entry.version,
        True,
    )
    assert "publish" in workflow.allowed_moves(publisher, entry)
    workflow.publish(entry, by=publisher)
    entry.refresh_from_db()
    assert entry.review_state == ReviewState.PUBLISHED
    assert entry.approved_at is None  # the round of review is over
    actions = list(ReviewEvent.objects.for_entry(entry).values_list("action", flat=True))
    assert actions == [ReviewAction.PUBLISH, ReviewAction.APPROVE, ReviewAction.SUBMIT]


def test_authors_may_not_approve_their_own_work(writer_reviewer, superuser, reviewer):
    entry = entry_in_state("reform", ReviewState.DRAFT, updated_by=writer_reviewer)
    workflow.submit_for_review(entry, by=writer_reviewer)
    with pytest.raises(PermissionDenied, match="your own work"):
        workflow.approve(entry, by=writer_reviewer)
    # Submitting is authorship too, superusers included.
    other = entry_in_state("reform", ReviewState.DRAFT)
    workflow.submit_for_review(other, by=superuser)
    with pytest.raises(PermissionDenied):
        workflow.approve(other, by=superuser)
    entry.refresh_from_db()
    assert entry.approved_at is None
    assert not ReviewEvent.objects.for_entry(entry).filter(action=ReviewAction.APPROVE).exists()
    workflow.approve(entry, by=reviewer)  # someone else may
    entry.refresh_from_db()
    assert entry.is_approved


def test_the_last_editor_of_a_working_copy_may_not_approve_it(
    client, writer_reviewer, contributor, reviewer
):
    entry = entry_in_state("reform", ReviewState.PUBLISHED, title="Published title")
    client.force_login(writer_reviewer)
    data = entry_form_data(client, entry)
    data["title"] = "Edited in the working copy"
    assert client.post(admin_url(entry, "change"), data).status_code == 302
    entry.refresh_from_db()
    workflow.submit_for_review(entry, by=contributor)  # someone else submits it
    with pytest.raises(PermissionDenied):
        workflow.approve(entry, by=writer_reviewer)
    workflow.approve(entry, by=reviewer)
    entry.refresh_from_db()
    assert entry.is_approved


def test_an_edit_after_approval_lapses_it(client, contributor, reviewer, publisher):
    entry = entry_in_state("reform", ReviewState.PUBLISHED, title="Before")
    client.force_login(contributor)
    data = entry_form_data(client, entry)
    data["title"] = "First change"
    client.post(admin_url(entry, "change"), data)
    workflow.submit_for_review(entry, by=contributor)
    workflow.approve(entry, by=reviewer)
    entry.refresh_from_db()
    assert entry.is_approved
    # An editor slips one more change into the copy after the approval.
    superuser = UserFactory(username="late-editor", is_staff=True, is_superuser=True)
    client.force_login(superuser)
    data = entry_form_data(client, entry)
    data["title"] = "Unreviewed change"
    assert client.post(admin_url(entry, "change"), data).status_code == 302
    entry.refresh_from_db()
    assert not entry.is_approved
    assert "publish" not in workflow.allowed_moves(publisher, entry)
    with pytest.raises(ValidationError, match="earlier version"):
        workflow.publish(entry, by=publisher)
    entry.refresh_from_db()
    assert entry.title == "Before"  # the public row is untouched
    client.force_login(publisher)
    queue = client.get(reverse("admin:institute_review_queue")).content.decode()
    assert "Lapsed" in queue


def test_requesting_changes_and_resubmitting_needs_a_new_approval(
    contributor, reviewer, publisher, make_role_user
):
    second = make_role_user("reviewer", username="second-reviewer")
    entry = entry_in_state("source", ReviewState.DRAFT)
    workflow.submit_for_review(entry, by=contributor)
    workflow.approve(entry, by=reviewer)
    workflow.request_changes(entry, by=second, comment="The date is wrong.")
    workflow.submit_for_review(entry, by=contributor)
    entry.refresh_from_db()
    assert not entry.is_approved
    with pytest.raises(ValidationError):
        workflow.publish(entry, by=publisher)


@override_settings(REVIEW_REQUIRES_APPROVAL=False)
def test_a_small_team_may_publish_without_a_second_reader(contributor, publisher):
    entry = workflow.submit_for_review(entry_in_state("reform", ReviewState.DRAFT), by=contributor)
    assert "publish" in workflow.allowed_moves(publisher, entry)
    workflow.publish(entry, by=publisher)
    entry.refresh_from_db()
    assert entry.review_state == ReviewState.PUBLISHED


def test_a_recommendation_of_a_draft_report_cannot_be_published(reviewer, publisher):
    report = SourceFactory(title="Report still in draft")
    entry = entry_in_state("recommendation", ReviewState.IN_REVIEW, report=report)
    workflow.approve(entry, by=reviewer)
    with pytest.raises(ValidationError, match="publish the report first"):
        workflow.publish(entry, by=publisher)
    entry.refresh_from_db()
    assert entry.review_state == ReviewState.IN_REVIEW


def test_approval_shows_on_the_entry_and_in_the_queue(client, contributor, reviewer, publisher):
    entry = entry_in_state("reform", ReviewState.DRAFT, title="Awaiting a second reader")
    workflow.submit_for_review(entry, by=contributor)
    client.force_login(publisher)
    page = client.get(admin_url(entry, "change")).content.decode()
    assert 'data-approved="no"' in page
    assert 'data-move="publish"' not in page
    queue = client.get(reverse("admin:institute_review_queue")).content.decode()
    assert 'data-approved="no"' in queue

    client.force_login(reviewer)
    response = client.post(admin_url(entry, "review", "approve"), follow=True)
    assert response.status_code == 200
    client.force_login(publisher)
    page = client.get(admin_url(entry, "change")).content.decode()
    assert 'data-approved="yes"' in page
    assert f"Approved by {reviewer}" in page
    assert 'data-move="publish"' in page
    queue = client.get(reverse("admin:institute_review_queue")).content.decode()
    assert 'data-approved="yes"' in queue
    assert client.post(admin_url(entry, "review", "publish")).status_code == 302
    entry.refresh_from_db()
    assert entry.review_state == ReviewState.PUBLISHED


def test_the_admin_says_why_self_approval_is_refused(client, writer_reviewer):
    entry = entry_in_state("reform", ReviewState.DRAFT)
    workflow.submit_for_review(entry, by=writer_reviewer)
    client.force_login(writer_reviewer)
    page = client.get(admin_url(entry, "change")).content.decode()
    assert 'data-move="approve"' not in page
    assert "another reviewer approves it" in page
    assert client.post(admin_url(entry, "review", "approve")).status_code == 403
    entry.refresh_from_db()
    assert entry.approved_at is None


# --- finding 4: a form without its version is refused ---------------------------------------


def test_a_change_form_without_its_version_is_refused(client, contributor, superuser):
    entry = entry_in_state("reform", ReviewState.DRAFT, title="Original")
    client.force_login(contributor)
    mine = entry_form_data(client, entry)
    del mine["expected_version"]
    # Someone else saves first; the versionless post must not overwrite them.
    other = type(client)()
    other.force_login(superuser)
    theirs = entry_form_data(other, entry)
    theirs["title"] = "Their saved work"
    assert other.post(admin_url(entry, "change"), theirs).status_code == 302
    mine["title"] = "Blind overwrite"
    response = client.post(admin_url(entry, "change"), mine)
    assert response.status_code == 200
    assert "did not say which version" in response.content.decode()
    entry.refresh_from_db()
    assert entry.title == "Their saved work"


def test_a_versionless_post_to_a_published_entry_makes_no_working_copy(client, contributor):
    entry = entry_in_state("reform", ReviewState.PUBLISHED, title="Public")
    client.force_login(contributor)
    data = entry_form_data(client, entry)
    data.pop("expected_version")
    data["title"] = "Sneaked in"
    response = client.post(admin_url(entry, "change"), data)
    assert response.status_code == 200
    assert not PendingRevision.objects.for_entry(entry).exists()
    entry.refresh_from_db()
    assert (entry.title, entry.version) == ("Public", 1)
