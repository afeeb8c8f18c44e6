"""`manage.py backup_db` / `restore_db` (make backup / make restore): data deleted or changed after
a backup comes back with the restore. Each engine's run tests its own path: PostgreSQL (pg_dump,
pg_restore) on a scratch database made from the test database and dropped afterwards, SQLite
(the online backup API) on the test database itself."""

import os
import sqlite3
import stat
import subprocess
import sys
import uuid
import zipfile
from io import BytesIO, StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from institute.datasets import finished_files
from institute.editorial import workflow
from institute.editorial.states import ReviewState
from institute.sources.models import Source
from tests.factories import SourceFactory, entry_in_state

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)


def make_sources():
    SourceFactory(slug="kept-source", title="Original title")
    SourceFactory(slug="deleted-source", title="Deleted later")


BEFORE = {"kept-source": "Original title", "deleted-source": "Deleted later"}


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask():
    """Sets the process umask for the test (children started meanwhile inherit it)."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


# --- Either engine ---------------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_a_backup_is_readable_by_its_owner_only_whatever_the_umask(umask, mask, tmp_path):
    """It holds password hashes and sessions. A new folder is made 0700, an existing one
    tightened; the file is 0600 (pg_dump and sqlite3 would leave 0644, or 0666 under umask 0)."""
    made, existing = tmp_path / "new" / "backups", tmp_path / "existing"
    existing.mkdir(mode=0o777)
    os.chmod(existing, 0o755)
    for folder in (made, existing):
        out = StringIO()
        umask(mask)
        try:
            call_command("backup_db", output_dir=str(folder), stdout=out)
        finally:
            umask(0o022)
        backup = Path(out.getvalue().strip())
        assert backup.parent == folder
        assert oct(mode_of(folder)) == oct(0o700)
        assert oct(mode_of(backup)) == oct(0o600)
        assert backup.stat().st_size > 0
        assert [p.name for p in folder.iterdir()] == [backup.name]  # no .partial left behind


# --- SQLite ----------------------------------------------------------------------------------


@pytest.fixture
def on_sqlite():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite path runs with DATABASE_URL=sqlite://…")


def test_sqlite_restore_brings_back_deleted_and_changed_rows(on_sqlite, tmp_path):
    make_sources()
    out = StringIO()
    call_command("backup_db", output_dir=str(tmp_path), stdout=out)
    backup = Path(out.getvalue().strip())
    assert backup.parent == tmp_path and backup.suffix == ".sqlite3"
    with sqlite3.connect(backup) as copy:  # a complete database of its own
        rows = copy.execute("SELECT slug, title FROM institute_source").fetchall()
    assert dict(rows) == BEFORE

    Source.objects.filter(slug="deleted-source").delete()
    Source.objects.filter(slug="kept-source").update(title="Changed after the backup")
    SourceFactory(slug="added-after-the-backup")
    call_command("restore_db", str(backup), interactive=False, stdout=StringIO())

    assert dict(Source.objects.values_list("slug", "title")) == BEFORE


def publish(slug: str, title: str, by) -> None:
    """A reform through review and publish, as an editor's: the same statements every time."""
    entry = entry_in_state("reform", ReviewState.IN_REVIEW, approved=True, slug=slug, title=title)
    workflow.publish(entry, by=by)


def test_after_a_restore_the_downloads_never_give_what_it_took_away(
    on_sqlite, tmp_path, settings, superuser, client
):
    """The same publish before and after a restore gives the same generation, newest version
    and review event: without the restore moving the generation on, the data files finished
    for the content it took away were the current content's again."""
    settings.SITE_URL = "http://testserver"
    publish("before-the-backup", "Public before the backup", superuser)
    out = StringIO()
    call_command("backup_db", output_dir=str(tmp_path), stdout=out)
    backup = Path(out.getvalue().strip())
    publish("by-mistake", "Published by mistake", superuser)
    assert finished_files.prebuild()  # the worker's files of the content with it
    assert b"Published by mistake" in body(client.get("/data/reforms.csv"))

    call_command("restore_db", str(backup), interactive=False, stdout=StringIO())
    publish("after-the-restore", "Published after the restore", superuser)
    for address in ("/data/reforms.csv", "/data/reforms.json", "/reforms/export.csv"):
        content = body(client.get(address))
        assert b"Published after the restore" in content, address
        assert b"Published by mistake" not in content, address
        assert b"Public before the backup" in content, address
    package = zipfile.ZipFile(BytesIO(body(client.get("/data/package.zip"))))
    assert b"Published by mistake" not in package.read("reforms.csv")


def body(response) -> bytes:
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_sqlite_restore_refuses_a_file_that_is_not_a_database(on_sqlite, tmp_path):
    make_sources()
    not_a_backup = tmp_path / "reform_tracker-20250101T000000Z.dump"
    not_a_backup.write_bytes(b"PGDMP not sqlite")
    with pytest.raises(CommandError, match="not an SQLite database"):
        call_command("restore_db", str(not_a_backup), interactive=False)
    assert dict(Source.objects.values_list("slug", "title")) == BEFORE


def test_sqlite_restore_refuses_a_file_others_can_write(on_sqlite, tmp_path):
    make_sources()
    out = StringIO()
    call_command("backup_db", output_dir=str(tmp_path), stdout=out)
    backup = Path(out.getvalue().strip())
    Source.objects.filter(slug="kept-source").update(title="Changed after the backup")
    for mode in (0o620, 0o602):  # group, then others
        os.chmod(backup, mode)
        with pytest.raises(CommandError, match=r"written by group or others.*nothing restored"):
            call_command("restore_db", str(backup), interactive=False)
        assert Source.objects.get(slug="kept-source").title == "Changed after the backup"
    os.chmod(backup, 0o640)  # readable by the group is its owner's choice
    call_command("restore_db", str(backup), interactive=False, stdout=StringIO())
    assert dict(Source.objects.values_list("slug", "title")) == BEFORE


# --- PostgreSQL ------------------------------------------------------------------------------


def manage(
    *args: str, database_url: str, stdin: str | None = None, **environment: str
) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "institute.settings.test", **environment}
    env["DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )


SOURCES_AS_DICT = (
    "from institute.sources.models import Source; "
    "print(dict(Source.objects.order_by('slug').values_list('slug', 'title')))"
)


@pytest.fixture
def scratch_database_url():
    """A scratch PostgreSQL database: a copy of the test database (schema and this test's rows),
    dropped at the end. Never the shared test database itself."""
    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL path runs with DATABASE_URL=postgres://…")
    import psycopg
    from psycopg import sql

    settings = connection.settings_dict
    params = {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
    }
    template, scratch = settings["NAME"], f"rt_scratch_{uuid.uuid4().hex[:12]}"
    connection.close()  # CREATE DATABASE … TEMPLATE needs the template unused
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(scratch), sql.Identifier(template)
            )
        )
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    try:
        yield (
            f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{scratch}"
        )
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch))
            )


@pytest.fixture
def postgres_sources():
    if connection.vendor == "postgresql":
        make_sources()  # before the scratch copy is made


def test_postgresql_restore_brings_back_deleted_and_changed_rows(
    postgres_sources, scratch_database_url, tmp_path
):
    url = scratch_database_url
    backup = manage("backup_db", "--output-dir", str(tmp_path), database_url=url)
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    assert dump.parent == tmp_path and dump.suffix == ".dump"
    assert dump.name.startswith(url.rsplit("/", 1)[1] + "-")
    assert dump.read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format

    change = manage(
        "shell",
        "-c",
        "from institute.sources.models import Source; from tests.factories import SourceFactory; "
        "Source.objects.filter(slug='deleted-source').delete(); "
        "Source.objects.filter(slug='kept-source').update(title='Changed after the backup'); "
        "SourceFactory(slug='added-after-the-backup')",
        database_url=url,
    )
    assert change.returncode == 0, change.stderr
    changed = manage("shell", "-c", SOURCES_AS_DICT, database_url=url)
    assert "Changed after the backup" in changed.stdout and "deleted-source" not in changed.stdout

    # Asked first; anything but "yes" changes nothing.
    refused = manage("restore_db", str(dump), database_url=url, stdin="no\n")
    assert refused.returncode != 0 and "nothing changed" in refused.stderr
    restore = manage("restore_db", str(dump), database_url=url, stdin="yes\n")
    assert restore.returncode == 0, restore.stderr

    restored = manage("shell", "-c", SOURCES_AS_DICT, database_url=url)
    assert restored.returncode == 0, restored.stderr
    assert restored.stdout.strip().splitlines()[-1] == repr(dict(sorted(BEFORE.items())))


def test_postgresql_restore_refuses_a_file_others_can_write(
    postgres_sources, scratch_database_url, tmp_path
):
    url = scratch_database_url
    backup = manage("backup_db", "--output-dir", str(tmp_path), database_url=url)
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip().splitlines()[-1])
    change = manage(
        "shell",
        "-c",
        "from institute.sources.models import Source; "
        "Source.objects.filter(slug='kept-source').update(title='Changed after the backup')",
        database_url=url,
    )
    assert change.returncode == 0, change.stderr

    os.chmod(dump, 0o666)
    # Refused before the question: no answer is read, and the exit status is a refusal's.
    refused = manage("restore_db", str(dump), database_url=url, stdin="yes\n")
    assert refused.returncode == 1, refused.stdout
    assert "written by group or others (mode 0666)" in refused.stderr
    assert "Type 'yes'" not in refused.stdout
    after = manage("shell", "-c", SOURCES_AS_DICT, database_url=url)
    assert "Changed after the backup" in after.stdout


PUBLISH = (
    "from django.contrib.auth import get_user_model; "
    "from tests.test_backups import publish; "
    "publish({slug!r}, {title!r}, get_user_model().objects.get(username='restorer'))"
)
DATA_FILE = (
    "from django.test import Client; r = Client().get('/data/reforms.csv'); "
    "print(b''.join(r.streaming_content) if r.streaming else r.content)"
)


def test_postgresql_after_a_restore_the_downloads_never_give_what_it_took_away(
    postgres_sources, scratch_database_url, tmp_path
):
    """As on SQLite above: the same publish after the restore as before it, and the worker's
    data files finished for the content the restore took away."""
    files = {"SITE_URL": "http://testserver", "DATA_PACKAGE_DIR": str(tmp_path / "packages")}

    def run(code: str) -> str:
        done = manage("shell", "-c", code, database_url=scratch_database_url, **files)
        assert done.returncode == 0, done.stderr
        return done.stdout

    run(
        "from django.contrib.auth import get_user_model; "
        "get_user_model().objects.create_superuser('restorer', 'r@example.org', 'pw-12345678x')"
    )
    run(PUBLISH.format(slug="before-the-backup", title="Public before the backup"))
    backup = manage("backup_db", "--output-dir", str(tmp_path), database_url=scratch_database_url)
    assert backup.returncode == 0, backup.stderr
    dump = backup.stdout.strip().splitlines()[-1]
    run(PUBLISH.format(slug="by-mistake", title="Published by mistake"))
    run("from institute.datasets import finished_files; assert finished_files.prebuild()")
    assert "Published by mistake" in run(DATA_FILE)

    restore = manage("restore_db", "--no-input", dump, database_url=scratch_database_url)
    assert restore.returncode == 0, restore.stderr
    run(PUBLISH.format(slug="after-the-restore", title="Published after the restore"))
    data = run(DATA_FILE)
    assert "Published after the restore" in data and "Public before the backup" in data
    assert "Published by mistake" not in data
