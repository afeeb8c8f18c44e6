"""Backups of the whole database, and restoring one (`manage.py backup_db`, `restore_db`).

PostgreSQL goes through pg_dump's custom format and pg_restore (`--clean --if-exists`, in one
transaction, so a failed restore changes nothing); SQLite through its online backup API
(`sqlite3.Connection.backup`), which copies a consistent snapshot while others use the file.

A backup holds password hashes and sessions: its folder is 0700 and the file 0600 whatever the
umask, and a restore refuses a file group or others can write (anyone could have replaced it).
"""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from django.core.cache import cache
from django.core.management.base import CommandError
from django.db import DatabaseError, connections

from institute.listings.generation import generation, move_past

POSTGRES, SQLITE = "postgresql", "sqlite"
PRIVATE_FOLDER, PRIVATE_FILE = 0o700, 0o600


def engine_of(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in (POSTGRES, SQLITE):
        raise CommandError(f"Backups handle PostgreSQL and SQLite, not {vendor}.")
    return vendor


def database_label(alias: str = "default") -> str:
    """The database's name as it goes into a backup's file name."""
    name = str(connections[alias].settings_dict["NAME"])
    if engine_of(alias) == SQLITE:
        name = Path(name).stem if "memory" not in name else "memory"
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "database"


def backup_path(directory: Path, alias: str = "default") -> Path:
    """`<directory>/<database>-<UTC time>.dump` (.sqlite3 on SQLite), never an existing file."""
    suffix = ".dump" if engine_of(alias) == POSTGRES else ".sqlite3"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    stem = f"{database_label(alias)}-{stamp}"
    path, n = directory / f"{stem}{suffix}", 1
    # A .partial left by a dump that failed this second is taken too (private_file creates anew).
    while path.exists() or path.with_name(path.name + ".partial").exists():
        path, n = directory / f"{stem}-{n}{suffix}", n + 1
    return path


def private_folder(directory: Path) -> None:
    """Make `directory` (and any missing parent) and leave it 0700, an existing one tightened."""
    directory.mkdir(parents=True, exist_ok=True)
    # chmod, not mkdir's mode: the umask would narrow that, and an existing folder keeps its own.
    os.chmod(directory, PRIVATE_FOLDER)


def private_file(path: Path) -> None:
    """Create `path` empty, 0600, before any tool writes into it: pg_dump and sqlite3 open an
    existing file as it is, so the dump is never readable by others, not even while written."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE)  # the umask may have taken bits from the 0600
    finally:
        os.close(descriptor)


def check_backup_file(path: Path) -> None:
    """Refuse what is not a file, or a file group or others can write: restoring replaces every
    account and session with its contents."""
    if not path.is_file():
        raise CommandError(f"{path}: no such backup file.")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise CommandError(
            f"{path} can be written by group or others (mode {mode:04o}), so anyone could have "
            f"changed it; nothing restored. If it is yours, `chmod 600 {path}` and try again."
        )


def postgres_environment(alias: str = "default") -> dict[str, str]:
    """libpq's variables for pg_dump and pg_restore, so no password is on a command line."""
    settings = connections[alias].settings_dict
    options = settings.get("OPTIONS") or {}
    env = dict(os.environ)
    for variable, value in (
        ("PGHOST", settings.get("HOST")),
        ("PGPORT", settings.get("PORT")),
        ("PGUSER", settings.get("USER")),
        ("PGPASSWORD", settings.get("PASSWORD")),
        ("PGDATABASE", settings.get("NAME")),
        ("PGSSLMODE", options.get("sslmode")),
    ):
        if value:
            env[variable] = str(value)
    return env


def run_client(args: list[str], *, alias: str) -> None:
    try:
        result = subprocess.run(
            args, env=postgres_environment(alias), capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise CommandError(f"{args[0]} is not installed (PostgreSQL's client tools).") from None
    if result.returncode != 0:
        raise CommandError(f"{args[0]} failed: {result.stderr.strip() or result.returncode}")


def backup_database(directory: Path, *, alias: str = "default") -> Path:
    """Write a backup of the whole database into `directory`; return its path."""
    private_folder(directory)
    path = backup_path(directory, alias)
    if engine_of(alias) == POSTGRES:
        partial = path.with_name(path.name + ".partial")
        private_file(partial)
        try:
            run_client(["pg_dump", "--format=custom", f"--file={partial}"], alias=alias)
        except CommandError:
            partial.unlink(missing_ok=True)
            raise
        partial.rename(path)  # a file with the final name is always a complete dump
    else:
        connection = connections[alias]
        connection.ensure_connection()
        private_file(path)  # SQLite takes an empty file as an empty database
        target = sqlite3.connect(path)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
    return path


def restore_database(path: Path, *, alias: str = "default") -> None:
    """Replace the database's contents with those of the backup at `path`; then move the
    content's generation past the one it replaced (institute.listings.generation.move_past)."""
    check_backup_file(path)
    replaced = _generation_or_none(alias)
    if engine_of(alias) == POSTGRES:
        connections[alias].close()  # our own connection must not hold locks the restore needs
        run_client(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={connections[alias].settings_dict['NAME']}",
                str(path),
            ],
            alias=alias,
        )
    else:
        with path.open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise CommandError(f"{path} is not an SQLite database (a .dump is PostgreSQL's).")
        connection = connections[alias]
        connection.ensure_connection()
        if connection.in_atomic_block:
            raise CommandError("Cannot restore inside a transaction.")
        source = sqlite3.connect(path)
        try:
            source.backup(connection.connection)
        finally:
            source.close()
    # The restored listing generation is the backup's, lower than the one it replaced: moved on
    # past it, so that no marker of the content from now on is one the replaced content had (its
    # finished files and answers are kept under those); the cache forgets the rest.
    move_past(replaced, using=alias)
    cache.clear()


def _generation_or_none(alias: str) -> int | None:
    """The listing generation, or None where it cannot be read (no such table yet, or no
    database to read it from: the one a backup is restored into afresh)."""
    try:
        return generation(using=alias)
    except DatabaseError:
        return None
    finally:
        if connections[alias].vendor == POSTGRES:
            connections[alias].close()
