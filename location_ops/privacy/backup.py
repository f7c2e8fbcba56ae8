"""Backup and restore of the whole database, encrypted to the collective's public key.

A backup holds everything the app stores, so it is encrypted (age format, with pyrage) to
the recipient in ``LOCATION_OPS_BACKUP_RECIPIENT`` before it touches the disk under its
name; only whoever holds the matching identity file can restore it. A backup without a key
is refused unless the operator asks for ``--unencrypted`` on purpose.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyrage

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


#: The first line of every file in age format.
AGE_HEADER = b"age-encryption.org/v1"


def recipient(settings: Settings):
    """The collective's public key from the settings, or None when none is set."""
    key = settings.backup_recipient.strip()
    if not key:
        return None
    try:
        return pyrage.x25519.Recipient.from_str(key)
    except pyrage.RecipientError:
        raise BackupError("LOCATION_OPS_BACKUP_RECIPIENT is not an age public key (it starts with age1).") from None


def read_identities(identity_path: str) -> list:
    """The private keys in an age identity file (lines starting AGE-SECRET-KEY-; # lines are comments)."""
    try:
        lines = Path(identity_path).read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        raise BackupError(f"The key file {identity_path} cannot be read.") from None
    identities = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            identities.append(pyrage.x25519.Identity.from_str(line))
        except pyrage.IdentityError:
            raise BackupError(f"{identity_path} is not an age identity file.") from None
    if not identities:
        raise BackupError(f"{identity_path} holds no key.")
    return identities


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(len(AGE_HEADER)) == AGE_HEADER


@contextlib.contextmanager
def _scratch(folder: Path) -> Iterator[Path]:
    """A private temporary file beside the target (same disk, mode 0600), removed afterwards."""
    handle, name = tempfile.mkstemp(prefix=".location-ops-", suffix=".part", dir=folder)
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def backup(settings: Settings, path: str, *, unencrypted: bool = False) -> bool:
    """Write a consistent copy of the database to ``path``, encrypted unless ``unencrypted``.

    Return whether the backup is encrypted. Without a recipient key, refuse unless
    ``unencrypted`` is given on purpose.
    """
    target = Path(path)
    key = recipient(settings)
    if key is None and not unencrypted:
        raise BackupError("no public key is set. Set LOCATION_OPS_BACKUP_RECIPIENT to the collective's age public "
                          "key (age1…), or pass --unencrypted on purpose.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if unencrypted:
        _dump(settings, target)
        return False
    with _scratch(target.parent) as plain:
        _dump(settings, plain)
        try:
            pyrage.encrypt_file(str(plain), str(target), [key])
        except pyrage.EncryptError as exc:
            raise BackupError(f"encryption failed ({exc}).") from None
    return True


def _dump(settings: Settings, target: Path) -> None:
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


def restore(settings: Settings, path: str, *, identity: str | None = None) -> None:
    """Replace the database's contents with the backup at ``path``, decrypted with the ``identity`` file."""
    source_path = Path(path)
    if not source_path.is_file():
        raise BackupError(f"No backup at {path}.")
    if not is_encrypted(source_path):
        _load(settings, source_path, path)
        return
    if identity is None:
        raise BackupError(f"{path} is encrypted: give the collective's private key with --identity FILE.")
    identities = read_identities(identity)
    with _scratch(source_path.parent) as plain:
        try:
            pyrage.decrypt_file(str(source_path), str(plain), identities)
        except pyrage.DecryptError:
            raise BackupError(f"the key in {identity} does not open {path}: it was encrypted to another key, "
                              "or the file is damaged.") from None
        _load(settings, plain, path)


def _load(settings: Settings, source_path: Path, path: str) -> None:
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
