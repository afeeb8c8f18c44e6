"""The cache is shared by every process (the web server's workers, the background worker, commands):
the database's `django_cache` table by default, Redis with CACHE_URL. A per-process memory cache
would give each worker its own /data/ summary."""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent


def manage_shell(code: str, **env: str) -> str:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "institute.settings.test", **env}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_default_cache_is_not_per_process():
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend in {
        "django.core.cache.backends.db.DatabaseCache",
        "institute.shared_cache.ResilientRedisCache",
    }


@pytest.mark.django_db(transaction=True)
def test_another_process_sees_this_process_cache_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL run: the SQLite test database is in memory (see the next test)")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    key, value = f"shared-{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, 60)
    seen = manage_shell(
        f"from django.core.cache import cache; print(cache.get({key!r}));"
        f"cache.set({key + '-back'!r}, 'from the other process', 60)",
        DATABASE_URL=url,
    )
    assert seen.splitlines()[-1] == value
    assert cache.get(key + "-back") == "from the other process"


def test_two_processes_share_the_cache_on_sqlite(tmp_path):
    # A file database, as production would use (the SQLite test database lives in memory).
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    key, value = f"shared-{uuid.uuid4().hex}", uuid.uuid4().hex
    manage_shell(
        "from django.core.management import call_command; call_command('createcachetable');"
        f"from django.core.cache import cache; cache.set({key!r}, {value!r}, 60)",
        DATABASE_URL=url,
    )
    seen = manage_shell(
        f"from django.core.cache import cache; print(cache.get({key!r}))", DATABASE_URL=url
    )
    assert seen.splitlines()[-1] == value


@pytest.fixture
def redis_url(tmp_path):
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not start")
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_two_processes_share_the_cache_on_redis(redis_url, tmp_path):
    env = {"CACHE_URL": redis_url, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}"}
    key, value = f"shared-{uuid.uuid4().hex}", uuid.uuid4().hex
    backend = manage_shell(
        "from django.conf import settings; from django.core.cache import cache;"
        f"cache.set({key!r}, {value!r}, 60); print(settings.CACHES['default']['BACKEND'])",
        **env,
    )
    assert backend.splitlines()[-1] == "institute.shared_cache.ResilientRedisCache"
    seen = manage_shell(f"from django.core.cache import cache; print(cache.get({key!r}))", **env)
    assert seen.splitlines()[-1] == value
