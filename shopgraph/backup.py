"""`shopgraph backup PATH` and `shopgraph restore PATH` for SQLite.

A backup uses SQLite's online backup API: it copies the whole database in
one step under a read lock, so it is a consistent snapshot even while the
server writes (a write waits for the copy; a copy waits for a write in
progress), and checks the copy with `PRAGMA integrity_check` before moving
it into place. A restore copies a backup over the configured database the
same way; stop the server first. PostgreSQL has its own tools for this
(`pg_dump` / `pg_restore`), which these commands point to.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

__all__ = ["BackupError", "sqlite_path", "backup_sqlite", "restore_sqlite"]

BUSY_TIMEOUT_S = 30.0  # how long to wait for a write in progress
_SHOP_TABLES = {"product", "order", "tortoise_migrations"}


class BackupError(Exception):
    """A backup or restore that cannot be made; the message says why."""


def sqlite_path(database_url: str) -> Path | None:
    """The file of a `sqlite://` URL; None for any other database."""
    if not database_url.startswith("sqlite://"):
        return None
    path = database_url.removeprefix("sqlite://").split("?", 1)[0]
    if path in ("", ":memory:"):
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(path)


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S)


def _check(connection: sqlite3.Connection, what: str) -> None:
    verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        raise BackupError(f"{what} failed SQLite's integrity check: {verdict}")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not _SHOP_TABLES <= tables:
        raise BackupError(f"{what} is not a shopgraph database (no {', '.join(sorted(_SHOP_TABLES - tables))} table)")


def backup_sqlite(source: Path, target: Path) -> int:
    """Copies the live database `source` to `target`; returns the copy's size in bytes."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if target.resolve() == source.resolve():
        raise BackupError("the backup must go to another file than the database")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    live = _connect(source)
    try:
        copy = sqlite3.connect(str(partial))
        try:
            live.backup(copy)  # every page in one step: a consistent snapshot
            _check(copy, "the backup")
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        live.close()
    os.replace(partial, target)
    return target.stat().st_size


def restore_sqlite(backup: Path, target: Path, *, force: bool = False) -> None:
    """Copies the backup `backup` over the database `target` (which the server must not be using)."""
    if not backup.is_file():
        raise BackupError(f"there is no backup at {backup}")
    saved = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    try:
        _check(saved, str(backup))
        if target.is_file() and target.stat().st_size and not force:
            existing = _connect(target)
            try:
                tables = existing.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            finally:
                existing.close()
            if tables:
                raise BackupError(f"{target} already holds a database: stop the server, then restore with --force")
        restored = _connect(target)
        try:
            saved.backup(restored)
        finally:
            restored.close()
    finally:
        saved.close()
