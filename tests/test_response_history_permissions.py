"""A response's past versions (django-simple-history's history form) are read-only for those
who may not change responses on their own (issue 10): simple_history saves a posted history
form after checking only the *view* right, which let any contributor, reviewer or publisher
rewrite a public response."""

import pytest

from recommendations.models import Response
from tests.factories import RecommendationFactory, ReformFactory, ResponseFactory

pytestmark = pytest.mark.django_db

ORIGINAL = "The note as published."
REWRITTEN = "Rewritten through the history form."

# role → (status of the POST, whether the response was rewritten)
EXPECTED = {
    "anonymous": (302, False),  # to the login
    "staff": (403, False),
    "contributor": (403, False),
    "reviewer": (403, False),
    "publisher": (403, False),  # publishes, but responses on their own take both publish rights
    "publisher-of-both": (302, True),  # to the changelist
    "superuser": (302, True),
}


@pytest.fixture
def response_with_history(db):
    return ResponseFactory(
        recommendation=RecommendationFactory(published=True),
        reform=ReformFactory(published=True),
        note=ORIGINAL,
    )


def history_form_url(response) -> str:
    past = response.history.first()
    return f"/admin/recommendations/response/{response.pk}/history/{past.history_id}/"


def login_as(client, make_role_user, role):
    if role == "publisher-of-both":
        # The publisher group publishes both kinds of entry, and writing responses on their
        # own also takes the ordinary change right on responses.
        from django.contrib.auth.models import Permission

        user = make_role_user("publisher", username="publisher-of-both")
        user.user_permissions.add(
            Permission.objects.get(
                content_type__app_label="recommendations", codename="change_response"
            )
        )
    else:
        user = make_role_user(role)
    if user is not None:
        client.force_login(user)


@pytest.mark.parametrize("role", EXPECTED)
def test_posting_a_past_version_takes_the_change_right(
    client, make_role_user, response_with_history, role
):
    login_as(client, make_role_user, role)
    reply = client.post(
        history_form_url(response_with_history),
        {
            "recommendation": response_with_history.recommendation_id,
            "reform": response_with_history.reform_id,
            "note": REWRITTEN,
        },
    )
    status, rewritten = EXPECTED[role]
    assert reply.status_code == status
    if role == "anonymous":
        assert reply["Location"].startswith("/admin/login/")
    note = Response.objects.get(pk=response_with_history.pk).note
    assert note == (REWRITTEN if rewritten else ORIGINAL)


@pytest.mark.parametrize("role", ["contributor", "reviewer", "publisher"])
def test_a_past_version_stays_readable(client, make_role_user, response_with_history, role):
    login_as(client, make_role_user, role)
    reply = client.get(history_form_url(response_with_history))
    assert reply.status_code == 200
    assert ORIGINAL in reply.content.decode()
