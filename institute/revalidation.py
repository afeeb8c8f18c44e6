"""Answers recomputed off the request's thread, so that the visitor who asked can be given the
previous answer meanwhile (institute.page_cache, PAGE_CACHE_STALE_AFTER_SECONDS).

Each computation runs on a thread of its own, at most PAGE_CACHE_REVALIDATE_THREADS at once in
a process: past that, `start()` says no and the caller computes the answer itself, as it would
without this, so that a crowd after a publish never queues more work than the server's own
threads could do. A recomputation happens once an address a publish, so a thread is started for
each rather than kept waiting in a pool.

The thread opens its own database connection (Django's are per thread) and closes it when the
work ends. It is a daemon: a process that stops abandons a recomputation, whose lock in the
cache then expires (PAGE_CACHE_LOCK_SECONDS) and the next visitor computes the answer again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar

from django.conf import settings
from django.db import connections

T = TypeVar("T")
logger = logging.getLogger(__name__)

_running = 0
_running_lock = threading.Lock()


def start(work: Callable[[], T]) -> Future[T] | None:
    """`work()` begun on a thread of its own, its result (or its exception) in the Future; None
    where this process already runs as many as it may."""
    global _running
    with _running_lock:
        if _running >= settings.PAGE_CACHE_REVALIDATE_THREADS:
            return None
        _running += 1
    future: Future[T] = Future()
    future.set_running_or_notify_cancel()
    try:
        threading.Thread(
            target=_run, args=(work, future), name="page-cache-revalidation", daemon=True
        ).start()
    except BaseException:
        _finished()
        raise
    return future


def running() -> int:
    """How many recomputations this process runs now (the tests wait for none)."""
    return _running


def _run(work: Callable[[], T], future: Future[T]) -> None:
    try:
        future.set_result(work())
    except BaseException as error:
        # Logged here: the visitor may have been given the previous answer and never asks for
        # it. The caller raises it too if it waits for the result, as if it had computed it.
        logger.exception("A page recomputed on its own thread failed")
        future.set_exception(error)
    finally:
        connections.close_all()
        _finished()


def _finished() -> None:
    global _running
    with _running_lock:
        _running -= 1
