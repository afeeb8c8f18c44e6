"""`make demo-users` (`manage.py demo_users`): one account per editorial role, passwords
printed, that can sign in and hold exactly their role; refused with the production settings."""

import re
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.urls import reverse

from institute.roles import ROLES
from tests.test_production_settings import ROOT, production_env

pytestmark = pytest.mark.django_db


def demo_users() -> dict[str, str]:
    from io import StringIO

    out = StringIO()
    call_command("demo_users", stdout=out)
    return dict(re.findall(r"^  \w+\s+(demo-\w+)\s+(\S+)$", out.getvalue(), re.MULTILINE))


def test_demo_users_can_sign_in_with_their_role_only(client, role_groups):
    accounts = demo_users()
    assert set(accounts) == {f"demo-{role}" for role in ROLES}
    for username, password in accounts.items():
        client.logout()
        response = client.post(reverse("admin:login"), {"username": username, "password": password})
        assert response.status_code == 302, f"{username} could not sign in"
        user = response.wsgi_request.user
        assert [g.name for g in user.groups.all()] == [username.removeprefix("demo-")]
        assert user.is_staff and not user.is_superuser
    # Again: the same three accounts, new passwords (the old ones no longer work).
    again = demo_users()
    assert set(again) == set(accounts)
    assert all(again[name] != accounts[name] for name in accounts)
    from django.contrib.auth.models import User

    assert User.objects.filter(username__startswith="demo-").count() == 3
    assert not User.objects.get(username="demo-reviewer").check_password(accounts["demo-reviewer"])


def test_demo_users_are_refused_with_the_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "demo_users"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "Refused: these are the production settings." in result.stderr
    assert "demo-" not in result.stdout
