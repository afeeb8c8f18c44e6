"""The shared cache on Redis (CACHE_URL), which the site outlives: Redis going away makes the site
slower, never an error page, and its return is picked up without a restart.

Django's RedisCache raises when Redis cannot be reached. Here every operation that fails to
connect answers as a cache that holds nothing would (a miss; a write that kept nothing), logs
one warning for the outage, and for CACHE_RETRY_SECONDS skips Redis altogether, so a visitor
does not wait for a connection timeout on every call; after that the next call tries again, and
the first that succeeds logs that the cache is back.

What each user of the cache then does:
- the page cache and the listings' counts compute every answer (uncached, slower);
- sessions (`cached_db`) are read from and written to the database, which holds them anyway;
- the API's throttle finds no history and lets the request through: it fails open, because the
  API is read-only and public, and refusing every client for as long as Redis is away would be
  an outage of its own;
- the admin's sign-in lockout counts in the database (django-axes) and is not affected.

A lock taken with `add()` is granted while Redis is away: with nothing shared, each process
works alone rather than waiting for a holder that cannot be seen.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


class ReusedClient(RedisCacheClient):
    """Django's client makes a new `redis.Redis` for every operation (about 0.25 ms of Python,
    a fifth of a cached page's whole cost); one per connection pool serves them all, as redis-py
    means it to (a client is safe to share between threads, its pool hands out connections)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """RedisCache that answers as an empty cache while Redis cannot be reached."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClient
        self._down_until = 0.0
        self._state_lock = threading.Lock()

    def _call(self, operation, fallback, *args, **kwargs):
        if time.monotonic() < self._down_until:
            return fallback
        try:
            result = operation(*args, **kwargs)
        except UNREACHABLE as exc:
            with self._state_lock:
                if self._down_until == 0.0:
                    logger.warning(
                        "The cache (Redis) cannot be reached (%s); answering uncached, trying "
                        "again every %s s",
                        exc,
                        settings.CACHE_RETRY_SECONDS,
                    )
                self._down_until = time.monotonic() + settings.CACHE_RETRY_SECONDS
            return fallback
        if self._down_until:
            with self._state_lock:
                if self._down_until:
                    logger.warning("The cache (Redis) answers again")
                self._down_until = 0.0
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().add, True, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call(super().get, default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set, None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().touch, False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call(super().delete, False, key, version)

    def get_many(self, keys, version=None):
        return self._call(super().get_many, {}, keys, version)

    def has_key(self, key, version=None):
        return self._call(super().has_key, False, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        result = self._call(super().incr, missing, key, delta, version)
        if result is missing:
            raise ValueError(f"Key '{key}' not found (the cache cannot be reached)")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(super().set_many, list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call(super().delete_many, None, keys, version)

    def clear(self):
        return self._call(super().clear, None)
