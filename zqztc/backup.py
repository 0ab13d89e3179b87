"""Backup and restore of the database and the uploaded files together, as one archive.

The archive is a gzipped tar holding:

    database.dump      pg_dump --format=custom (PostgreSQL), or
    database.sqlite3   a copy made with SQLite's online backup API (`make run`)
    media/...          every file under MEDIA_ROOT (attachments, anything else stored there)
    manifest.json      when and from what it was made, the migration state, counts, sha256 of every file

The manifest comes last because it records the checksums of the bytes actually written. A restore
reads the whole archive into staging places and checks everything before it touches the target:
the checksums, the migration state against this code, an empty database and an empty MEDIA_ROOT.
Only then does it load the database (pg_restore --single-transaction: a failure rolls back to the
empty database) and, once that succeeded, move the media files into place.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

from petitions.models import Attachment, Petition, PetitionNumber

FORMAT = "zqztc-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PG_DUMP_NAME = "database.dump"
SQLITE_NAME = "database.sqlite3"
MEDIA_PREFIX = "media"
# Staging folder inside MEDIA_ROOT: same filesystem (often a volume), so moving into place is a rename.
STAGING_PREFIX = ".restore-"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


# --- helpers -------------------------------------------------------------------------------------


def _vendor(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in ("postgresql", "sqlite"):
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def _client(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            f"{program} was not found on PATH. Install the PostgreSQL client programs "
            "(Debian: apt-get install postgresql-client), of the same or a newer major version "
            "than the server."
        )
    return path


def _pg_env(alias: str) -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore: the password never appears on a command line."""
    conf = connections[alias].settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if conf.get(key):
            env[var] = str(conf[key])
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    options = conf.get("OPTIONS") or {}
    for key, var in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("passfile", "PGPASSFILE"),
        ("service", "PGSERVICE"),
    ):
        if options.get(key):
            env[var] = str(options[key])
    return env


def _run(command: list[str], *, env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as error:
        raise BackupError(f"{what} could not be started: {error}") from error
    if done.returncode != 0:
        raise BackupError(f"{what} failed (exit {done.returncode}):\n{done.stderr.strip()}")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader(io.RawIOBase):
    """Hashes exactly the bytes tarfile reads, so the manifest describes what is in the archive."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> str:
    info = tar.gettarinfo(str(path), arcname=arcname)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as handle:
        reader = _HashingReader(handle)
        tar.addfile(info, reader)
    return reader.digest.hexdigest()


def _add_bytes(tar: tarfile.TarFile, data: bytes, arcname: str) -> None:
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _git_commit() -> str | None:
    if not (Path(settings.BASE_DIR) / ".git").exists() or shutil.which("git") is None:
        return None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(
            ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout.strip()
    return None


def _app_version() -> str | None:
    try:
        return metadata.version("zqztc")
    except metadata.PackageNotFoundError:
        return None


def _migration_state(alias: str) -> dict[str, dict[str, Any]]:
    applied = sorted(MigrationRecorder(connections[alias]).applied_migrations())
    state: dict[str, dict[str, Any]] = {}
    for app, name in applied:
        state.setdefault(app, {"applied": []})["applied"].append(name)
    for entry in state.values():
        # Migration names start with their number, so the greatest name is the latest one.
        entry["latest"] = max(entry["applied"])
    return state


def _database_facts(alias: str) -> dict[str, Any]:
    return {
        "migrations": _migration_state(alias),
        "petitions": Petition.objects.using(alias).count(),
        "petition_number_counters": {
            str(row.year): row.last for row in PetitionNumber.objects.using(alias).order_by("year")
        },
        "attachments": [
            {"id": pk, "petition_id": petition_id, "path": name}
            for pk, petition_id, name in Attachment.objects.using(alias)
            .order_by("pk")
            .values_list("pk", "petition_id", "file")
        ],
    }


def _media_files(root: Path) -> Iterator[Path]:
    """Regular files under MEDIA_ROOT in a stable order, leaving out a restore's staging folders."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if relative.parts[0].startswith(STAGING_PREFIX):
            continue
        if path.is_file() and not path.is_symlink():
            yield path


# --- backup --------------------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path | None
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def backup(output: Path | str, *, using: str = "default") -> BackupResult:
    """Write the database, MEDIA_ROOT and a manifest into one .tar.gz at `output` ("-": stdout).

    The file is written under a temporary name next to `output` and renamed when complete, so a
    failed backup never leaves something that looks like a good archive.
    """
    vendor = _vendor(using)
    if vendor == "postgresql":
        _client("pg_dump")
    to_stdout = str(output) == "-"
    target = None if to_stdout else Path(output)
    if target is not None:
        if target.exists():
            raise BackupError(f"{target} already exists; backups never overwrite a file.")
        if not target.parent.is_dir():
            raise BackupError(f"Folder {target.parent} does not exist.")
        media_root = Path(settings.MEDIA_ROOT).resolve()
        if target.resolve().is_relative_to(media_root):
            raise BackupError("Write the backup outside MEDIA_ROOT; it would back itself up.")

    with tempfile.TemporaryDirectory(prefix="zqztc-backup-") as scratch:
        if target is None:
            # Streamed: no second copy of the media on this disk. A failure midway exits non-zero
            # and leaves a truncated stream, which the caller must discard (README shows how).
            return _write_archive(sys.stdout.buffer, Path(scratch), vendor=vendor, using=using)
        handle, name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".partial", dir=target.parent
        )
        os.close(handle)
        partial = Path(name)
        try:
            with partial.open("wb") as out:
                result = _write_archive(out, Path(scratch), vendor=vendor, using=using)
            os.replace(partial, target)
            result.path = target
        finally:
            partial.unlink(missing_ok=True)
    return result


def _write_archive(out: IO[bytes], scratch: Path, *, vendor: str, using: str) -> BackupResult:
    warnings: list[str] = []
    connection = connections[using]
    dump = scratch / (PG_DUMP_NAME if vendor == "postgresql" else SQLITE_NAME)
    if "petitions_petition" not in connection.introspection.table_names():
        raise BackupError(
            f"Database {connection.settings_dict['NAME']} has no ZQZTC tables: nothing to back up "
            "(wrong DATABASE_URL, or migrate never ran)."
        )
    with transaction.atomic(using=using):
        if vendor == "postgresql":
            # The manifest's counts and attachment list are read in the snapshot that pg_dump
            # dumps, so they describe exactly the rows in the dump.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            _run(
                [
                    _client("pg_dump"),
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    f"--dbname={connection.settings_dict['NAME']}",
                ],
                env=_pg_env(using),
                what="pg_dump",
            )
            facts = _database_facts(using)
        else:
            facts = _database_facts(using)
            source = sqlite3.connect(connection.settings_dict["NAME"])
            copy = sqlite3.connect(dump)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()

    media_root = Path(settings.MEDIA_ROOT)
    files: dict[str, str] = {}
    with tarfile.open(fileobj=out, mode="w|gz") as tar:
        database = {"file": dump.name, "engine": vendor, "sha256": _add_file(tar, dump, dump.name)}
        if media_root.is_dir():
            for path in _media_files(media_root):
                relative = path.relative_to(media_root).as_posix()
                try:
                    files[relative] = _add_file(tar, path, f"{MEDIA_PREFIX}/{relative}")
                except FileNotFoundError:
                    continue  # deleted before we opened it (e.g. an expired import upload)
                except OSError as error:
                    raise BackupError(f"Could not read {path}: {error}") from error
        for attachment in facts["attachments"]:
            attachment["sha256"] = files.get(attachment["path"])
            if attachment["sha256"] is None:
                warnings.append(
                    f"attachment {attachment['id']} (petition {attachment['petition_id']}): "
                    f"file {attachment['path']} is missing from MEDIA_ROOT"
                )
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": datetime.now(UTC).isoformat(),
            "app_version": _app_version(),
            "git_commit": _git_commit(),
            "database": database,
            **facts,
            "media_files": files,
        }
        _add_bytes(tar, json.dumps(manifest, indent=2, ensure_ascii=False).encode(), MANIFEST)
    return BackupResult(path=None, manifest=manifest, warnings=warnings)


# --- restore -------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    petitions: int
    attachments: int
    media_files: int
    counters: dict[str, int]
    pending_migrations: list[str]
    warnings: list[str] = field(default_factory=list)


def _safe_member_name(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"Refusing archive member with an unsafe name: {name!r}")
    return path


def _open_archive(source: Path | str) -> tarfile.TarFile:
    try:
        if str(source) == "-":
            return tarfile.open(fileobj=sys.stdin.buffer, mode="r|gz")
        return tarfile.open(source, mode="r|gz")
    except FileNotFoundError as error:
        raise BackupError(f"Archive {source} does not exist.") from error
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(f"Cannot read archive {source}: {error}") from error


def _unpack(source: Path | str, *, scratch: Path, staging: Path) -> tuple[dict[str, Any], dict]:
    """Stream the archive: the dump into `scratch`, media into `staging`; hash every file."""
    manifest: dict[str, Any] | None = None
    hashes: dict[str, str] = {}
    tar = _open_archive(source)
    try:
        for member in tar:
            name = _safe_member_name(member.name)
            if member.isdir():
                continue
            if not member.isfile():
                raise BackupError(f"Refusing archive member that is not a regular file: {name}")
            handle = tar.extractfile(member)
            assert handle is not None  # regular file
            if str(name) == MANIFEST:
                try:
                    manifest = json.loads(handle.read())
                except ValueError as error:
                    raise BackupError(
                        f"The archive's manifest is not valid JSON: {error}"
                    ) from error
                continue
            if name.parts[0] == MEDIA_PREFIX and len(name.parts) > 1:
                destination = staging.joinpath(*name.parts[1:])
                key = f"{MEDIA_PREFIX}/{PurePosixPath(*name.parts[1:])}"
            elif str(name) in (PG_DUMP_NAME, SQLITE_NAME):
                destination = scratch / str(name)
                key = str(name)
            else:
                raise BackupError(f"{source} is not a ZQZTC backup (unexpected file {name}).")
            destination.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with destination.open("wb") as out:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            hashes[key] = digest.hexdigest()
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise BackupError(f"Cannot read archive {source}: {error}") from error
    finally:
        tar.close()
    if manifest is None or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} is not a ZQZTC backup (no {MANIFEST}).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Backup format version {manifest.get('format_version')} is not supported by this code "
            f"(it reads version {FORMAT_VERSION})."
        )
    return manifest, hashes


def _verify_checksums(manifest: dict[str, Any], hashes: dict[str, str]) -> None:
    database = manifest["database"]
    if hashes.get(database["file"]) != database["sha256"]:
        raise BackupError(
            f"Checksum mismatch for the database dump {database['file']}: the archive is damaged "
            "or was altered. Nothing was restored."
        )
    expected = {
        f"{MEDIA_PREFIX}/{path}": digest for path, digest in manifest["media_files"].items()
    }
    media = {key: digest for key, digest in hashes.items() if key.startswith(f"{MEDIA_PREFIX}/")}
    bad = sorted(key for key in expected if media.get(key) != expected[key])
    extra = sorted(set(media) - set(expected))
    for attachment in manifest["attachments"]:
        recorded = attachment.get("sha256")
        if recorded is not None and manifest["media_files"].get(attachment["path"]) != recorded:
            bad.append(f"attachment {attachment['id']}")
    if bad or extra:
        problems = [f"checksum mismatch or missing: {key}" for key in bad]
        problems += [f"not listed in the manifest: {key}" for key in extra]
        raise BackupError(
            "The archive is damaged or was altered; nothing was restored.\n" + "\n".join(problems)
        )


def _migration_difference(manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(migrations the archive has that this code lacks, migrations this code has that it lacks)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    on_disk = set(loader.disk_migrations)
    for squashed in loader.replacements.values():
        on_disk.update(squashed.replaces)  # a squash keeps the rows of what it replaced valid
    in_archive = {
        (app, name) for app, entry in manifest["migrations"].items() for name in entry["applied"]
    }
    unknown = sorted(f"{app}.{name}" for app, name in in_archive - on_disk)

    def applied(key: tuple[str, str]) -> bool:
        squash = loader.replacements.get(key)
        return key in in_archive or (squash is not None and set(squash.replaces) <= in_archive)

    pending = sorted(
        f"{app}.{name}" for app, name in loader.graph.nodes if not applied((app, name))
    )
    return unknown, pending


def _check_database_empty(using: str, vendor: str) -> None:
    connection = connections[using]
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT n.nspname || '.' || c.relname
                FROM pg_catalog.pg_class c
                JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
                  AND n.nspname !~ '^pg_toast'
                  AND NOT EXISTS (
                      SELECT 1 FROM pg_catalog.pg_depend d
                      WHERE d.objid = c.oid AND d.deptype = 'e'
                  )
                ORDER BY 1
                LIMIT 5
                """
            )
            found = [row[0] for row in cursor.fetchall()]
        connection.close()  # pg_restore connects on its own; hold nothing open on the target
    else:
        path = Path(connection.settings_dict["NAME"])
        found = []
        if path.exists() and path.stat().st_size > 0:
            connection.close()
            with contextlib.closing(sqlite3.connect(path)) as db:
                found = [
                    row[0]
                    for row in db.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 5"
                    )
                ]
    if found:
        raise BackupError(
            f"The target database {connection.settings_dict['NAME']} is not empty (it has "
            f"{', '.join(found)}, ...). Restore only into a new, empty database: "
            + ("create one (createdb)" if vendor == "postgresql" else "name a new file")
            + " and point DATABASE_URL at it. Nothing was restored."
        )


def _check_media_empty(media_root: Path) -> None:
    if not media_root.exists():
        return
    if not media_root.is_dir():
        raise BackupError(f"MEDIA_ROOT {media_root} is not a folder.")
    leftovers = [p for p in media_root.iterdir() if not p.name.startswith(STAGING_PREFIX)]
    if leftovers:
        raise BackupError(
            f"MEDIA_ROOT {media_root} is not empty ({leftovers[0].name}, ...). Restore only into an "
            "empty MEDIA_ROOT; nothing was restored."
        )


def restore(source: Path | str, *, using: str = "default") -> RestoreResult:
    """Restore an archive made by `backup` into an empty database and an empty MEDIA_ROOT.

    Order: check MEDIA_ROOT is empty, unpack and verify everything, check the database is empty,
    load it in one transaction, then move the media files into place. A failure before the last step leaves
    the database and MEDIA_ROOT as they were (empty).
    """
    vendor = _vendor(using)
    if vendor == "postgresql":
        _client("pg_restore")
    media_root = Path(settings.MEDIA_ROOT)
    _check_media_empty(media_root)
    media_root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=media_root))
    try:
        with tempfile.TemporaryDirectory(prefix="zqztc-restore-") as scratch:
            manifest, hashes = _unpack(source, scratch=Path(scratch), staging=staging)
            _verify_checksums(manifest, hashes)
            engine = manifest["database"]["engine"]
            if engine != vendor:
                raise BackupError(
                    f"This archive holds a {engine} database; the target is {vendor}. Nothing was "
                    "restored."
                )
            unknown, pending = _migration_difference(manifest)
            if unknown:
                raise BackupError(
                    "The archive comes from newer code: its database has migrations this code does "
                    f"not know ({', '.join(unknown)}). Restore it with the version that made it "
                    f"(git commit {manifest.get('git_commit') or 'unknown'}, version "
                    f"{manifest.get('app_version') or 'unknown'}). Nothing was restored."
                )
            _check_database_empty(using, vendor)
            dump = Path(scratch) / manifest["database"]["file"]
            if vendor == "postgresql":
                _pg_restore(dump, using=using)
            else:
                _sqlite_restore(dump, using=using)
        # The database is in; now the files, by rename within MEDIA_ROOT's filesystem.
        for entry in sorted(staging.iterdir()):
            os.replace(entry, media_root / entry.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _summary(manifest, pending, using=using)


def _pg_restore(dump: Path, *, using: str) -> None:
    connection = connections[using]
    _run(
        [
            _client("pg_restore"),
            # The new machine's roles differ: the restoring role owns everything, no GRANTs.
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            # One transaction: if any statement fails, the database is left empty as it was.
            "--single-transaction",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        env=_pg_env(using),
        what="pg_restore (rolled back: the target database is still empty)",
    )


def _sqlite_restore(dump: Path, *, using: str) -> None:
    connection = connections[using]
    connection.close()
    target = Path(connection.settings_dict["NAME"])
    partial = target.with_name(f".{target.name}.restoring")
    partial.unlink(missing_ok=True)
    try:
        with (
            contextlib.closing(sqlite3.connect(dump)) as source,
            contextlib.closing(sqlite3.connect(partial)) as copy,
        ):
            source.backup(copy)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _summary(manifest: dict[str, Any], pending: list[str], *, using: str) -> RestoreResult:
    connections[using].close()
    restored = RestoreResult(
        manifest=manifest,
        petitions=Petition.objects.using(using).count(),
        attachments=Attachment.objects.using(using).count(),
        media_files=len(manifest["media_files"]),
        counters={
            str(row.year): row.last for row in PetitionNumber.objects.using(using).order_by("year")
        },
        pending_migrations=pending,
    )
    if restored.petitions != manifest["petitions"]:
        restored.warnings.append(
            f"the manifest lists {manifest['petitions']} petitions, the database has "
            f"{restored.petitions}"
        )
    restored.warnings += [
        f"attachment {a['id']} had no file when the backup was made ({a['path']})"
        for a in manifest["attachments"]
        if a.get("sha256") is None
    ]
    return restored
