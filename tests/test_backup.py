"""manage.py backup / restore: one archive holds the database, the uploaded files and a manifest;
a restore into a new, empty PostgreSQL database brings back petitions, files and counters, and
refuses a non-empty target, an altered archive and an archive from newer code."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, connections

from petitions import uploads, workflow
from petitions.models import Attachment, Petition, PetitionNumber
from tests.petitions import flow

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
HAS_CLIENT = shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None

postgresql_only = [
    pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump/pg_restore need PostgreSQL"),
    pytest.mark.skipif(
        not HAS_CLIENT, reason="pg_dump/pg_restore not installed (Debian: postgresql-client)"
    ),
    # Committed rows: pg_dump reads the database from another session.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.slow,  # a pg_dump, a new database and a manage.py process each: 5-15 s
]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def small_world(world) -> list[Petition]:
    """Petitions in four states, three of them with files (one uploaded by a unit)."""
    registered = flow.registered(world)
    accepted = flow.accepted(world)
    in_progress = flow.in_progress(world)
    withdrawn = flow.registered(world)
    workflow.withdraw(petition_id=withdrawn.pk, actor=world.firm_user)
    for petition, actor, files in (
        (registered, world.firm_user, [("营业执照.pdf", PDF)]),
        (accepted, world.firm_user, [("现场照片.png", PNG), ("合同.pdf", PDF + b"contract")]),
        (in_progress, world.handler, [("会商纪要.pdf", PDF + b"minutes")]),
    ):
        checked = uploads.validate_uploads([SimpleUploadedFile(n, d) for n, d in files])
        workflow.add_material(petition_id=petition.pk, actor=actor, files=checked)
    return list(Petition.objects.order_by("pk"))


def make_backup(tmp_path: Path) -> Path:
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    return archive


@pytest.fixture
def empty_database(django_db_blocker) -> Iterator[str]:
    """A new database on the same server, dropped afterwards even if the test fails."""
    name = f"zqztc_restore_test_{uuid.uuid4().hex[:12]}"
    with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with django_db_blocker.unblock(), connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def database_url(name: str) -> str:
    conf = connection.settings_dict
    credentials = quote(conf["USER"] or "", safe="")
    if conf["PASSWORD"]:
        credentials += ":" + quote(conf["PASSWORD"], safe="")
    host = conf["HOST"] or "localhost"
    port = f":{conf['PORT']}" if conf["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{name}"


def manage(
    *args: str, database: str, media_root: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess:
    """manage.py as an operator runs it: another process, settings from the environment."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zqztc.settings",
        "SECRET_KEY": "restore-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DEBUG": "0",
        "DATABASE_URL": database_url(database),
        "MEDIA_ROOT": str(media_root),
    }
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        input=stdin,
        capture_output=True,
        timeout=300,
        check=False,
    )
    if stdin is None:  # text output, except when the archive itself came through the pipes
        done.stdout, done.stderr = done.stdout.decode(), done.stderr.decode()
    return done


def restore_command(archive: Path, database: str, media_root: Path) -> subprocess.CompletedProcess:
    return manage("restore", str(archive), database=database, media_root=media_root)


@pytest.fixture
def restored_db(empty_database, django_db_blocker) -> Iterator[Callable[[str], list[tuple]]]:
    """Run SQL in the restored database (no ORM: Django's connection points at the test database)."""
    default = connections["default"]
    other = type(default)({**default.settings_dict, "NAME": empty_database}, alias="restored")

    def query(sql: str, params: tuple = ()) -> list[tuple]:
        with django_db_blocker.unblock(), other.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    try:
        yield query
    finally:
        other.close()


def rewrite(archive: Path, out: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """Copy an archive, passing every member's bytes through `change`."""
    with tarfile.open(archive) as source, tarfile.open(out, "w:gz") as target:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return out


def table_count(query) -> int:
    return query(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r'"
    )[0][0]


class TestRoundTrip:
    pytestmark = postgresql_only

    def test_a_restore_into_an_empty_database_brings_back_petitions_files_and_counters(
        self, world, tmp_path, empty_database, restored_db
    ):
        petitions = small_world(world)
        attachments = list(Attachment.objects.order_by("pk"))
        files = {a.file.name: Path(a.file.path).read_bytes() for a in attachments}
        counters = list(PetitionNumber.objects.values_list("year", "last"))
        archive = make_backup(tmp_path)

        with tarfile.open(archive) as tar:
            manifest = json.loads(tar.extractfile("manifest.json").read())
        assert manifest["petitions"] == 4
        assert manifest["petition_number_counters"] == {str(y): n for y, n in counters}
        assert len(manifest["attachments"]) == 4
        assert all(len(a["sha256"]) == 64 for a in manifest["attachments"])
        assert manifest["migrations"]["petitions"]["latest"]

        media = tmp_path / "restored-media"
        done = restore_command(archive, empty_database, media)
        assert done.returncode == 0, done.stderr
        assert "4 petitions, 4 attachments" in done.stdout

        assert restored_db("SELECT number, state FROM petitions_petition ORDER BY id") == [
            (p.number, p.state) for p in petitions
        ]
        assert len({p.state for p in petitions}) == 4
        assert restored_db("SELECT year, last FROM petitions_petitionnumber ORDER BY year") == [
            tuple(row) for row in counters
        ]
        for name, data in files.items():
            assert (media / name).read_bytes() == data
        assert not [p for p in media.iterdir() if p.name.startswith(".restore-")]
        # Sequences came back: the next row gets a fresh id, not 1 again.
        for table in ("petitions_petition", "petitions_attachment", "petitions_petitionevent"):
            [(next_id, highest)] = restored_db(
                f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')), max(id) FROM {table}"
            )
            assert next_id > highest, table

    def test_the_archive_can_travel_through_standard_output_and_input(
        self, world, tmp_path, empty_database, restored_db, settings
    ):
        """The Docker route: `exec -T web ... backup --output - > file`, `run -T ... restore - < file`."""
        petitions = small_world(world)
        backup = subprocess.run(
            [sys.executable, "manage.py", "backup", "--output", "-"],
            cwd=settings.BASE_DIR,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "zqztc.settings",
                "SECRET_KEY": "restore-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
                "DATABASE_URL": database_url(connection.settings_dict["NAME"]),
                "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            },
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert backup.returncode == 0, backup.stderr.decode()
        assert b"4 petitions" in backup.stderr  # the report; stdout is the archive alone

        done = manage(
            "restore", "-", database=empty_database, media_root=tmp_path / "m", stdin=backup.stdout
        )
        assert done.returncode == 0, done.stderr
        assert restored_db("SELECT number FROM petitions_petition ORDER BY id") == [
            (p.number,) for p in petitions
        ]
        assert len(list((tmp_path / "m" / "petitions").rglob("*"))) == 4 + 3  # files + folders

    def test_an_archive_from_an_older_schema_restores_and_says_to_run_migrate(
        self, world, tmp_path, empty_database, restored_db
    ):
        small_world(world)
        archive = make_backup(tmp_path)

        def forget_latest(name: str, data: bytes) -> bytes:
            if name != "manifest.json":
                return data
            manifest = json.loads(data)
            manifest["migrations"]["petitions"]["applied"].pop()
            return json.dumps(manifest).encode()

        older = rewrite(archive, tmp_path / "older.tar.gz", forget_latest)
        done = restore_command(older, empty_database, tmp_path / "media-older")
        assert done.returncode == 0, done.stderr
        assert "run `manage.py migrate`" in done.stdout


class TestRefusals:
    pytestmark = postgresql_only

    def test_restore_refuses_a_database_that_is_not_empty(self, world, tmp_path, settings):
        small_world(world)
        archive = make_backup(tmp_path)
        settings.MEDIA_ROOT = tmp_path / "fresh-media"
        # The test database itself: it has every table and the world's rows.
        with pytest.raises(CommandError, match="is not empty"):
            call_command("restore", str(archive))
        assert not any((tmp_path / "fresh-media").iterdir())

    def test_restore_refuses_a_media_root_that_is_not_empty(
        self, world, tmp_path, empty_database, restored_db
    ):
        small_world(world)
        archive = make_backup(tmp_path)
        media = tmp_path / "busy-media"
        media.mkdir()
        (media / "someone-elses.pdf").write_bytes(PDF)
        done = restore_command(archive, empty_database, media)
        assert done.returncode != 0
        assert "MEDIA_ROOT" in done.stderr
        assert "is not empty" in done.stderr
        assert table_count(restored_db) == 0

    def test_restore_refuses_an_archive_whose_attachment_was_altered(
        self, world, tmp_path, empty_database, restored_db
    ):
        small_world(world)
        archive = make_backup(tmp_path)
        victim = Attachment.objects.order_by("pk").first().file.name

        def tamper(name: str, data: bytes) -> bytes:
            return data + b"tampered" if name == f"media/{victim}" else data

        altered = rewrite(archive, tmp_path / "altered.tar.gz", tamper)
        media = tmp_path / "media-altered"
        done = restore_command(altered, empty_database, media)
        assert done.returncode != 0
        assert "checksum mismatch" in done.stderr
        assert victim in done.stderr
        assert table_count(restored_db) == 0
        assert not any(media.iterdir())

    def test_a_restore_that_fails_midway_leaves_the_database_and_media_root_empty(
        self, world, tmp_path, empty_database, restored_db
    ):
        small_world(world)
        archive = make_backup(tmp_path)
        with tarfile.open(archive) as tar:
            dump = tar.extractfile("database.dump").read()
        # The table of contents (at the start) is intact, the last data block is cut off: the tables
        # are created and filled, then pg_restore fails.
        broken = dump[:-64]

        def truncate_dump(name: str, data: bytes) -> bytes:
            if name == "database.dump":
                return broken
            if name == "manifest.json":  # consistent checksums: the failure is pg_restore's
                manifest = json.loads(data)
                manifest["database"]["sha256"] = hashlib.sha256(broken).hexdigest()
                return json.dumps(manifest).encode()
            return data

        damaged = rewrite(archive, tmp_path / "damaged.tar.gz", truncate_dump)
        media = tmp_path / "media-damaged"
        done = restore_command(damaged, empty_database, media)
        assert done.returncode != 0
        assert "pg_restore" in done.stderr
        assert "still empty" in done.stderr
        assert table_count(restored_db) == 0
        assert not any(media.iterdir())

    def test_restore_refuses_an_archive_from_a_newer_schema(
        self, world, tmp_path, empty_database, restored_db
    ):
        small_world(world)
        archive = make_backup(tmp_path)

        def from_the_future(name: str, data: bytes) -> bytes:
            if name != "manifest.json":
                return data
            manifest = json.loads(data)
            manifest["migrations"]["petitions"]["applied"].append("9999_from_the_future")
            return json.dumps(manifest).encode()

        newer = rewrite(archive, tmp_path / "newer.tar.gz", from_the_future)
        done = restore_command(newer, empty_database, tmp_path / "media-newer")
        assert done.returncode != 0
        assert "newer code" in done.stderr
        assert "petitions.9999_from_the_future" in done.stderr
        assert table_count(restored_db) == 0


def tar_without_manifest() -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("notes.txt")
        info.size = 5
        tar.addfile(info, io.BytesIO(b"notes"))
    return buffer.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is not a gzip file", "Cannot read archive"),
        (tar_without_manifest()[:40], "Cannot read archive"),
        (tar_without_manifest(), "not a ZQZTC backup"),
    ],
    ids=["garbage", "truncated", "someone-elses-tar"],
)
def test_restore_refuses_an_unreadable_archive(tmp_path, settings, data, message):
    settings.MEDIA_ROOT = tmp_path / "fresh-media"
    garbage = tmp_path / "backup.tar.gz"
    garbage.write_bytes(data)
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(garbage))
    assert not any((tmp_path / "fresh-media").iterdir())


@pytest.mark.django_db
@pytest.mark.skipif(not ON_POSTGRESQL, reason="SQLite backups need no client program")
def test_backup_says_what_to_install_when_pg_dump_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="postgresql-client"):
        make_backup(tmp_path)
    assert not (tmp_path / "backup.tar.gz").exists()


@pytest.mark.django_db
def test_backup_never_overwrites_an_existing_file(tmp_path):
    (tmp_path / "backup.tar.gz").write_bytes(b"yesterday")
    with pytest.raises(CommandError, match="already exists"):
        make_backup(tmp_path)
    assert (tmp_path / "backup.tar.gz").read_bytes() == b"yesterday"
