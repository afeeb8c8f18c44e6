"""A reviewer's preview of work in review as its public page (issue 28, item 14), and the
"Edit" link of public pages that keeps them the same for every visitor."""

import pytest
from django.urls import reverse

from institute.editorial.models import EntryVersion, Publication
from institute.editorial.states import ReviewState
from reforms.models import Reform
from tests.factories import entry_in_state
from tests.support import admin_url, change_form_data, login

pytestmark = pytest.mark.django_db


def _counts():
    return EntryVersion.objects.count(), Publication.objects.count()


def test_a_working_copy_previews_as_its_public_page_and_nothing_is_kept(
    client, contributor, reviewer
):
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Public title")
    login(client, contributor)
    data = change_form_data(client.get(admin_url(reform, "change")))
    data.update(title="Working-copy title", summary="A summary under review.")
    client.post(admin_url(reform, "change"), data)
    before = _counts()

    login(client, reviewer)
    response = client.get(admin_url(reform, "preview"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1>Working-copy title</h1>" in body and "A summary under review." in body
    assert "Preview of version" in body and "(not public)" in body
    assert '<meta name="robots" content="noindex, nofollow">' in body
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "noindex" in response["X-Robots-Tag"]

    # The public page, the row and the history are as they were.
    client.logout()
    public = client.get(reform.get_absolute_url()).content.decode()
    assert "Public title" in public and "Working-copy title" not in public
    assert "Preview of version" not in public
    assert Reform.objects.get(pk=reform.pk).title == "Public title"
    assert _counts() == before


def test_a_draft_previews_while_the_public_still_gets_a_404(client, reviewer):
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, title="Never yet public")
    login(client, reviewer)
    response = client.get(admin_url(reform, "preview"))
    assert response.status_code == 200 and "Never yet public" in response.content.decode()
    client.logout()
    assert client.get(reform.get_absolute_url()).status_code == 404
    assert Reform.objects.get(pk=reform.pk).review_state == ReviewState.IN_REVIEW


def test_only_editors_with_the_right_may_preview(client, make_role_user):
    reform = entry_in_state("reform", ReviewState.IN_REVIEW, title="Secret draft")
    response = client.get(admin_url(reform, "preview"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    login(client, make_role_user("staff"))  # staff without any editorial right
    assert client.get(admin_url(reform, "preview")).status_code == 403


def test_public_pages_are_the_same_for_editors_and_carry_a_hidden_edit_link(client, contributor):
    reform = entry_in_state("reform", ReviewState.PUBLISHED, title="Tenge float")
    anonymous = client.get(reform.get_absolute_url()).content.decode()
    edit = admin_url(reform, "change")
    assert f'<p class="edit-link" data-edit-link hidden><a href="{edit}">' in anonymous

    response = client.post(
        reverse("admin:login"),
        {"username": contributor.username, "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    assert response.cookies["tracker_editor"].value == "1"
    signed_in = client.get(reform.get_absolute_url()).content.decode()
    assert signed_in == anonymous  # nothing per user: a cache may serve either
    out = client.post(reverse("admin:logout"))
    assert out.cookies["tracker_editor"].value == ""
