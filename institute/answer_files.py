"""The page cache's answers too large for the shared cache, kept as files in PAGE_CACHE_DIR.

A download larger than PAGE_CACHE_MAX_BYTES (a filtered export of many rows) is written to a
file as it streams to its first visitor and, once complete, renamed into place; the page cache
(institute.page_cache) then names the file in its entry, and the next visitors of the address
are sent the file until the content changes. Set PAGE_CACHE_DIR to a folder every server sees,
as DATA_PACKAGE_DIR; a server that cannot find the file an entry names computes the answer
again (a miss, never an error).

The folder holds at most PAGE_CACHE_DISK_BYTES: after each file is kept, the least recently
written are removed until the rest fit (a file being sent stays readable when it is removed).
One answer larger than a quarter of that is streamed, never kept. PAGE_CACHE_DISK_BYTES=0 keeps
none. Files of an earlier content state are never sent for the current one (the entry's marker
says which state it is), and are the first to go.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from django.conf import settings

PUBLIC_FILE = 0o644  # temporary files are made private; any server's user reads a kept one
# A file still being written after this long was left by a process that died: removed when room
# is made.
ABANDONED_SECONDS = 3600


def folder() -> Path:
    path = Path(settings.PAGE_CACHE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def largest() -> int:
    """The largest answer kept on disk, in bytes (0: none)."""
    return settings.PAGE_CACHE_DISK_BYTES // 4


class Spill:
    """An answer being written to its file as it streams; `keep()` places it, `discard()` drops
    it (a stream cut by an error or by the client, or grown past `largest()`)."""

    def __init__(self, name: str):
        self.name = name
        self.size = 0
        self._handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- kept or discarded below
            dir=folder(), prefix=f"{name}.", suffix=".part", delete=False
        )

    def write(self, chunk: bytes) -> bool:
        """Whether the answer is still small enough to keep."""
        self._handle.write(chunk)
        self.size += len(chunk)
        return self.size <= largest()

    def keep(self) -> str:
        """Place the file; its name, for the entry."""
        self._handle.close()
        os.chmod(self._handle.name, PUBLIC_FILE)
        os.replace(self._handle.name, folder() / self.name)
        _fit()
        return self.name

    def discard(self) -> None:
        self._handle.close()
        Path(self._handle.name).unlink(missing_ok=True)


def open_answer(name: str):
    """The kept file `name`, open for reading; FileNotFoundError if it is gone."""
    return (folder() / Path(name).name).open("rb")


def _fit() -> None:
    files = []
    now = time.time()
    for path in folder().iterdir():
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed meanwhile by another server
            continue
        if path.suffix == ".part" and now - stat.st_mtime < ABANDONED_SECONDS:
            continue  # being written
        files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    for _, size, path in sorted(files):
        if total <= settings.PAGE_CACHE_DISK_BYTES:
            break
        path.unlink(missing_ok=True)
        total -= size
