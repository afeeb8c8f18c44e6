"""The data package as a finished file, one per content version, kept in DATA_PACKAGE_DIR
where every server sees it.

A package is keyed by the site's address (its files' `url` columns) and the content marker,
which every write to a table the package reads moves on; with the newest version and review
event, so that a database made afresh, whose marker starts again, does not meet the packages of
the one before.

Who builds it: the worker, ahead of visitors (`prebuild`, which `manage.py run_worker` runs
every DATA_PACKAGE_PREBUILD_SECONDS for SITE_URL: a publish is followed by the new package
within that time and the build's). A request that finds no file for the content as it is now
builds it itself only while the content is small (no table with more than
DATA_PACKAGE_INLINE_MAX_ROWS public rows: a second or two); past that it is told the package is
being made (at 1M reforms a build takes about a minute), never kept waiting for it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils import translation

from institute.datasets.export import data_package
from institute.datasets.tables import TABLES
from institute.listings.generation import content_marker

KEEP_PACKAGES = 8  # packages kept on disk (one being read stays readable when it is removed)


def _key(base_url: str) -> str:
    return hashlib.sha256(f"{base_url}|{content_marker()}".encode()).hexdigest()[:16]


def _folder() -> Path:
    folder = Path(settings.DATA_PACKAGE_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def current(*, base_url: str) -> tuple[Path, str] | None:
    """(path, version) of the package of the content as it is now, if it is built."""
    for path in _folder().glob(f"{_key(base_url)}-*.zip"):
        return path, path.stem.split("-", 1)[1]
    return None


def build(*, base_url: str) -> tuple[Path, str]:
    """Build the package of the content as it is now and keep it; (path, version)."""
    key, folder = _key(base_url), _folder()
    # The package is one file for every visitor (/data/package.zip has no language), whichever
    # page or worker made it: always in the default language.
    with translation.override(settings.LANGUAGE_CODE):
        handle, version = data_package(base_url=base_url)
    with handle, tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as part:
        shutil.copyfileobj(handle, part)
    path = folder / f"{key}-{version}.zip"
    os.replace(part.name, path)  # whole or not at all, for a request reading it meanwhile
    for old in sorted(folder.glob("*.zip"), key=lambda p: p.stat().st_mtime)[:-KEEP_PACKAGES]:
        old.unlink(missing_ok=True)
    return path, version


def small_enough_to_build_now() -> bool:
    """Whether no table has more than DATA_PACKAGE_INLINE_MAX_ROWS public rows."""
    limit = settings.DATA_PACKAGE_INLINE_MAX_ROWS
    return not any(
        table.queryset().order_by()[limit : limit + 1].exists() for table in TABLES.values()
    )


def package_file(*, base_url: str) -> tuple[Path, str] | None:
    """(path, version) of the package of the content as it is now: the file kept, or one built
    now if the content is small; None while the worker is making it."""
    found = current(base_url=base_url)
    if found is None and small_enough_to_build_now():
        found = build(base_url=base_url)
    return found


def site_base_url() -> str:
    """The site's address as a request names it (`https://host/`), from SITE_URL; "" unset."""
    return settings.SITE_URL.rstrip("/") + "/" if settings.SITE_URL else ""


def prebuild() -> bool:
    """The worker's pass: build the package of the content as it is now for SITE_URL unless it
    is built already. Whether it built one."""
    base_url = site_base_url()
    if not base_url or current(base_url=base_url) is not None:
        return False
    build(base_url=base_url)
    return True
