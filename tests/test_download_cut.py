"""A download the database fails in the middle of is a broken response, never a short one that
looks whole (issue 23).

The production web server (`python -m institute.web_server`, what `make serve` runs) serves the
test database over real HTTP/1.1. Once the body is under way the test ends the server's database
session (`pg_terminate_backend`: the database gone, for that server), then reads on. The response
must then stop without chunked encoding's last chunk, which every HTTP client reports as an
error, instead of ending cleanly after the rows sent so far.
"""

import http.client
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest
from django.db import connection

from reforms.models import Reform
from tests.factories import ReformFactory
from tests.support import database_url, free_port, start_web_server, wait_for_log_line

ROWS = 510  # more than one chunk (500) of the JSON's server-side cursor
# About 30 MB in all: far more than the sockets between the database, the server and the client
# hold, so the server is still reading rows when its database goes.
SUMMARY = "A long summary. " * 3750

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        "connection.vendor != 'postgresql'", reason="ends a PostgreSQL session from outside"
    ),
]


def _serve(*, log_path: Path, copy: str, **extra: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "institute.settings.local",
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
        "SECRET_KEY": "x",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_URL": "",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "DATASET_EXPORT_COPY": copy,
        **extra,
    }
    server = start_web_server(env, log_path)
    deadline = time.monotonic() + 60
    while True:
        if server.poll() is not None:
            pytest.fail(f"the server stopped:\n{log_path.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server, port
        except OSError:
            if time.monotonic() > deadline:
                server.terminate()
                pytest.fail(f"the server did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.2)


def _slow_reader(port: int) -> http.client.HTTPConnection:
    """A client with a small receive buffer, set before it connects: the server cannot run
    ahead of what the test has read by more than the sockets hold."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(60)
    sock.connect(("127.0.0.1", port))
    client = http.client.HTTPConnection("127.0.0.1", port)
    client.sock = sock
    return client


@pytest.mark.parametrize(
    ("path", "copy"),
    [
        ("/data/reforms.csv", "1"),  # written by PostgreSQL's COPY
        ("/data/reforms.csv", "0"),  # written by Python from a server-side cursor
        ("/data/reforms.json", "1"),
    ],
)
def test_a_download_cut_by_the_database_is_a_broken_response(path, copy, tmp_path):
    ReformFactory.create_batch(ROWS, published=True)
    Reform.objects.update(summary=SUMMARY)
    log_path = tmp_path / "server.log"
    server, port = _serve(log_path=log_path, copy=copy)
    try:
        client = _slow_reader(port)
        client.request("GET", path, headers={"Host": "127.0.0.1"})
        response = client.getresponse()
        assert response.status == 200  # the first rows were read before the headers left
        assert response.getheader("Transfer-Encoding") == "chunked"
        received = response.read(4096)

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1  # the server's session

        with pytest.raises((http.client.IncompleteRead, ConnectionError)):
            while chunk := response.read(1 << 20):
                received += chunk
        client.close()
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert received.count(SUMMARY.encode()) < ROWS  # what was sent is a part, and said to be
    assert not received.rstrip().endswith(b"]")
    log = log_path.read_text()
    assert "Application callable raised an exception" in log  # the server's word for a drop
    # The database's error came up through the export to the server, untouched.
    assert "institute/datasets/export.py" in log, log[-3000:]


ACCESS_LINE = '"GET /reforms/export.csv HTTP/1.1" qs="" 200'


def test_a_long_download_read_slowly_arrives_whole(tmp_path):
    """A filtered export read slowly for several seconds arrives whole: nothing in the server
    cuts a download that is still moving (gunicorn's sync worker, the server before, killed such
    a download after its `timeout` and the client got a 200 cut short; the retired
    GUNICORN_TIMEOUT, set low, changes nothing)."""
    ReformFactory.create_batch(ROWS, published=True)
    Reform.objects.update(summary=SUMMARY)
    log_path = tmp_path / "server.log"
    server, port = _serve(log_path=log_path, copy="1", GUNICORN_TIMEOUT="2")
    try:
        client = _slow_reader(port)
        client.request("GET", "/reforms/export.csv", headers={"Host": "127.0.0.1"})
        response = client.getresponse()
        assert response.status == 200
        received, started = b"", time.monotonic()
        # About 30 MB read at most 4 MB a second: longer than the timeout, twice over.
        while chunk := response.read(1 << 20):
            received += chunk
            time.sleep(0.25)
        took = time.monotonic() - started
        client.close()
        log = wait_for_log_line(log_path, ACCESS_LINE)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert took > 4, took  # the read did last past the old timeout, or the test proves nothing
    assert received.count(SUMMARY.encode()) == ROWS
    assert "GUNICORN_TIMEOUT is no longer used" in log  # said, not silently dropped
    assert ACCESS_LINE in log
