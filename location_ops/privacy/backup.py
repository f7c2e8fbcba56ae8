"""Backup and restore of the whole database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from location_ops.config import Settings


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why."""


def pg_tool(name: str) -> str:
    """Find pg_dump / pg_restore: on the PATH, else in the newest /usr/lib/postgresql/*/bin (Debian)."""
    found = shutil.which(name)
    if found:
        return found
    for bindir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True):
        if (bindir / name).exists():
            return str(bindir / name)
    raise BackupError(f"{name} is not installed (install the PostgreSQL client tools).")


def _version(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in bindir.parent.name.split(".") if part.isdigit())


def _pg_args(settings: Settings) -> tuple[list[str], dict]:
    url = make_url(settings.database_url)
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = {"PGPASSWORD": url.password or "", "PATH": "/usr/bin:/usr/local/bin:/bin"}
    return args + ["-d", url.database], env


def _run(command: list[str], env: dict) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} failed: {lines[-1] if lines else 'no message'}")


def _sqlite_path(settings: Settings) -> Path:
    return Path(make_url(settings.database_url).database)


def backup(settings: Settings, path: str) -> None:
    """Write a consistent copy of the database to ``path`` (SQLite file or pg_dump archive)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        database = _sqlite_path(settings)
        if not database.exists():
            raise BackupError(f"There is no database at {database}.")
        source = sqlite3.connect(database)
        try:
            with sqlite3.connect(target) as copy:
                source.backup(copy)
            copy.close()
        finally:
            source.close()
        return
    args, env = _pg_args(settings)
    _run([pg_tool("pg_dump"), "--format=custom", "--file", str(target), *args], env)


def restore(settings: Settings, path: str) -> None:
    """Replace the database's contents with the backup at ``path``."""
    source_path = Path(path)
    if not source_path.is_file():
        raise BackupError(f"No backup at {path}.")
    if settings.is_sqlite:
        try:
            with sqlite3.connect(f"file:{source_path}?mode=ro", uri=True) as source:
                source.execute("SELECT count(*) FROM sqlite_master").fetchone()
                with sqlite3.connect(_sqlite_path(settings)) as db:
                    source.backup(db)
                db.close()
            source.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{path} is not a SQLite backup ({exc}).") from None
        return
    args, env = _pg_args(settings)
    _run([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--exit-on-error", *args, str(source_path)], env)
