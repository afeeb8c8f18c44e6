"""/healthz and the public pages while the database is really down (issue 10, findings 7 and 8).

The site runs in a process of its own, with DEBUG off, pointed at a PostgreSQL port where nothing
listens, behind Django's development HTTP server (runserver's, without runserver's start-up
migration check, which would stop at the missing database); requests go over real HTTP.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
UNREACHABLE = "postgres://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1

SERVER = """
import sys
import institute.settings.local as local

# Serve the stylesheet from the source folders (what `make run` does with DEBUG on; production
# serves it from STATIC_ROOT), still through WhiteNoise, still with DEBUG off.
local.WHITENOISE_USE_FINDERS = True
import django
django.setup()
from django.core.servers.basehttp import get_internal_wsgi_application, run
run("127.0.0.1", int(sys.argv[1]), get_internal_wsgi_application(), threading=True)
"""


def _get(url):
    """(status, headers, body) for any status, over real HTTP."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


@pytest.fixture(scope="module")
def down_site(tmp_path_factory):
    """The base URL of the site with its database unreachable; .log is its stderr afterwards."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("database-down") / "server.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "institute.settings.local",
        "DATABASE_URL": UNREACHABLE,
        "DEBUG": "0",
        "SECRET_KEY": "x",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_URL": "",
    }
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER, str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    site = type("Site", (), {"url": f"http://127.0.0.1:{port}", "log_path": log_path})()
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"the server stopped:\n{log_path.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not start:\n{log_path.read_text()[-3000:]}")
                time.sleep(0.2)
        yield site
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_healthz_says_unavailable_and_nothing_more(down_site):
    status, headers, body = _get(f"{down_site.url}/healthz")
    assert status == 503
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"status": "unavailable"}
    for leak in ("127.0.0.1", "port", "nowhere", "connection", "postgres", "refused"):
        assert leak not in body.lower()
    # The error itself is in the server's log, for whoever runs it.
    log = down_site.log_path.read_text()
    assert "Health check: the database did not answer" in log
    assert "Connection refused" in log


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/reforms/",
        "/reforms/some-reform/",
        "/recommendations/",
        "/data/",
        # Downloads read the database before their headers leave (issue 23): a 200 with the
        # header line only, or with `[`, would be kept by a cache or a client as the dataset.
        "/data/reforms.csv",
        "/data/sources.csv",
        "/data/reforms.csv-excel",
        "/data/reforms.json",
        "/data/reforms.xlsx",
        "/reforms/export.csv?area=economy",
        "/reforms/export.json?area=economy",
        "/recommendations/export.csv",
    ],
)
def test_every_page_is_a_friendly_503(down_site, path):
    status, headers, body = _get(f"{down_site.url}{path}")
    assert status == 503
    assert headers["Content-Type"].startswith("text/html")
    assert int(headers["Retry-After"]) > 0
    assert "no-store" in headers["Cache-Control"]  # no proxy keeps the outage page
    assert "The tracker is temporarily unavailable" in body
    assert "try again shortly" in body
    for leak in ("Traceback", "OperationalError", "nowhere", "127.0.0.1", "Server Error"):
        assert leak not in body
    served = path.split("?")[0]
    assert f"Database unavailable while serving GET {served}" in down_site.log_path.read_text()


def test_the_503_page_stylesheet_needs_no_database(down_site):
    _, _, body = _get(f"{down_site.url}/")
    assert '<link rel="stylesheet" href="/static/css/site.css">' in body
    status, headers, css = _get(f"{down_site.url}/static/css/site.css")
    assert status == 200
    assert headers["Content-Type"].startswith("text/css")
    assert ".site-header" in css


@pytest.mark.django_db
def test_healthz_is_ok_on_a_working_database(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
