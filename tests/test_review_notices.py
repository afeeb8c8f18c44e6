"""Reviewers' email notices (issue 28, item 14): chosen on the admin's Email notices page, sent
over SMTP (a real server in the test process) once a submit or an assignment is committed."""

import pytest
from django.urls import reverse

from institute.editorial import workflow
from institute.editorial.states import ReviewState
from tests.factories import entry_in_state
from tests.smtp import body_of
from tests.support import admin_url, login

pytestmark = pytest.mark.django_db


def _opt_in(client, user, **choices):
    login(client, user)
    response = client.post(
        reverse("admin:institute_review_notices"),
        {name: "on" for name, chosen in choices.items() if chosen},
    )
    assert response.status_code == 302


def test_a_reviewer_who_chose_it_is_told_when_an_entry_enters_the_queue(
    client, smtp_inbox, make_role_user, contributor, django_capture_on_commit_callbacks
):
    rita = make_role_user("reviewer", username="rita")
    rita.email = "rita@example.org"
    rita.save()
    quiet = make_role_user("reviewer", username="quiet")
    quiet.email = "quiet@example.org"
    quiet.save()
    _opt_in(client, rita, on_submitted=True)
    page = client.get(reverse("admin:institute_review_notices")).content.decode()
    assert 'name="on_submitted" checked' in page and 'name="on_assigned" checked' not in page

    reform = entry_in_state("reform", ReviewState.DRAFT, title="Land code moratorium")
    login(client, contributor)
    # (the test runs in a transaction never committed: run what a commit would)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(admin_url(reform, "review", "submit"))
    reform.refresh_from_db()
    assert reform.review_state == ReviewState.IN_REVIEW
    [notice] = smtp_inbox.messages
    assert notice["To"] == "rita@example.org"
    assert "Land code moratorium" in notice["Subject"]
    assert f"http://testserver{admin_url(reform, 'change')}" in body_of(notice)
    assert smtp_inbox.to("quiet@example.org") == []  # never chose it


def test_an_assignment_is_mailed_to_the_assignee_who_chose_it(
    client, smtp_inbox, make_role_user, publisher, django_capture_on_commit_callbacks
):
    rita = make_role_user("reviewer", username="rita")
    rita.email = "rita@example.org"
    rita.save()
    _opt_in(client, rita, on_assigned=True)
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, title="Tenge float widened")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.assign_reviewer(reform, by=publisher, reviewer=rita)
    [notice] = smtp_inbox.to("rita@example.org")
    assert notice["Subject"].strip().startswith("Assigned to you")
    # Assigning oneself sends nothing.
    smtp_inbox.messages.clear()
    other = entry_in_state("reform", ReviewState.IN_REVIEW, title="Another")
    with django_capture_on_commit_callbacks(execute=True):
        workflow.assign_reviewer(other, by=rita, reviewer=rita)
    assert smtp_inbox.messages == []


def test_a_mail_server_down_costs_the_move_nothing(
    client, smtp_down, make_role_user, contributor, django_capture_on_commit_callbacks
):
    rita = make_role_user("reviewer", username="rita")
    rita.email = "rita@example.org"
    rita.save()
    _opt_in(client, rita, on_submitted=True)
    reform = entry_in_state("reform", ReviewState.DRAFT)
    login(client, contributor)
    with django_capture_on_commit_callbacks(execute=True) as sent:
        response = client.post(admin_url(reform, "review", "submit"))
    assert len(sent) == 1  # the notice was attempted, and failed
    assert response.status_code == 302
    reform.refresh_from_db()
    assert reform.review_state == ReviewState.IN_REVIEW


def test_only_reviewers_have_the_notices_page(client, contributor):
    login(client, contributor)
    assert client.get(reverse("admin:institute_review_notices")).status_code == 403


def test_a_notice_is_in_the_site_language_whatever_the_admin_of_the_move(
    client, smtp_inbox, make_role_user, contributor, django_capture_on_commit_callbacks
):
    rita = make_role_user("reviewer", username="rita")
    rita.email = "rita@example.org"
    rita.save()
    _opt_in(client, rita, on_submitted=True)
    reform = entry_in_state("reform", ReviewState.DRAFT, title="Land code moratorium")
    login(client, contributor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/ru" + admin_url(reform, "review", "submit"))
    [notice] = smtp_inbox.messages
    assert notice["Subject"].strip().startswith("In review: the reform")
    assert f"http://testserver{admin_url(reform, 'change')}" in body_of(notice)
