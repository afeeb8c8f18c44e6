"""Releases: cutting one (its files written once to the `datasets` storage), withdrawing one,
and reading their files back.

A release is the published data at one moment, read through `public_state_at(moment)` with the
same table writers as /data/ (institute.datasets.export, institute.datasets.spreadsheet), so a
later `?as_of=<moment>` read gives the same bytes. Each table is read from the database once
(by COPY on PostgreSQL): its CSV is written as the rows stream, and its JSON and XLSX by helper
processes from the spooled rows and the names a person reads in them, while this one reads the
next table and makes the package. Each file is
written to a temporary file as it streams (memory stays flat however large the tables), hashed,
and saved to the storage; if anything fails, what was saved is removed and no release is
recorded.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import secrets
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime

import django
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from institute.datasets.citation import DatasetCitation
from institute.datasets.codebook import codebook_markdown
from institute.datasets.export import csv_lines, datapackage_descriptor, json_chunks, public_rows
from institute.datasets.models import Release
from institute.datasets.spool import Spool
from institute.datasets.spreadsheet import TableWorkbook, batches, label_names, labelled_batch
from institute.datasets.tables import TABLES
from institute.datasets.xlsx import TooManyRows
from institute.editorial.as_of import public_state_at
from institute.editorial.rights import recorded_user

LABEL_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,39}$")
STORAGE = "datasets"
PACKAGE = "package.zip"
CHECKSUMS = "SHA256SUMS"
HELPERS = 2  # processes that write a release's JSON and XLSX files


def storage():
    return storages[STORAGE]


def next_label(*, today=None) -> str:
    """The default label: `YYYY.MM`, then `YYYY.MM.1`, `.2`… for more releases that month."""
    stem = f"{(today or timezone.localdate()):%Y.%m}"
    taken = set(Release.objects.filter(label__startswith=stem).values_list("label", flat=True))
    if stem not in taken:
        return stem
    n = 1
    while f"{stem}.{n}" in taken:
        n += 1
    return f"{stem}.{n}"


def check_label(label: str) -> str:
    label = label.strip()
    if not LABEL_PATTERN.match(label) or label.lower() in ("latest", "feed.atom"):
        raise ValidationError(
            f"“{label[:60]}” is not a release label: up to 40 letters, digits, dots, hyphens or "
            "underscores, starting with a letter or digit (the default is YYYY.MM[.N])."
        )
    if Release.objects.filter(label=label).exists():
        raise ValidationError(
            f"Release {label} exists already; a release is never replaced."
        ) from None
    return label


def release_url(release: Release) -> str:
    return release.base_url.rstrip("/") + reverse("data-release", kwargs={"label": release.label})


def release_citation(release: Release) -> DatasetCitation:
    return DatasetCitation(
        label=release.label,
        released=timezone.localtime(release.created_at).date(),
        url=release_url(release),
    )


class _Writer:
    """The files of one release, saved to the storage one by one, with their checksums."""

    def __init__(self, folder: str):
        self.folder, self.saved, self.files = folder, [], []

    def save(self, name: str, handle) -> None:
        digest, size = hashlib.sha256(), 0
        handle.seek(0)
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
        handle.seek(0)
        path = f"{self.folder}/{name}"
        saved = storage().save(path, File(handle, name=name))
        self.saved.append(saved)
        if saved != path:  # the storage renamed it: the folder was not ours alone
            raise IntegrityError(f"{path} exists in the datasets storage already.")
        self.files.append({"name": name, "size": size, "sha256": digest.hexdigest()})

    def save_text(self, name: str, text: str) -> None:
        with tempfile.TemporaryFile() as handle:
            handle.write(text.encode("utf-8"))
            self.save(name, handle)

    def save_chunks(self, name: str, chunks: Iterator[str]) -> None:
        with tempfile.TemporaryFile() as handle:
            for text in chunks:
                handle.write(text.encode("utf-8"))
            self.save(name, handle)

    def remove(self) -> None:
        for path in self.saved:
            storage().delete(path)


def release_create(*, label: str, notes: str, by, base_url: str) -> Release:
    """Cut a release: the published data now, frozen in files, and its row. Takes
    `institute.add_release` (a publisher's right; None for the command line, whose operator is
    the authority). ValidationError for a bad or taken label; nothing is kept if a file fails."""
    if by is not None and not by.has_perm("institute.add_release"):
        raise PermissionDenied("Cutting a release is a publisher's right.")
    label = check_label(label)
    base_url = base_url.rstrip("/") + "/"
    moment = timezone.now()
    # A folder of its own (the label and a random part): a second cut of the same label at the
    # same time writes elsewhere, and its clean-up never removes this one's files.
    writer = _Writer(f"releases/{label}-{secrets.token_hex(6)}")
    try:
        # In the datasets' language, whichever language the publisher's admin speaks: the
        # codebook and the notes of a release are frozen with it.
        with public_state_at(moment), translation.override(settings.LANGUAGE_CODE):
            _write_files(writer, label=label, notes=notes, moment=moment, base_url=base_url)
        with transaction.atomic():
            return Release.objects.create(
                label=label,
                notes=notes,
                created_at=moment,
                created_by=recorded_user(by),
                base_url=base_url,
                folder=writer.folder,
                files=writer.files,
            )
    except IntegrityError:
        writer.remove()
        raise ValidationError(
            f"Release {label} exists already; a release is never replaced."
        ) from None
    except BaseException:
        writer.remove()
        raise


def _write_files(writer: _Writer, *, label: str, notes: str, moment: datetime, base_url: str):
    with tempfile.TemporaryDirectory(prefix="release-") as folder, _helpers() as helpers:
        written = [
            (table, _write_table(writer, table, base_url=base_url, folder=folder, helpers=helpers))
            for table in TABLES.values()
        ]
        # The package needs only the CSVs: it is made while the helpers write the rest.
        _write_package(writer, label=label, notes=notes, moment=moment, base_url=base_url)
        for table, files in written:
            json_path, xlsx_path = files.result()
            with open(json_path, "rb") as handle:
                writer.save(f"{table.name}.json", handle)
            # None: longer than a sheet can be. The release has the table as CSV and JSON, and
            # its page shows no workbook for it.
            if xlsx_path is not None:
                with open(xlsx_path, "rb") as handle:
                    writer.save(f"{table.name}.xlsx", handle)


def _write_package(writer: _Writer, *, label: str, notes: str, moment: datetime, base_url: str):
    """datapackage.json, the codebook, CITATION.cff, SHA256SUMS of these and the CSVs, and
    package.zip holding them all."""
    citation = release_citation(Release(label=label, created_at=moment, base_url=base_url))
    packaged = [f"{table.name}.csv" for table in TABLES.values()]
    descriptor = datapackage_descriptor(version=label, created=moment, base_url=base_url)
    descriptor["notes"] = notes
    descriptor["homepage"] = citation.url
    writer.save_text("datapackage.json", json.dumps(descriptor, indent=2, ensure_ascii=False))
    writer.save_text("codebook.md", codebook_markdown(version=label, created=moment))
    writer.save_text("CITATION.cff", citation.cff())
    packaged += ["datapackage.json", "codebook.md", "CITATION.cff"]
    inner = {f["name"]: f["sha256"] for f in writer.files if f["name"] in packaged}
    writer.save_text(CHECKSUMS, checksums_text(inner))
    with tempfile.TemporaryFile() as handle:
        # A fixed date on every member: the same files always make the same archive bytes.
        stamp = timezone.localtime(moment).timetuple()[:6]
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in [*packaged, CHECKSUMS]:
                info = zipfile.ZipInfo(f"kazakhstan-reform-tracker-{label}/{name}", stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                with (
                    storage().open(f"{writer.folder}/{name}", "rb") as data,
                    archive.open(info, "w") as member,
                ):
                    shutil.copyfileobj(data, member, 1 << 20)
        writer.save(PACKAGE, handle)


def _helpers() -> ProcessPoolExecutor:
    """Processes that write the release's JSON and XLSX files (`_write_json_and_xlsx`) while
    this one reads the next table and makes the package: those files were most of a release's
    work, and other cores do them meanwhile (two: the reforms' and the citations' files, the
    largest, at once). Started fresh (spawn: a fork of a threaded server could inherit a held
    lock), with Django set up; they read nothing from the database."""
    return ProcessPoolExecutor(
        max_workers=HELPERS,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=django.setup,
    )


def _write_table(writer: _Writer, table, *, base_url: str, folder: str, helpers) -> Future:
    """The table read from the database once (by COPY on PostgreSQL): its CSV written and saved
    as the rows stream, the rows spooled to `folder`, then the names a person reads in them
    (`label_names`, a batch at a time, the only other reads). The JSON and the XLSX are left to
    `process`: a Future of their files' paths."""
    rows_path = os.path.join(folder, f"{table.name}.rows")
    names_path = os.path.join(folder, f"{table.name}.names")
    with Spool(path=rows_path) as rows, tempfile.TemporaryFile() as csv_file:
        stream = rows.writing(public_rows(table, table.queryset(), base_url=base_url))
        for line in csv_lines(table, stream):
            csv_file.write(line.encode("utf-8"))
        writer.save(f"{table.name}.csv", csv_file)
        rows.flush()
        with Spool((label_names(table, batch) for batch in batches(rows)), path=names_path):
            pass
    return helpers.submit(
        _write_json_and_xlsx,
        table.name,
        rows_path,
        names_path,
        os.path.join(folder, table.name),
        translation.get_language(),
    )


def _write_json_and_xlsx(
    table_name: str, rows_path: str, names_path: str, stem: str, language: str
) -> tuple[str, str | None]:
    """In a helper process: the table's JSON and XLSX from the rows and names that
    `_write_table` spooled, written as /data/ writes them (`json_chunks`, `TableWorkbook`), to
    `<stem>.json` and `<stem>.xlsx`. Returns their paths; None for the XLSX of a table longer
    than a sheet can be."""
    table = TABLES[table_name]
    with translation.override(language):
        json_path = f"{stem}.json"
        with open(json_path, "wb") as handle:
            for part in json_chunks(table, Spool.read(rows_path)):
                handle.write(part.encode("utf-8"))
        xlsx_path = f"{stem}.xlsx"
        try:
            with TableWorkbook(table) as book, open(xlsx_path, "wb") as handle:
                labelled = zip(batches(Spool.read(rows_path)), Spool.read(names_path), strict=True)
                for batch, names in labelled:
                    book.add(labelled_batch(table, batch, names))
                book.save(handle)
        except TooManyRows:
            return json_path, None
    return json_path, xlsx_path


def checksums_text(digests: dict[str, str]) -> str:
    """`sha256sum -c` reads it: one `<hex>  <name>` line per file."""
    return "".join(f"{digests[name]}  {name}\n" for name in sorted(digests))


def release_withdraw(release: Release, *, reason: str, by) -> Release:
    """Mark a release withdrawn, saying why; its files stay. Takes `withdraw_release`."""
    if by is not None and not by.has_perm("institute.withdraw_release"):
        raise PermissionDenied("Withdrawing a release is a publisher's right.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the release is withdrawn: readers who cited it will ask.")
    with transaction.atomic():
        locked = Release.objects.select_for_update().get(pk=release.pk)
        if locked.is_withdrawn:
            raise ValidationError(f"Release {locked.label} was withdrawn already.")
        locked.withdrawn_at = timezone.now()
        locked.withdrawn_by = recorded_user(by)
        locked.withdrawn_reason = reason
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason"])
    return locked


def latest_release() -> Release | None:
    return Release.objects.filter(withdrawn_at=None).first()


def open_file(release: Release, name: str):
    """A stored file of the release, open for reading; None if it has no such file."""
    if release.file(name) is None:
        return None
    return storage().open(f"{release.folder}/{name}", "rb")
