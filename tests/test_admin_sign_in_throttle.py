"""Admin sign-in is throttled (django-axes): after AXES_FAILURE_LIMIT (5) wrong passwords for one
username from one address, that pair is refused, even with the right password. The address is the
client's, behind a trusted proxy too, so a stranger cannot lock an editor out, and a locked-out
editor is let back in by a command."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # UserFactory's


@pytest.fixture
def editor():
    return UserFactory(username="editor", is_staff=True, is_superuser=True)


PROXY = "127.0.0.1"  # the TLS-terminating proxy on the same machine


def sign_in(
    client,
    password: str,
    *,
    username: str = "editor",
    address: str = "203.0.113.7",
    forwarded_for: str | None = None,
):
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
        **headers,
    )


@pytest.fixture
def behind_the_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}


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


def test_through_the_proxy_a_stranger_cannot_lock_an_editor_out(client, editor, behind_the_proxy):
    # Every request arrives from the proxy; the one it names is the client.
    for _ in range(4):
        assert (
            sign_in(client, "guess", address=PROXY, forwarded_for="198.51.100.66").status_code
            == 200
        )
    assert sign_in(client, "guess", address=PROXY, forwarded_for="198.51.100.66").status_code == 429
    assert (
        sign_in(client, PASSWORD, address=PROXY, forwarded_for="198.51.100.66").status_code == 429
    )
    # The editor, through the same proxy from their own address, is not locked out.
    response = sign_in(client, PASSWORD, address=PROXY, forwarded_for="203.0.113.7")
    assert response.status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize("trusted", [[], [PROXY]], ids=["no proxy trusted", "loopback trusted"])
def test_rotating_x_forwarded_for_does_not_escape_the_lockout(client, editor, settings, trusted):
    # A brute force straight at the web server (BIND=0.0.0.0), naming a new address every time.
    settings.TRUSTED_PROXIES = trusted
    statuses = [
        sign_in(
            client, f"guess {n}", address="198.51.100.66", forwarded_for=f"192.0.2.{n}"
        ).status_code
        for n in range(1, 7)
    ]
    assert statuses == [200, 200, 200, 200, 429, 429]
    locked = sign_in(client, PASSWORD, address="198.51.100.66", forwarded_for="192.0.2.99")
    assert locked.status_code == 429
    assert not signed_in(client)


def test_a_locked_out_editor_is_let_back_in_by_a_command(client, editor, behind_the_proxy):
    # Someone sharing the editor's address (an office behind one NAT) guessed five times.
    for _ in range(5):
        sign_in(client, "guess", address=PROXY, forwarded_for="203.0.113.7")
    assert sign_in(client, PASSWORD, address=PROXY, forwarded_for="203.0.113.7").status_code == 429
    call_command("axes_reset_username", "editor", verbosity=0)
    response = sign_in(client, PASSWORD, address=PROXY, forwarded_for="203.0.113.7")
    assert response.status_code == 302
    assert signed_in(client)
