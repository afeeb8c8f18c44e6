"""`.env`: the entry points read it (institute/envfile.py), the environment wins, and
`.env.example` itself is a file they read."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support import run_manage

ROOT = Path(__file__).resolve().parent.parent
SHOW = (
    "import os; from django.conf import settings; "
    "print(settings.SETTINGS_MODULE, settings.DEBUG, settings.ALLOWED_HOSTS, "
    "repr(settings.SECRET_KEY), os.environ.get('LOG_LEVEL'), os.environ.get('WEB_CONCURRENCY'))"
)
OURS = ("DJANGO_SETTINGS_MODULE", "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", "LOG_LEVEL", "ENV_FILE")


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return run_manage(*args, drop=(*OURS, "WEB_CONCURRENCY"), **env)


def test_manage_py_reads_the_env_file_and_the_environment_wins(tmp_path):
    env_file = tmp_path / "tracker.env"
    env_file.write_text(
        "# a checkout's settings\n"
        "DJANGO_SETTINGS_MODULE=institute.settings.local   # a comment after a value\n"
        "export ALLOWED_HOSTS=from-the-file.example,second.example\n"
        'SECRET_KEY="kept as written # not a comment"\n'
        "LOG_LEVEL=WARNING\n"
        "DEBUG=0\n"
        "WEB_CONCURRENCY=\n",  # empty: unset, as in .env.example
        encoding="utf-8",
    )
    result = manage("shell", "-v", "0", "-c", SHOW, ENV_FILE=str(env_file), LOG_LEVEL="ERROR")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "institute.settings.local False ['from-the-file.example', 'second.example'] "
        "'kept as written # not a comment' ERROR None"
    )
    # Without the file (ENV_FILE="" reads none), the same command has the defaults.
    result = manage("shell", "-v", "0", "-c", SHOW, ENV_FILE="")
    assert result.stdout.strip().startswith("institute.settings.local True ['127.0.0.1',")


def test_a_line_that_is_not_an_assignment_is_named(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DEBUG=1\nthis is not a setting\n", encoding="utf-8")
    result = manage("check", ENV_FILE=str(env_file))
    assert result.returncode != 0
    assert f"{env_file}, line 2: expected NAME=value." in result.stderr


def test_the_example_file_is_a_file_the_entry_points_read():
    """A copy of .env.example works as it is: a development checkout on its defaults."""
    result = manage("shell", "-v", "0", "-c", SHOW, ENV_FILE=str(ROOT / ".env.example"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("institute.settings.local True ['127.0.0.1', 'localhost']")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_takes_port_and_the_worker_from_the_file_unless_told(tmp_path):
    env_file = tmp_path / "tracker.env"
    env_file.write_text(
        'PORT = 8123   # a comment\nWORKER_COMMAND="db_worker --queue-name default"\n',
        encoding="utf-8",
    )

    def dry_run(target: str, *args: str, **env: str) -> str:
        clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "WORKER_COMMAND")}
        result = subprocess.run(
            ["make", "--dry-run", "--always-make", target, *args],
            cwd=ROOT,
            env={**clean, "ENV_FILE": str(env_file), **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "runserver 127.0.0.1:8123" in dry_run("run")
    assert "runserver 127.0.0.1:8124" in dry_run("run", PORT="8124")  # the environment wins
    assert "runserver 127.0.0.1:8125" in dry_run("run", "PORT=8125")
    assert "worker='db_worker --queue-name default'" in dry_run("serve")
    assert "runserver 127.0.0.1:8000" in dry_run("run", ENV_FILE="")


def test_the_example_file_names_every_setting_read_from_the_environment():
    """`.env.example` says it holds every setting the tracker reads: it is where an operator
    looks, so a setting read and not listed there is one nobody finds."""
    reads = re.compile(
        r"""(?:os\.environ\.get|os\.environ\[|env_int|env_float|env_bool|env_list|env_seconds_or_off)\(?\s*"([A-Z_]+)\""""
    )
    read = {
        name
        for module in (ROOT / "institute" / "settings").glob("*.py")
        for name in reads.findall(module.read_text(encoding="utf-8"))
    }
    listed = set(re.findall(r"^([A-Z_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert len(read) > 50  # the pattern finds what the settings read
    assert sorted(read - listed) == []


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("IMPORT_UPLOAD_MAX_ROWS", "many", "is not a whole number"),
        ("IMPORT_JOB_STALE_SECONDS", "a minute", "is not a number"),
        ("DATASET_EXPORT_COPY", "maybe", "is not a boolean"),
        (
            "PAGE_CACHE_STALE_AFTER_SECONDS",
            "soon",
            'is not a number of seconds (0 or more) or "off"',
        ),
        ("PAGE_CACHE_STALE_AFTER_SECONDS", "-1", 'is not a number of seconds (0 or more) or "off"'),
    ],
)
def test_a_setting_that_is_not_its_kind_is_named(name, value, says):
    result = manage("check", ENV_FILE="", **{name: value})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name}={value!r} {says}" in result.stderr
