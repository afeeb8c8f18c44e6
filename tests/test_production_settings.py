"""Production mode: the deployment checks pass with a real environment, a missing secret is one
clear line (through `python -m institute.preflight`, what `make serve` runs first), DEBUG is
refused, and the Content-Security-Policy allows nothing inline."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL")
# Settings this file's subprocesses decide for themselves, whatever the outer environment says.
# (DJANGO_ALLOW_ASYNC_UNSAFE: the browser tests set it in this process; a deployment must not.)
OURS = {
    "DEBUG",
    "DATABASE_PREPARED_STATEMENTS",
    "CACHE_URL",
    "CSP_REPORT_URI",
    "CSRF_TRUSTED_ORIGINS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "BIND",
    "PORT",
    "WEB_CONCURRENCY",
    "WEB_THREADS",
    "GUNICORN_THREADS",
    "LOG_LEVEL",
    "TRUSTED_PROXIES",
    "API_NUM_PROXIES",
    *REQUIRED,
}
# Never reached: `check` without --database does not connect.
UNREACHED_DATABASE = "postgres://tracker@127.0.0.1:5432/reform_tracker"


def production_env(**overrides: str | None) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in OURS and not name.startswith("SECURE_")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="institute.settings.production",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="tracker.example.org",
        DATABASE_URL=UNREACHED_DATABASE,
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def in_production(code: str, **overrides: str | None):
    """Run `code`, which sets `result` (JSON-serialisable), in a process with the production
    settings loaded; return `result`."""
    program = (
        "import json, django\ndjango.setup()\nfrom django.conf import settings\n"
        f"{code}\nprint(json.dumps(result, default=str))"
    )
    completed = run("-c", program, env=production_env(**overrides))
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])


def test_the_admin_is_discovered_when_checked_or_served_and_not_before():
    # A process that never shows the admin (an import, the worker) starts without the apps'
    # admin modules; Django's checks and the URLconf discover every one of them.
    result = in_production(
        "import sys\n"
        "from django.contrib import admin\n"
        "from django.core import checks\n"
        "from django.urls import get_resolver\n"
        "started = sorted(m for m in ('reforms.admin', 'openpyxl') if m in sys.modules)\n"
        "errors = checks.run_checks(tags=['admin'])\n"
        "def registered():\n"
        "    return sorted(model._meta.label for model in admin.site._registry)\n"
        "checked = registered()\n"
        "get_resolver().url_patterns\n"
        "result = [started, len(errors), checked, registered()]"
    )
    started, errors, checked, served = result
    assert started == []
    assert errors == 0
    assert {"reforms.Reform", "recommendations.Recommendation", "institute.Source"} <= set(checked)
    assert checked == served


def test_a_server_loads_its_views_and_the_admin_as_it_starts():
    # Not by its first request, which would wait for them.
    loaded = in_production(
        "import sys\n"
        "import institute.wsgi\n"
        "result = sorted(m for m in ('reforms.views', 'reforms.admin') if m in sys.modules)"
    )
    assert loaded == ["reforms.admin", "reforms.views"]


def test_check_deploy_is_clean_with_a_real_environment():
    result = run("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_https_redirect_is_off():
    # The loopback load test turns the redirect off; the deployment check must say so.
    result = run(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env=production_env(SECURE_SSL_REDIRECT="0"),
    )
    assert result.returncode != 0
    assert "security.W008" in result.stderr


@pytest.mark.parametrize("missing", REQUIRED)
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_a_missing_setting_is_one_clear_line_without_traceback(missing, how):
    result = run(
        "-m", "institute.preflight", env=production_env(**{missing: None if how == "unset" else ""})
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{missing} is not set: ")


def test_every_missing_setting_is_named_at_once():
    result = run(
        "-m",
        "institute.preflight",
        env=production_env(SECRET_KEY=None, ALLOWED_HOSTS=None, DATABASE_URL=None),
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert [line.split(" ")[0] for line in result.stderr.strip().splitlines()] == [
        "SECRET_KEY",
        "DATABASE_URL",
        "ALLOWED_HOSTS",
    ]


@pytest.mark.parametrize(
    "weak",
    ["short", "x" * 60, "django-insecure-" + secrets.token_urlsafe(50)],
    ids=["short", "one character", "django's insecure prefix"],
)
def test_a_weak_secret_key_is_refused_in_one_line(weak):
    result = run("-m", "institute.preflight", env=production_env(SECRET_KEY=weak))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("AXES:")]
    assert len(lines) == 1
    assert lines[0].startswith("SECRET_KEY is too weak: it needs at least 50 characters")
    assert weak not in result.stderr  # a secret, even a bad one, is not printed


def test_debug_is_refused_with_production_settings():
    preflight = run("-m", "institute.preflight", env=production_env(DEBUG="1"))
    assert preflight.returncode == 2
    assert "Traceback" not in preflight.stderr
    assert preflight.stderr.startswith("DEBUG is on with institute.settings.production")
    # Not only through the preflight: any process with these settings stops.
    direct = run("manage.py", "check", env=production_env(DEBUG="true"))
    assert direct.returncode != 0
    assert "ImproperlyConfigured: DEBUG is on" in direct.stderr


def test_an_unreachable_database_is_one_line():
    result = run("-m", "institute.preflight", env=production_env(DATABASE_URL=UNREACHED_DATABASE))
    # Either PostgreSQL is not there or the database does not exist: one line either way.
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("AXES:")]
    assert len(lines) == 1 and lines[0].startswith("DATABASE_URL: the database does not answer")


@pytest.mark.parametrize(
    ("name", "value"), [("BIND", "tracker.example.org"), ("WEB_THREADS", "0"), ("PORT", "80a")]
)
def test_a_web_server_setting_it_cannot_use_stops_the_preflight_in_one_line(name, value):
    # Before the database is asked or migrations run: the server would refuse it anyway.
    result = run("-m", "institute.preflight", env=production_env(**{name: value}))
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if not line.startswith("AXES:")]
    assert len(lines) == 1 and lines[0].startswith(f"{name}"), result.stderr
    assert "the database does not answer" not in result.stderr


@pytest.mark.parametrize("value", ["lots", "16", "16mb", "0MB", "16 MB"])
def test_a_database_work_mem_postgresql_cannot_read_is_one_line(value):
    result = run("-m", "institute.preflight", env=production_env(DATABASE_WORK_MEM=value))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("AXES:")]
    assert len(lines) == 1 and lines[0].startswith(f"DATABASE_WORK_MEM={value!r} is not")


def test_the_content_marker_s_prepared_statement_can_be_turned_off_for_a_pooler():
    show = "result = settings.DATABASES['default']['OPTIONS']['prepare_threshold']"
    assert in_production(show) == 5
    assert in_production(show, DATABASE_PREPARED_STATEMENTS="1") == 5
    assert in_production(show, DATABASE_PREPARED_STATEMENTS="0") is None
    result = run(
        "-m", "institute.preflight", env=production_env(DATABASE_PREPARED_STATEMENTS="some")
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "DATABASE_PREPARED_STATEMENTS='some' is not a boolean" in result.stderr


def test_sqlite_in_production_warns_but_starts(tmp_path):
    result = run(
        "-m",
        "institute.preflight",
        env=production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'trial.sqlite3'}"),
    )
    assert result.returncode == 0, result.stderr
    assert "Warning: DATABASE_URL is SQLite" in result.stderr


def test_x_forwarded_for_is_believed_only_from_trusted_proxies():
    show = "result = settings.TRUSTED_PROXIES"
    # The web server on the loopback (the default, or BIND there): only a local proxy can connect.
    assert in_production(show) == ["127.0.0.1", "::1"]
    assert in_production(show, BIND="127.0.0.1:9000") == ["127.0.0.1", "::1"]
    # Reachable from other machines, whose headers say whatever they like: nobody, unless named.
    assert in_production(show, BIND="0.0.0.0:8000") == []
    assert in_production(show, BIND="0.0.0.0:8000", TRUSTED_PROXIES="10.0.0.2, 10.1.0.0/16") == [
        "10.0.0.2",
        "10.1.0.0/16",
    ]
    bad = run("-m", "institute.preflight", env=production_env(TRUSTED_PROXIES="10.0.0.300"))
    assert bad.returncode == 2
    assert bad.stderr.startswith("TRUSTED_PROXIES: '10.0.0.300' is not an IP address or network")


@pytest.mark.parametrize(
    ("bind", "says"),
    [
        (None, "X-Forwarded-For is believed from 127.0.0.1, ::1 (TRUSTED_PROXIES"),
        ("0.0.0.0:8000", "X-Forwarded-For is ignored (TRUSTED_PROXIES is empty)"),
    ],
)
def test_the_preflight_says_whose_forwarded_address_is_believed(tmp_path, bind, says):
    result = run(
        "-m",
        "institute.preflight",
        env=production_env(BIND=bind, DATABASE_URL=f"sqlite:///{tmp_path / 'trial.sqlite3'}"),
    )
    assert result.returncode == 0, result.stderr
    assert f"Client addresses: {says}" in result.stdout


def test_production_serves_hashed_static_files_and_shares_its_cache():
    values = in_production(
        "result = [settings.STORAGES['staticfiles']['BACKEND'], "
        "settings.CACHES['default']['BACKEND'], "
        "settings.DATABASES['default']['CONN_HEALTH_CHECKS'], "
        "settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, "
        "settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD, "
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE]"
    )
    assert values == [
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "django.core.cache.backends.db.DatabaseCache",
        True,
        True,
        31_536_000,
        True,
        True,
        True,
        True,
    ]
    redis = in_production(
        "result = settings.CACHES['default']", CACHE_URL="redis://127.0.0.1:6379/1"
    )
    assert redis == {
        "BACKEND": "institute.shared_cache.ResilientRedisCache",
        "LOCATION": "redis://127.0.0.1:6379/1",
        "KEY_PREFIX": "",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }


def test_https_settings_follow_the_environment():
    assert in_production(
        "result = [settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, "
        "settings.SECURE_HSTS_PRELOAD]",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_PRELOAD="false",
    ) == [False, 3600, False]


DEV_ONLY = (
    "frictionless",
    "playwright",
    "pytest",
    "factory",
    "hypothesis",
    "axe_playwright_python",
)


def test_production_imports_nothing_from_the_development_tools():
    # Everything a request can reach: settings, apps (admin autodiscovery), every URL's view.
    loaded = in_production(
        "import sys\n"
        "import institute.wsgi\n"
        "from django.urls import get_resolver\n"
        "get_resolver().url_patterns  # imports every URLconf, and so every view\n"
        "result = sorted({name.split('.')[0] for name in sys.modules})"
    )
    assert "django" in loaded and "csp" in loaded and "axes" in loaded
    assert not set(DEV_ONLY) & set(loaded)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/reforms/", "/recommendations/", "/admin/login/"])
def test_the_content_security_policy_allows_nothing_inline(client, url):
    response = client.get(url)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
