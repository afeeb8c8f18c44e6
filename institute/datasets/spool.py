"""Rows kept in a file as they pass, to be read again, as often as needed.

The database is read once for several files (a release's CSV, JSON and XLSX of a table), and a
reader of the kept rows may query the database between rows, which a COPY still under way on
the connection would block (the names in an XLSX). Rows are pickled in batches: memory stays
flat however many rows, and objects shared within a batch stay shared when read back (a row and
its labels, institute.datasets.spreadsheet). Only files this process wrote are ever read.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

BATCH_ROWS = 2000


class Spool:
    """Rows kept as they pass (`writing`), or all of `rows` at once; iterate it to read them
    again. In an unnamed temporary file, or at `path` for another process to read
    (`Spool.read`). A context manager that closes the file."""

    def __init__(self, rows: Iterable | None = None, *, path: Path | str | None = None):
        # Closed by close(); an unnamed file goes with it.
        self._file = open(path, "w+b") if path else tempfile.TemporaryFile()  # noqa: SIM115
        if rows is not None:
            for _ in self.writing(rows):
                pass
            self._file.flush()

    def writing(self, rows: Iterable) -> Iterator:
        """`rows`, each kept as it passes."""
        batch = []
        for row in rows:
            batch.append(row)
            if len(batch) == BATCH_ROWS:
                pickle.dump(batch, self._file, protocol=pickle.HIGHEST_PROTOCOL)
                batch = []
            yield row
        if batch:
            pickle.dump(batch, self._file, protocol=pickle.HIGHEST_PROTOCOL)

    def flush(self) -> None:
        """Write out what is buffered, for another process to read the file."""
        self._file.flush()

    def __iter__(self) -> Iterator:
        self._file.seek(0)
        return _batches(self._file)

    @staticmethod
    def read(path: Path | str) -> Iterator:
        """The rows a Spool kept at `path`."""
        with open(path, "rb") as handle:
            yield from _batches(handle)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _batches(handle) -> Iterator:
    while True:
        try:
            batch = pickle.load(handle)  # noqa: S301 -- a file of our own (see the module)
        except EOFError:
            return
        yield from batch
