"""More than one server (README, "Running more than one server"): two web servers (`python -m
institute.web_server`, what `make serve` runs), one worker process each, on one database and one
Redis, and the background worker beside them.

Needs a Redis that answers at TEST_REDIS_URL (default redis://127.0.0.1:6379/0); `.ci/run`
starts one. Elsewhere these tests are skipped with the reason. Every key they write carries a
prefix of their own, deleted afterwards, so a Redis shared with anything else is left as it was.
The last test starts a redis-server of its own (on a random port) to stop and restart it.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
import redis
import requests

from institute.editorial.states import ReviewState
from institute.listings.generation import content_marker
from reforms.models import Reform
from tests.factories import UserFactory, entry_in_state
from tests.support import database_url, free_port, start_web_server

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/0"
PASSWORD = "a long enough password 4 tests"
STATE = "X-Page-Cache"

pytestmark = pytest.mark.django_db(transaction=True)


def redis_answers(url: str) -> str:
    """Empty if Redis answers at `url`, else why not."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        return f"no Redis answers at {url} ({exc}); set TEST_REDIS_URL or run .ci/run"
    return ""


def wait_for(predicate, what: str, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := predicate():
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


class Servers:
    """Processes started for a test, with one environment, stopped at its end."""

    def __init__(self, tmp_path: Path, cache_url: str, prefix: str):
        self.tmp_path, self.processes = tmp_path, []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "institute.settings.test",
            "DATABASE_URL": database_url(),
            "CACHE_URL": cache_url,
            "CACHE_KEY_PREFIX": prefix,
            "CACHE_RETRY_SECONDS": "0.5",
            "PAGE_CACHE": "1",
            "API_THROTTLE_RATE": "4/minute",
            "AXES_FAILURE_LIMIT": "2",
            "ADMIN_IMPORT_BACKGROUND_ROWS": "1",
            "DATA_PACKAGE_DIR": str(tmp_path / "packages"),
            "PAGE_CACHE_DIR": str(tmp_path / "page-cache"),
            "LOG_LEVEL": "WARNING",
        }

    def web(self, name: str) -> str:
        port = free_port()
        env = {**self.env, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
        self.processes.append(start_web_server(env, self.tmp_path / f"{name}.log"))
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: self._up(url), f"server {name} on port {port}")
        return url

    def worker(self) -> None:
        log = (self.tmp_path / "worker.log").open("a")
        command = [sys.executable, "manage.py", "run_worker", "--interval", "0.2"]
        self.processes.append(
            subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        )

    @staticmethod
    def _up(url: str) -> bool:
        try:
            return requests.get(url + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture
def shared_redis():
    if reason := redis_answers(REDIS_URL):
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield REDIS_URL, prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


@pytest.fixture
def servers(tmp_path, shared_redis):
    running = Servers(tmp_path, *shared_redis)
    yield running
    running.stop()


def visitor() -> requests.Session:
    """A client whose requests name the site by one host, as a load balancer in front of both
    servers passes on the public host name (absolute links and cache keys use it)."""
    session = requests.Session()
    session.headers["Host"] = "localhost"
    return session


def signed_in(base: str, username: str, password: str = PASSWORD) -> requests.Session:
    session = visitor()
    session.get(base + "/admin/login/", timeout=30)
    response = session.post(
        base + "/admin/login/?next=/admin/",
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=30,
    )
    assert response.status_code == 200 and response.url.endswith("/admin/"), response.status_code
    return session


def post(session: requests.Session, url: str, **kwargs) -> requests.Response:
    return session.post(
        url, headers={"X-CSRFToken": session.cookies["csrftoken"]}, timeout=60, **kwargs
    )


def test_a_download_kept_by_one_server_is_sent_compressed_and_in_parts_by_the_other(servers):
    """The kept file, its compressed twin (made by the server that kept it) and a part of either,
    through granian, from a folder both servers see."""
    servers.env["PAGE_CACHE_MAX_BYTES"] = "100"  # the export past the shared cache: kept as a file
    for slug in ("first", "second"):
        entry_in_state("reform", ReviewState.PUBLISHED, slug=slug, title=f"Reform {slug}")
    a, b = servers.web("a"), servers.web("b")
    path = "/reforms/export.csv?sort=title"
    first = visitor().get(a + path, headers={"Accept-Encoding": "identity"}, timeout=60)
    assert first.headers[STATE] == "miss" and b"Reform second" in first.content

    def compressed_on_b():
        answer = visitor().get(b + path, headers={"Accept-Encoding": "gzip"}, timeout=60)
        return answer if answer.headers.get("Content-Encoding") == "gzip" else None

    kept = wait_for(compressed_on_b, "the twin, sent by B", timeout=20)
    assert kept.headers[STATE] == "hit" and kept.content == first.content  # decompressed
    part = visitor().get(b + path, headers={"Accept-Encoding": "identity", "Range": "bytes=7-"})
    assert part.status_code == 206 and part.content == first.content[7:]
    size = len(first.content)
    assert part.headers["Content-Range"] == f"bytes 7-{size - 1}/{size}"


def test_two_servers_share_the_cache_sessions_throttle_lockout_and_import_jobs(servers):
    UserFactory(username="chief", password=PASSWORD, is_staff=True, is_superuser=True)
    UserFactory(username="victim", password=PASSWORD, is_staff=True)
    entry_in_state("reform", ReviewState.PUBLISHED, slug="first", title="First reform")
    news = entry_in_state(
        "reform", ReviewState.IN_REVIEW, approved=True, slug="news", title="Second reform"
    )
    a, b = servers.web("a"), servers.web("b")

    # The cache is one: what A computed, B answers from it.
    assert visitor().get(a + "/reforms/", timeout=30).headers[STATE] == "miss"
    seen_on_b = visitor().get(b + "/reforms/", timeout=30)
    assert seen_on_b.headers[STATE] == "hit" and "Second reform" not in seen_on_b.text
    for path in ("/reforms/export.csv", "/data/reforms.csv", "/data/package.zip"):
        assert visitor().get(b + path, timeout=60).status_code == 200

    # A session started on A is valid on B.
    chief = signed_in(a, "chief")
    assert "chief" in chief.get(b + "/admin/", timeout=30).text.lower()

    # A publish through A shows through B on the next request: pages, exports, API, package.
    published = post(chief, f"{a}/admin/reforms/reform/{news.pk}/review/publish/")
    assert published.status_code == 200
    news.refresh_from_db()
    assert news.review_state == ReviewState.PUBLISHED
    page = visitor().get(b + "/reforms/", timeout=30)
    assert page.headers[STATE] == "miss" and "Second reform" in page.text
    assert "Second reform" in visitor().get(b + "/reforms/news/", timeout=30).text
    assert "Second reform" in visitor().get(b + "/reforms/export.csv", timeout=60).text
    assert "Second reform" in visitor().get(b + "/data/reforms.csv", timeout=60).text
    assert "Second reform" in visitor().get(b + "/api/v1/reforms/", timeout=30).text
    package = visitor().get(b + "/data/package.zip", timeout=60)
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        names = [name for name in archive.namelist() if name.endswith("reforms.csv")]
        assert b"Second reform" in archive.read(names[0])

    # The API's throttle counts across both (4/minute, one spent above): refused on either
    # once four requests came in, wherever they went.
    statuses = [
        visitor().get(base + "/api/v1/topics/", timeout=30).status_code for base in (a, b, a, b)
    ]
    assert statuses == [200, 200, 200, 429]
    assert visitor().get(a + "/api/v1/topics/", timeout=30).status_code == 429

    # The sign-in lockout counts across both (2 failures): the first wrong password on A, the
    # second on B locks the pair out, on A as well, even with the right password.
    answers = []
    for base in (a, b):
        session = visitor()
        session.get(base + "/admin/login/", timeout=30)
        wrong = {"username": "victim", "password": "wrong"}
        wrong["csrfmiddlewaretoken"] = session.cookies["csrftoken"]
        answers.append(session.post(base + "/admin/login/", data=wrong, timeout=30).status_code)
    assert answers == [200, 429]
    session = visitor()
    session.get(a + "/admin/login/", timeout=30)
    right = {"username": "victim", "password": PASSWORD}
    right["csrfmiddlewaretoken"] = session.cookies["csrftoken"]
    assert session.post(a + "/admin/login/", data=right, timeout=30).status_code == 429

    # An import uploaded on A runs on the worker; its progress shows on B.
    servers.worker()
    rows = "".join(
        f"bulk-{i},Bulk reform {i},One. Two.,economy,,adopted,2019\r\n" for i in range(5)
    )
    upload = post(
        chief,
        a + "/admin/reforms/reform/import/",
        data={"resource": "0"},
        files={
            "import_file": (
                "big.csv",
                "slug,title,summary,area,topics,status,announced_on\r\n" + rows,
            )
        },
    )
    match = re.search(r"/admin/institute/importjob/(\d+)/change/", upload.url)
    assert match, upload.url
    job_on_b = f"{b}/admin/institute/importjob/{match[1]}/change/"
    wait_for(
        lambda: 'id="job-status">Imported<' in chief.get(job_on_b, timeout=30).text,
        "the import to show as done on B",
        timeout=90,
    )
    assert Reform.objects.filter(slug__startswith="bulk-").count() == 5


@pytest.fixture
def own_redis(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        reason = "redis-server is not installed (apt-get install redis-server)"
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    port = free_port()
    command = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(tmp_path)]

    class OwnRedis:
        url = f"redis://127.0.0.1:{port}/0"
        process: subprocess.Popen | None = None

        def start(self) -> None:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            wait_for(lambda: not redis_answers(self.url), "our redis-server")

        def stop(self) -> None:
            self.process.terminate()
            self.process.wait(timeout=20)

    own = OwnRedis()
    own.start()
    yield own
    if own.process.poll() is None:
        own.stop()


def test_the_site_answers_while_redis_is_away_and_picks_it_up_again(tmp_path, own_redis):
    UserFactory(username="chief", password=PASSWORD, is_staff=True, is_superuser=True)
    entry_in_state("reform", ReviewState.PUBLISHED, slug="first", title="First reform")
    running = Servers(tmp_path, own_redis.url, "outage")
    try:
        a = running.web("a")
        paths = ["/", "/reforms/", "/reforms/first/", "/data/reforms.csv", "/api/v1/reforms/"]
        for path in paths:
            visitor().get(a + path, timeout=30)
        assert visitor().get(a + "/reforms/", timeout=30).headers[STATE] == "hit"
        chief = signed_in(a, "chief")

        own_redis.stop()
        for path in paths:
            response = visitor().get(a + path, timeout=30)
            assert response.status_code == 200, path
            assert response.headers.get(STATE, "miss") == "miss", path
        assert "First reform" in visitor().get(a + "/reforms/", timeout=30).text
        # Sessions are kept in the database as well: the editor stays signed in.
        assert "chief" in chief.get(a + "/admin/", timeout=30).text.lower()
        # The throttle fails open (institute/shared_cache.py): more than 4 requests pass.
        statuses = {visitor().get(a + "/api/v1/topics/", timeout=30).status_code for _ in range(6)}
        assert statuses == {200}

        own_redis.start()  # empty: a fresh server on the same port
        marker = content_marker()

        def cached_again() -> bool:
            return visitor().get(a + "/reforms/", timeout=30).headers.get(STATE) == "hit"

        wait_for(cached_again, "the page cache to be used again without a restart")
        keys = redis.Redis.from_url(own_redis.url).keys("outage:*")
        assert keys, "nothing was written to the restarted Redis"
        assert content_marker() == marker
    finally:
        running.stop()
