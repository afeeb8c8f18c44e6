"""The page cache's answers too large for the shared cache, kept as files in PAGE_CACHE_DIR.

A download larger than PAGE_CACHE_MAX_BYTES (a filtered export of many rows) is written to a
file as it streams to its first visitor and, once complete, renamed into place; the page cache
(institute.page_cache) then names the file in its entry, and the next visitors of the address
are sent the file until the content changes. Set PAGE_CACHE_DIR to a folder every server sees,
as DATA_PACKAGE_DIR; a server that cannot find the file an entry names computes the answer
again (a miss, never an error).

A kept file that is text (CSV, JSON) gets a compressed twin, `<name>.gz`, made once by a thread
of the process that kept it (`compress_later`), not by the visitor's request: the first visitor's
download streams as the export writes it and is not held while gzip runs (a 24 MB export takes
about a second and a half at gzip's usual level here). Until the twin is placed, a client that
accepts gzip is sent the file as it is; from then on, the twin. A twin is placed whole, like its
file, and the same file gives the same twin on any server (no time or name in its header).

The folder holds at most PAGE_CACHE_DISK_BYTES, twins included: after each file is kept, the
least recently written are removed until the rest fit (a file being sent stays readable when it
is removed). One answer larger than a quarter of that is streamed, never kept.
PAGE_CACHE_DISK_BYTES=0 keeps none. Files of an earlier content state are never sent for the
current one (the entry's marker says which state it is), and are the first to go.
"""

from __future__ import annotations

import logging
import os
import queue
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings

from institute import compression

logger = logging.getLogger(__name__)

PUBLIC_FILE = 0o644  # temporary files are made private; any server's user reads a kept one
# A file still being written after this long was left by a process that died: removed when room
# is made.
ABANDONED_SECONDS = 3600
GZIPPED = ".gz"  # a kept file's compressed twin: `<name>.gz`


def folder() -> Path:
    path = Path(settings.PAGE_CACHE_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def largest() -> int:
    """The largest answer kept on disk, in bytes (0: none)."""
    return settings.PAGE_CACHE_DISK_BYTES // 4


class Spill:
    """An answer being written to its file as it streams. Writing to disk never fails the answer:
    a file that cannot be written (a full disk) is dropped and logged, and the answer is sent all
    the same, not kept."""

    def __init__(self, name: str, handle):
        self.name, self._handle, self.size = name, handle, 0

    @classmethod
    def begin(cls, name: str, chunks: list[bytes]) -> Spill | None:
        """A file begun with `chunks`, or None where it cannot be written."""
        try:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- kept or discarded below
                dir=folder(), prefix=f"{name}.", suffix=".part", delete=False
            )
        except OSError as error:
            logger.warning("An answer could not be kept on disk: %s", error)
            return None
        spill = cls(name, handle)
        return spill if all(spill.write(chunk) for chunk in chunks) else None

    def write(self, chunk: bytes) -> bool:
        """Whether the file took `chunk` and the answer is still small enough to keep; if not,
        the file is dropped."""
        try:
            self._handle.write(chunk)
        except OSError as error:
            logger.warning("An answer could not be kept on disk: %s", error)
            self.discard()
            return False
        self.size += len(chunk)
        if self.size > largest():
            self.discard()
            return False
        return True

    def keep(self) -> str:
        """Place the file; its name, for the entry, or "" where it could not be placed."""
        try:
            self._handle.close()
            os.chmod(self._handle.name, PUBLIC_FILE)
            os.replace(self._handle.name, folder() / self.name)
        except OSError as error:
            logger.warning("An answer could not be kept on disk: %s", error)
            self.discard()
            return ""
        _fit()
        return self.name

    def discard(self) -> None:
        self._handle.close()
        Path(self._handle.name).unlink(missing_ok=True)


def open_answer(name: str, *, gzipped: bool = False):
    """The kept file `name` (`gzipped`: its compressed twin), open for reading;
    FileNotFoundError if it is gone, or if the twin is not made yet."""
    return (folder() / (Path(name).name + (GZIPPED if gzipped else ""))).open("rb")


_to_compress: queue.Queue[Path] = queue.Queue()
_compressor_lock = threading.Lock()
_compressor: threading.Thread | None = None


def compress_later(name: str) -> None:
    """Make the kept file `name`'s compressed twin on this process's compressing thread, after
    the files asked for before it. The thread is a daemon: a process that stops leaves a twin
    half-written as a `.part`, removed when room is made, and the file is sent as it is."""
    global _compressor
    _to_compress.put(folder() / Path(name).name)
    with _compressor_lock:
        # Started on first use, in the process that uses it (a server forks its workers).
        if _compressor is None or not _compressor.is_alive():
            _compressor = threading.Thread(
                target=_compress_each, name="answer-files-gzip", daemon=True
            )
            _compressor.start()


def wait_for_twins() -> None:
    """Return once every twin asked for in this process is placed or given up (the tests)."""
    _to_compress.join()


def _compress_each() -> None:
    while True:
        plain = _to_compress.get()
        try:
            _compress(plain)
        finally:
            _to_compress.task_done()


def _compress(plain: Path) -> bool:
    """Place the kept file `plain`'s compressed twin (institute.compression); False where the
    file is gone or the twin cannot be written, which is logged and leaves the file to be sent
    as it is."""
    twin = plain.with_name(plain.name + GZIPPED)
    if twin.exists():
        return True  # made already, by this server or by another that shares the folder
    handle = None
    try:
        with plain.open("rb") as source:
            handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- placed or removed below
                dir=plain.parent, prefix=f"{twin.name}.", suffix=".part", delete=False
            )
            compression.write_twin(source, handle)
            handle.close()
        os.chmod(handle.name, PUBLIC_FILE)
        os.replace(handle.name, twin)
    except FileNotFoundError:
        # The file was removed to make room before its turn came: nothing to compress.
        _remove_part(handle)
        return False
    except OSError as error:
        logger.warning("A kept answer could not be compressed: %s", error)
        _remove_part(handle)
        return False
    _fit()
    return True


def _remove_part(handle) -> None:
    if handle is not None:
        handle.close()
        Path(handle.name).unlink(missing_ok=True)


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
