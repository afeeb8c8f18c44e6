"""Responses on their own (the Response admin) are read-only for every role, superusers
included: a response and its evidence change only with their reform or recommendation, as a
version of that entry that goes through review. The Response admin used to write them live, with
a second history (django-simple-history) whose history form any editor could post to."""

import pytest

from reforms.models import Response
from tests.factories import RecommendationFactory, ReformFactory, ResponseFactory
from tests.support import ROLE_NAMES

pytestmark = pytest.mark.django_db

ORIGINAL = "The note as published."


@pytest.fixture
def public_response(db):
    return ResponseFactory(
        recommendation=RecommendationFactory(published=True),
        reform=ReformFactory(published=True),
        note=ORIGINAL,
    )


@pytest.mark.parametrize("role", ROLE_NAMES)
def test_no_role_writes_a_response_on_its_own(client, make_role_user, public_response, role):
    user = make_role_user(role)
    if user is not None:
        client.force_login(user)
    base = "/admin/reforms/response/"
    change = f"{base}{public_response.pk}/change/"
    posted = {
        "recommendation": public_response.recommendation_id,
        "reform": public_response.reform_id,
        "note": "Rewritten on its own.",
        "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }
    expected = 302 if user is None else 403  # anonymous: to the login page
    assert client.post(change, posted).status_code == expected
    assert client.post(f"{base}add/", posted).status_code == expected
    delete = f"{base}{public_response.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == expected
    assert Response.objects.get().note == ORIGINAL
    assert Response.objects.count() == 1


def test_an_editor_reads_a_response_and_its_evidence(client, make_role_user, public_response):
    client.force_login(make_role_user("reviewer"))
    page = client.get(f"/admin/reforms/response/{public_response.pk}/change/")
    assert page.status_code == 200
    assert ORIGINAL in page.content.decode()
    assert 'name="note"' not in page.content.decode()  # shown, not editable


def test_the_former_admin_address_of_a_response_redirects_for_good(admin_client, public_response):
    """Responses moved to the reforms app; saved links to their old admin pages still work."""
    old = f"/admin/recommendations/response/{public_response.pk}/change/?_changelist_filters=x"
    response = admin_client.get(old)
    assert response.status_code == 301
    assert response["Location"] == (
        f"/admin/reforms/response/{public_response.pk}/change/?_changelist_filters=x"
    )
    assert admin_client.get("/admin/recommendations/response/")["Location"] == (
        "/admin/reforms/response/"
    )
    assert admin_client.get(response["Location"]).status_code == 200
