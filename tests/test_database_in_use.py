"""Accounts on the right database (issue 28, item 15): `make run`'s banner and
`make demo-users` name the database they use and where its address came from, every manage.py
command reads the same .env, and the start is quiet (no django-axes banner, no "cache table
already exists", SQLite's warning said once, by the banner)."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.support import run_manage

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    drop = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "ENV_FILE", "AXES_VERBOSE")
    return run_manage(*args, drop=drop, **env)


def test_the_banner_names_the_database_from_the_env_file_or_the_environment(tmp_path):
    from_file = tmp_path / "from-file.sqlite3"
    env_file = tmp_path / "tracker.env"
    env_file.write_text(f"DATABASE_URL=sqlite:///{from_file}\n", encoding="utf-8")
    shown = manage("show_database", ENV_FILE=str(env_file))
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0] == (
        f"Database: SQLite file {from_file} (DATABASE_URL from tracker.env)"
    )
    assert "SQLite is for trying the site" in shown.stdout
    # The environment wins over the file, and the banner says so.
    elsewhere = tmp_path / "elsewhere.sqlite3"
    shown = manage("show_database", ENV_FILE=str(env_file), DATABASE_URL=f"sqlite:///{elsewhere}")
    assert shown.stdout.splitlines()[0] == (
        f"Database: SQLite file {elsewhere} (DATABASE_URL from the environment)"
    )
    # Neither: the development default, said as such.
    shown = manage("show_database", ENV_FILE="")
    assert shown.stdout.splitlines()[0].endswith("(no DATABASE_URL: the development default)")
    assert "db.sqlite3" in shown.stdout


def test_a_postgresql_address_is_named_without_its_password():
    shown = manage(
        "show_database",
        ENV_FILE="",
        DATABASE_URL="postgres://tracker:s3cret-word@db.example:5433/reforms",
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == (
        'Database: PostgreSQL database "reforms" on db.example:5433 '
        "(DATABASE_URL from the environment)"
    )
    assert "s3cret" not in shown.stdout + shown.stderr


def test_demo_users_land_in_the_database_the_env_file_names(tmp_path):
    """The first round's trap: accounts made in SQLite while the server ran on PostgreSQL.
    With DATABASE_URL in .env, migrate, demo_users and the server read one database, and
    demo_users says which."""
    database = tmp_path / "demo.sqlite3"
    env_file = tmp_path / ".env"
    env_file.write_text(f"DATABASE_URL=sqlite:///{database}\n", encoding="utf-8")
    assert manage("migrate", "-v", "0", ENV_FILE=str(env_file)).returncode == 0
    made = manage("demo_users", ENV_FILE=str(env_file))
    assert made.returncode == 0, made.stderr
    assert (
        made.stdout.splitlines()[0] == f"Database: SQLite file {database} (DATABASE_URL from .env)"
    )
    count = manage(
        "shell",
        "-v",
        "0",
        "-c",
        "from django.contrib.auth.models import User; "
        "print(User.objects.filter(username__startswith='demo-').count())",
        ENV_FILE=str(env_file),
    )
    assert count.stdout.strip() == "3"
    # The quiet start: neither the sign-in throttle's banner nor SQLite's index warning.
    for result in (made, count):
        assert "AXES: BEGIN" not in result.stdout + result.stderr
        assert "W040" not in result.stdout + result.stderr


def test_demo_users_name_the_database_in_process(role_groups, capsys):
    from django.db import connection

    call_command("demo_users")
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("Database: ")
    assert str(connection.settings_dict["NAME"]) in first


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_prints_the_banner_and_keeps_the_cache_table_quiet():
    result = subprocess.run(
        ["make", "--dry-run", "--always-make", "run"],
        cwd=ROOT,
        env={**os.environ, "ENV_FILE": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "manage.py show_database" in result.stdout
    assert "manage.py createcachetable -v 0" in result.stdout
