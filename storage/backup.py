"""Backups: one tar archive holding the database and the photos folder, and its restore.

The archive (gzip-compressed tar) holds ``manifest.json`` (format, backend, revision,
time), the database (``database.sqlite3``, a copy made with SQLite's online backup
API, safe while the bot writes; or ``database.pgdump``, ``pg_dump``'s custom format)
and ``media/`` (the photos). The database is copied first: a photo is saved before
its answer is stored, so every answer in the copy finds its file in the archive.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

FORMAT = 1
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
MEDIA = "media"
# Pages copied per step of the online backup: the bot's writers get the database
# between steps instead of waiting for the whole copy.
PAGES_PER_STEP = 256


class BackupError(Exception):
    """A backup or restore that cannot go on, worded for the operator (one line)."""


@dataclass(frozen=True)
class Target:
    """Where the database is: a SQLite file, or a PostgreSQL connection."""

    backend: str  # "sqlite" or "postgresql"
    path: Path | None = None  # SQLite
    dsn: str = ""  # PostgreSQL, libpq form without the password
    password: str | None = None


def target_of(url: str) -> Target:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            raise BackupError("an in-memory SQLite database cannot be backed up")
        return Target("sqlite", path=Path(parsed.database))
    if parsed.get_backend_name() == "postgresql":
        user = quote(parsed.username or "", safe="")
        host = parsed.host or "localhost"
        port = f":{parsed.port}" if parsed.port else ""
        login = f"{user}@" if user else ""
        dsn = f"postgresql://{login}{host}{port}/{quote(parsed.database or '', safe='')}"
        return Target("postgresql", dsn=dsn, password=parsed.password)
    raise BackupError(f"backups of {parsed.get_backend_name()} databases are not supported")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} was not found: install the PostgreSQL client tools (apt install "
            f"postgresql-client) or follow the README's pg_dump recipe (section Vận hành)"
        )
    return found


def _run_tool(command: list[str], target: Target) -> None:
    environment = dict(os.environ)
    if target.password:  # not on the command line, where `ps` would show it
        environment["PGPASSWORD"] = unquote(target.password)
    finished = subprocess.run(command, env=environment, capture_output=True, text=True)
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()]
        raise BackupError(f"{Path(command[0]).name} failed: {lines[0] if lines else 'no output'}")


def _copy_sqlite(source: Path, copy: Path) -> None:
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src, sqlite3.connect(copy) as dst:
        src.backup(dst, pages=PAGES_PER_STEP)
    # The copy is one self-contained file: no -wal beside it.
    with sqlite3.connect(copy) as dst:
        dst.execute("PRAGMA journal_mode=DELETE")


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o600
    archive.addfile(info, io.BytesIO(data))


def _media_files(media_dir: Path) -> list[Path]:
    return sorted(p for p in media_dir.rglob("*") if p.is_file()) if media_dir.is_dir() else []


def backup(url: str, media_dir: Path, out: Path, revision: str | None) -> dict:
    """Writes the archive to ``out`` (through a temporary file beside it, so a failed
    backup never leaves half an archive under that name); returns the manifest."""
    target = target_of(url)
    out = out.absolute()
    if out.exists():
        raise BackupError(f"{out} exists already: choose a new file name")
    with tempfile.TemporaryDirectory(dir=out.parent) as work:
        member = SQLITE_MEMBER if target.backend == "sqlite" else PG_MEMBER
        copy = Path(work) / member
        if target.backend == "sqlite":
            _copy_sqlite(target.path, copy)
        else:
            pg_dump = _tool("pg_dump")
            _run_tool(
                [pg_dump, "--format=custom", "--no-owner", "--file", str(copy), target.dsn], target
            )
        files = _media_files(media_dir)
        manifest = {
            "format": FORMAT,
            "backend": target.backend,
            "revision": revision,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "media_files": len(files),
        }
        partial = Path(work) / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
            archive.add(copy, arcname=member)
            for path in files:
                archive.add(path, arcname=f"{MEDIA}/{path.relative_to(media_dir).as_posix()}")
        os.replace(partial, out)
    return manifest


def read_manifest(archive_path: Path) -> dict:
    try:
        with tarfile.open(archive_path, "r:*") as archive:
            member = archive.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else None
    except FileNotFoundError:
        raise BackupError(f"{archive_path}: file not found") from None
    except (tarfile.TarError, KeyError, ValueError):
        raise BackupError(f"{archive_path}: not a fieldbot backup") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive_path}: not a fieldbot backup this version can read")
    return manifest


def _sqlite_tables(path: Path) -> list[str]:
    if not path.exists() or path.stat().st_size == 0:
        return []
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return [name for (name,) in rows]


def _refuse_non_empty(target: Target, pg_tables: list[str]) -> None:
    if target.backend == "sqlite" and _sqlite_tables(target.path):
        raise BackupError(
            f"{target.path} is not empty: restore into a new database file "
            "(set [database] url or FIELDBOT_DATABASE_URL to a file that does not exist)"
        )
    if target.backend == "postgresql" and pg_tables:
        raise BackupError(
            f"the PostgreSQL database is not empty ({len(pg_tables)} tables): "
            "restore into a new, empty database (createdb fieldbot_restored)"
        )


def _restore_sqlite(archive: tarfile.TarFile, target: Target) -> None:
    partial = target.path.with_name(target.path.name + ".restoring")
    source = archive.extractfile(SQLITE_MEMBER)
    with partial.open("wb") as file:
        shutil.copyfileobj(source, file)
    for leftover in ("-wal", "-shm"):
        target.path.with_name(target.path.name + leftover).unlink(missing_ok=True)
    os.replace(partial, target.path)


def _restore_postgresql(archive: tarfile.TarFile, target: Target) -> None:
    pg_restore = _tool("pg_restore")
    with tempfile.TemporaryDirectory() as work:
        dump = Path(work) / PG_MEMBER
        with dump.open("wb") as file:
            shutil.copyfileobj(archive.extractfile(PG_MEMBER), file)
        command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error"]
        _run_tool([*command, "--dbname", target.dsn, str(dump)], target)


def _media_members(archive: tarfile.TarFile, media_dir: Path) -> list[tarfile.TarInfo]:
    """The archive's photos, checked before anything is written: none may overwrite a file."""
    members = [m for m in archive.getmembers() if m.name.startswith(f"{MEDIA}/") and m.isfile()]
    clashes = [m for m in members if (media_dir / m.name[len(MEDIA) + 1 :]).exists()]
    if clashes:
        raise BackupError(f"{media_dir} already holds {len(clashes)} of the archive's photos")
    return members


def _restore_media(
    archive: tarfile.TarFile, members: list[tarfile.TarInfo], media_dir: Path
) -> int:
    media_dir.mkdir(parents=True, exist_ok=True)
    for member in members:
        member.name = member.name[len(MEDIA) + 1 :]
        archive.extract(member, media_dir, filter="data")  # no path leaves the folder
    return len(members)


def restore(archive_path: Path, url: str, media_dir: Path, pg_tables: list[str]) -> dict:
    """Restores the archive into the empty database at ``url`` (``pg_tables``: the
    PostgreSQL database's tables, listed by the caller) and the photos into
    ``media_dir``; returns the manifest with the count of photos restored."""
    manifest = read_manifest(archive_path)
    target = target_of(url)
    if manifest["backend"] != target.backend:
        raise BackupError(
            f"this backup is of a {manifest['backend']} database; the configured one is "
            f"{target.backend} (restore into the same kind)"
        )
    _refuse_non_empty(target, pg_tables)
    with tarfile.open(archive_path, "r:*") as archive:
        members = _media_members(archive, media_dir)
        if target.backend == "sqlite":
            _restore_sqlite(archive, target)
        else:
            _restore_postgresql(archive, target)
        restored = _restore_media(archive, members, media_dir)
    return {**manifest, "media_restored": restored}
