"""The production web server (`python -m institute.web_server`, what `make serve` runs): its
settings, a Unix socket, its processes' name, the settings it retired said aloud, a clean stop
on SIGTERM, and the WSGI module's file wrapper for a server that offers none."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from wsgiref.util import FileWrapper

import pytest
from django.core.management import call_command
from django.test import RequestFactory

from institute.web_server import ConfigurationError, server
from institute.wsgi import FILE_BLOCK_BYTES, application
from reforms.models import Reform
from tests.factories import ReformFactory
from tests.support import database_url, start_web_server, wait_for_log_line

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("environ", "host", "port", "socket_path"),
    [
        ({}, "127.0.0.1", 8000, None),
        ({"PORT": "8123"}, "127.0.0.1", 8123, None),
        ({"BIND": "0.0.0.0:8001", "PORT": "8123"}, "0.0.0.0", 8001, None),
        ({"BIND": "[::]:8002"}, "::", 8002, None),
        ({"BIND": "unix:/run/tracker.sock"}, "127.0.0.1", 8000, Path("/run/tracker.sock")),
    ],
)
def test_bind_and_port_name_the_address(environ, host, port, socket_path):
    web = server(environ)
    assert (web.bind_addr, web.bind_port, web.bind_uds) == (host, port, socket_path)


def test_the_threads_setting_keeps_its_old_name():
    assert server({}).blocking_threads == 4
    assert server({"GUNICORN_THREADS": "3"}).blocking_threads == 3
    assert server({"GUNICORN_THREADS": "3", "WEB_THREADS": "6"}).blocking_threads == 6
    assert server({"WEB_CONCURRENCY": "3"}).workers == 3


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"BIND": "8000"}, "BIND='8000' is not host:port or unix:/path"),
        ({"BIND": "unix:"}, "BIND=unix: names no socket path"),
        ({"PORT": "http"}, "PORT: 'http' is not a port number (1-65535)"),
        ({"BIND": "127.0.0.1:70000"}, "BIND: '70000' is not a port number (1-65535)"),
        # Python's isdigit() takes a superscript, which int() refuses: named, not a traceback.
        ({"PORT": "8²"}, "PORT: '8²' is not a port number (1-65535)"),
        ({"WEB_CONCURRENCY": "²"}, "WEB_CONCURRENCY='²': a whole number of at least 1 is needed"),
        ({"WEB_CONCURRENCY": "0"}, "WEB_CONCURRENCY='0': a whole number of at least 1 is needed"),
        ({"GUNICORN_THREADS": "four"}, "GUNICORN_THREADS='four': a whole number of at least 1"),
        ({"LOG_LEVEL": "loud"}, "LOG_LEVEL='loud': one of critical, error, warning"),
    ],
)
def test_a_setting_the_server_cannot_use_is_refused_in_one_line(environ, message, tmp_path):
    with pytest.raises(ConfigurationError, match="^" + re.escape(message)):
        server(environ)
    # The command itself: one line, exit 2, before anything is started.
    env = {k: v for k, v in os.environ.items() if k not in {"BIND", "PORT", "WEB_CONCURRENCY"}}
    result = subprocess.run(
        [sys.executable, "-m", "institute.web_server"],
        cwd=ROOT,
        env={**env, "ENV_FILE": "", **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"web server: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: Path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(str(self.path))


ACCESS_LINE = '"GET /healthz HTTP/1.1" qs="" 200'


@pytest.mark.django_db(transaction=True)
def test_it_serves_on_a_unix_socket_names_its_processes_and_stops_on_sigterm(tmp_path):
    sock = tmp_path / "tracker.sock"
    log_path = tmp_path / "server.log"
    env = {
        **os.environ,
        "ENV_FILE": "",
        "DJANGO_SETTINGS_MODULE": "institute.settings.test",
        "DATABASE_URL": database_url(),
        "BIND": f"unix:{sock}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_TIMEOUT": "60",
        "GUNICORN_WORKER_CLASS": "sync",
    }
    web = start_web_server(env, log_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert web.poll() is None, log_path.read_text()
            client = UnixConnection(sock)
            try:
                client.request("GET", "/healthz", headers={"Host": "localhost"})
                break
            except OSError:  # not there yet, or not listening yet
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.1)
        response = client.getresponse()
        assert response.status == 200, response.read()
        client.close()

        listed = Path(f"/proc/{web.pid}/task/{web.pid}/children")  # Linux's, where it lists them
        if listed.exists():  # what ps, top and load.py --cpu-of see
            children = listed.read_text().split()
            names = {Path(f"/proc/{pid}/comm").read_text().strip() for pid in [web.pid, *children]}
            assert names == {"reform-tracker"}, names
        wait_for_log_line(log_path, ACCESS_LINE)
    finally:
        web.send_signal(signal.SIGTERM)
        status = web.wait(timeout=40)
    log = log_path.read_text()
    assert status == 0, log
    assert "GUNICORN_TIMEOUT is no longer used" in log
    assert "GUNICORN_WORKER_CLASS is no longer used" in log
    assert ACCESS_LINE in log


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server_has_one", [False, True], ids=["granian's case", "gunicorn's"])
def test_a_file_sent_whole_leaves_in_large_blocks_unless_the_server_has_its_own_wrapper(
    client, settings, tmp_path, server_has_one
):
    """granian offers no `wsgi.file_wrapper`, and Django's FileResponse would then read a
    finished file 4 KiB at a time; the WSGI module offers one that reads 256 KiB."""
    settings.DATA_PACKAGE_DIR = tmp_path
    settings.DATA_PACKAGE_INLINE_MAX_ROWS = 1  # the worker makes the tables' files
    settings.SITE_URL = "http://testserver"
    ReformFactory.create_batch(16, published=True)
    Reform.objects.update(summary="A long summary. " * 3750)  # 60 KB a row
    call_command("run_worker", "--batch", verbosity=0)
    expected = b"".join(client.get("/data/reforms.csv").streaming_content)
    assert len(expected) > 3 * FILE_BLOCK_BYTES

    def sent(**headers) -> tuple[list[str], list[bytes]]:
        environ = RequestFactory().get("/data/reforms.csv", **headers).environ
        environ.pop("wsgi.file_wrapper", None)
        if server_has_one:
            environ["wsgi.file_wrapper"] = FileWrapper
        started = []
        body = application(environ, lambda status, headers: started.append(status))
        try:
            return started, list(body)
        finally:
            body.close()

    size = 4096 if server_has_one else FILE_BLOCK_BYTES  # the server's own wrapper: Django's size
    started, blocks = sent()
    assert started == ["200 OK"]
    assert b"".join(blocks) == expected
    assert {len(block) for block in blocks[:-1]} == {size}
    # A part (institute/byte_ranges.py) leaves the same way, and stops where it was asked to.
    last = 2 * FILE_BLOCK_BYTES + 1000
    started, blocks = sent(HTTP_RANGE=f"bytes=1000-{last}")
    assert started == ["206 Partial Content"]
    assert b"".join(blocks) == expected[1000 : last + 1]
    assert {len(block) for block in blocks[:-1]} == {size}
