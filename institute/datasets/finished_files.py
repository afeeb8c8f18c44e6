"""The whole-dataset downloads as finished files, one set per content version, kept in
DATA_PACKAGE_DIR where every server sees it: the data package and every table in every format
(/data/<table>.csv, .json and .xlsx; "CSV for Excel" is the CSV's file after a byte order mark).

A set is keyed by the site's address (the files' `url` columns) and the content marker, which
every write to a table the files read moves on; with the newest version and review event, so
that a database made afresh, whose marker starts again, does not meet the sets of the one
before. Every file is renamed into place once written, so a request finds a whole file or
none.

Who builds it: the worker, ahead of visitors (`prebuild`, which `manage.py run_worker` runs
every DATA_PACKAGE_PREBUILD_SECONDS for SITE_URL: a publish is followed by the new set within
that time and the build's). The tables' CSVs are written once and zipped into the package.

What a request does when the set of the content as it is now is not there yet:
- /data/package.zip builds it itself only while the content is small (no table with more than
  DATA_PACKAGE_INLINE_MAX_ROWS public rows: a second or two); past that it is told the package
  is being made (at 1M reforms a build takes minutes), never kept waiting for it;
- /data/<table>.<format> streams the table as it always did (institute.datasets.export), so a
  download is never refused; the finished file, once there, is the same bytes (tests).
The package and the tables' CSVs are placed first, together; each table's JSON and workbook
follow, each placed when written (at 1M rows they take longer than the package); last, each CSV
and JSON compressed (`<table>.<format>.gz`), sent as it is to a client that accepts gzip
(institute.compression): the same bytes, a fraction of the transfer, compressed once.
Every file is made in the site's default language, the language of these addresses (they have
no language prefix; a workbook's sheets for people are in it).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from contextlib import closing
from pathlib import Path

from django.conf import settings
from django.utils import translation

from institute import compression
from institute.datasets import xlsx
from institute.datasets.export import Body, export_lines, json_body, write_package, write_xlsx
from institute.datasets.tables import TABLES
from institute.editorial.as_of import one_snapshot
from institute.listings.generation import content_marker

# Sets kept on disk: the current one and the one before. Only the current one is ever sent; a
# file being sent stays readable when its set is removed, and at 1M reforms a set is gigabytes.
KEEP_SETS = 2
# A set's folder still being made after this long was left by a build whose process died.
ABANDONED_SECONDS = 3600
# Written in a set's folder when a table has more rows than a sheet holds: the request answers
# as it always has (a 400 that says so), without writing the rows to find out.
TOO_MANY_ROWS = ".too-many-rows"
COMPLETE = ".complete"  # every file of the set is written
# A file's compressed twin, for the formats that are text (a workbook is a zip already; "CSV for
# Excel" is the CSV's file after a mark, which a compressed file cannot be sent after).
GZIPPED, GZIPPED_FORMATS = ".gz", ("csv", "json")
# Temporary files and folders are made private (0600, 0700); what is placed is public data, read
# by the web server's processes whatever user they run as.
PUBLIC_FILE, PUBLIC_FOLDER = 0o644, 0o755


def _key(base_url: str) -> str:
    return hashlib.sha256(f"{base_url}|{content_marker()}".encode()).hexdigest()[:16]


def _folder() -> Path:
    folder = Path(settings.DATA_PACKAGE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _package_in(folder: Path) -> tuple[Path, str] | None:
    """(path, version) of the package in a set's folder, if it is there."""
    for path in folder.glob("package-*.zip"):
        return path, path.stem.split("-", 1)[1]
    return None


def current(*, base_url: str) -> tuple[Path, str] | None:
    """(path, version) of the package of the content as it is now, if it is built."""
    return _package_in(_folder() / _key(base_url))


def table_file(name: str, fmt: str, *, base_url: str, gzipped: bool = False) -> Path | None:
    """The finished file of table `name` in `fmt` ("csv", "json" or "xlsx") for the content as it
    is now, or None if its set is not built; xlsx.TooManyRows for a workbook with more rows than
    a sheet holds. `gzipped`: its compressed twin, None until the worker has made it."""
    folder = _folder() / _key(base_url)
    path = folder / f"{name}.{fmt}"
    if gzipped:
        path = path.with_name(path.name + GZIPPED)
        return path if fmt in GZIPPED_FORMATS and path.exists() else None
    if path.exists():
        return path
    if (folder / f"{name}.{fmt}{TOO_MANY_ROWS}").exists():
        raise xlsx.TooManyRows(f"{name} has more rows than a sheet holds")
    return None


def _write_body(handle, body: Body) -> None:
    """A streamed export's text (institute.datasets.export) to `handle`, the very chunks a
    streamed answer sends; its rows closed whatever happens."""
    with closing(body):
        for text in body:
            handle.write(text if isinstance(text, bytes) else text.encode("utf-8"))


def _write_csvs(folder: Path, *, base_url: str) -> dict[str, Path]:
    csv_files = {}
    for name, table in TABLES.items():
        csv_files[name] = folder / f"{name}.csv"
        with csv_files[name].open("wb") as handle:
            _write_body(handle, export_lines(table, table.queryset(), base_url=base_url))
    return csv_files


def _placed(path: Path, write) -> None:
    """`write(handle)` to a file beside `path`, renamed to it once complete: a request finds the
    whole file or none."""
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".part", delete=False) as handle:
        try:
            write(handle)
        except BaseException:
            Path(handle.name).unlink()
            raise
    os.chmod(handle.name, PUBLIC_FILE)
    os.replace(handle.name, path)


def _write_json_and_xlsx(folder: Path, *, base_url: str) -> None:
    for name, table in TABLES.items():
        _placed(
            folder / f"{name}.json",
            lambda handle, table=table: _write_body(
                handle, json_body(table, table.queryset(), base_url=base_url)
            ),
        )
        # A count first (the build is one snapshot: the rows cannot grow past it meanwhile), so
        # a table longer than a sheet is found without writing its rows.
        if table.queryset().count() + 1 > min(settings.XLSX_MAX_ROWS, xlsx.MAX_ROWS):
            (folder / f"{name}.xlsx{TOO_MANY_ROWS}").touch()
            continue
        try:
            _placed(
                folder / f"{name}.xlsx",
                lambda handle, table=table: write_xlsx(
                    handle, table, table.queryset(), base_url=base_url
                ),
            )
        except xlsx.TooManyRows:  # a sheet the count does not foresee
            (folder / f"{name}.xlsx{TOO_MANY_ROWS}").touch()


def _write_gzipped(folder: Path) -> None:
    """Each table's CSV and JSON compressed beside it (institute.compression.write_twin)."""
    for name in TABLES:
        for fmt in GZIPPED_FORMATS:
            plain = folder / f"{name}.{fmt}"
            if not plain.exists():
                continue

            def write(handle, plain=plain):
                with plain.open("rb") as source:
                    compression.write_twin(source, handle)

            _placed(plain.with_name(plain.name + GZIPPED), write)


def build(*, base_url: str, whole: bool = True) -> tuple[Path, str]:
    """Build the set of the content as it is now and keep it; the package's (path, version).

    First the tables' CSVs and the package, made in a folder of their own and renamed into place
    together; then (`whole`) each table's JSON and workbook, each renamed into place when
    written, so the package is not kept waiting for them. A set whose package is there already
    gets only what it lacks."""
    folder = _folder()
    # The key and every table read in one snapshot: a publish during the build, which moves the
    # marker on, reaches neither the set nor its name. One file for every visitor (the
    # addresses have no language), whichever page or worker made it: always in the default
    # language.
    with one_snapshot(), translation.override(settings.LANGUAGE_CODE):
        key = _key(base_url)
        if _package_in(folder / key) is None:
            _build_package(folder, key, base_url=base_url)
            _remove_old(folder)
        if whole and not (folder / key / COMPLETE).exists():
            _write_json_and_xlsx(folder / key, base_url=base_url)
            _write_gzipped(folder / key)
            (folder / key / COMPLETE).touch()
    found = _package_in(folder / key)
    if found is None:
        raise FileNotFoundError(f"The data package of set {key} is missing")
    return found


def _build_package(folder: Path, key: str, *, base_url: str) -> None:
    work = Path(tempfile.mkdtemp(dir=folder, suffix=".part"))
    try:
        csv_files = _write_csvs(work, base_url=base_url)
        with tempfile.NamedTemporaryFile(dir=work, suffix=".zip", delete=False) as package:
            version = write_package(package, csv_files, base_url=base_url)
        os.replace(package.name, work / f"package-{version}.zip")
        for path in work.iterdir():
            os.chmod(path, PUBLIC_FILE)
        os.chmod(work, PUBLIC_FOLDER)
        try:
            os.rename(work, folder / key)  # whole or not at all, for a request reading meanwhile
        except OSError:
            if not (folder / key).is_dir():
                raise
            # Another process made the same set first (the worker and a request): theirs it is.
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _remove_old(folder: Path) -> None:
    sets, now = [], time.time()
    for path in folder.iterdir():
        if not path.is_dir():
            continue
        if path.name.endswith(".part"):
            if now - path.stat().st_mtime > ABANDONED_SECONDS:
                shutil.rmtree(path, ignore_errors=True)  # a build whose process died
            continue
        sets.append(path)
    for old in sorted(sets, key=lambda p: p.stat().st_mtime)[:-KEEP_SETS]:
        shutil.rmtree(old, ignore_errors=True)
    # Packages kept by an earlier version of the site, one ZIP each beside the sets.
    for old in folder.glob("*.zip"):
        old.unlink(missing_ok=True)


def small_enough_to_build_now() -> bool:
    """Whether no table has more than DATA_PACKAGE_INLINE_MAX_ROWS public rows."""
    limit = settings.DATA_PACKAGE_INLINE_MAX_ROWS
    return not any(
        table.queryset().order_by()[limit : limit + 1].exists() for table in TABLES.values()
    )


def package_file(*, base_url: str) -> tuple[Path, str] | None:
    """(path, version) of the package of the content as it is now: the file kept, or one built
    now if the content is small (the package only: the tables' other files are the worker's);
    None while the worker is making it."""
    found = current(base_url=base_url)
    if found is None and small_enough_to_build_now():
        found = build(base_url=base_url, whole=False)
    return found


def site_base_url() -> str:
    """The site's address as a request names it (`https://host/`), from SITE_URL; "" unset."""
    return settings.SITE_URL.rstrip("/") + "/" if settings.SITE_URL else ""


def prebuild() -> bool:
    """The worker's pass: build the set of the content as it is now for SITE_URL, or what it
    lacks, unless it is complete. Whether it built anything."""
    base_url = site_base_url()
    if not base_url or (_folder() / _key(base_url) / COMPLETE).exists():
        return False
    build(base_url=base_url)
    return True
