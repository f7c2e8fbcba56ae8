"""Backup and restore of the whole database."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from location_ops.config import Settings


class BackupError(RuntimeError):
    pass


def _pg_args(settings: Settings) -> tuple[list[str], dict]:
    url = make_url(settings.database_url)
    args = ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = {"PGPASSWORD": url.password or ""}
    return args + ["-d", url.database], env


def backup(settings: Settings, path: str) -> None:
    """Write a consistent copy of the database to ``path`` (SQLite file or pg_dump archive)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    if settings.is_sqlite:
        source = sqlite3.connect(make_url(settings.database_url).database)
        with sqlite3.connect(target) as copy:
            source.backup(copy)
        source.close()
        return
    if shutil.which("pg_dump") is None:
        raise BackupError("pg_dump is not installed.")
    args, env = _pg_args(settings)
    subprocess.run(["pg_dump", "--format=custom", "--file", str(target), *args], check=True,
                   env={**env, "PATH": "/usr/bin:/usr/local/bin:/bin"})


def restore(settings: Settings, path: str) -> None:
    """Replace the database's contents with the backup at ``path``."""
    source_path = Path(path)
    if not source_path.exists():
        raise BackupError(f"No backup at {path}.")
    if settings.is_sqlite:
        with sqlite3.connect(source_path) as source, sqlite3.connect(make_url(settings.database_url).database) as db:
            source.backup(db)
        return
    args, env = _pg_args(settings)
    subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", *args, str(source_path)], check=True,
                   env={**env, "PATH": "/usr/bin:/usr/local/bin:/bin"})
