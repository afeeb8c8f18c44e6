"""Admin sign-in is throttled (django-axes): after AXES_FAILURE_LIMIT (5) wrong passwords for one
username from one address, that pair is refused, even with the right password."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture
def editor():
    return UserFactory(username="editor", is_staff=True, is_superuser=True)


def sign_in(client, password: str, *, username: str = "editor", address: str = "203.0.113.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_limit_is_five():
    assert settings.AXES_FAILURE_LIMIT == 5


def test_the_sixth_attempt_is_refused_even_with_the_right_password(client, editor):
    for _ in range(4):
        response = sign_in(client, "wrong password")
        assert response.status_code == 200  # the form again, with its error
        assert not signed_in(client)
    assert sign_in(client, "wrong password").status_code == 429  # the fifth locks the pair
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert "too many login attempts" in response.content.decode()
    assert not signed_in(client)
    assert client.get(reverse("admin:index")).status_code == 302  # still sent to sign in


def test_a_good_sign_in_before_the_limit_works_and_clears_the_count(client, editor):
    for _ in range(4):
        sign_in(client, "wrong password")
    response = sign_in(client, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert signed_in(client)
    assert client.get(reverse("admin:index")).status_code == 200
    # The count started again: four more mistakes do not lock the account.
    client.logout()
    for _ in range(4):
        sign_in(client, "wrong password")
    assert sign_in(client, PASSWORD).status_code == 302


def test_the_lockout_is_for_that_username_from_that_address(client, editor):
    UserFactory(username="colleague", is_staff=True)
    for _ in range(5):
        sign_in(client, "wrong password")
    assert sign_in(client, PASSWORD).status_code == 429
    # The same user from elsewhere, and a colleague from the same address, still sign in.
    assert sign_in(client, PASSWORD, address="198.51.100.20").status_code == 302
    client.logout()
    assert sign_in(client, PASSWORD, username="colleague").status_code == 302
