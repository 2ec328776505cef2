"""Where photos live: a small storage interface, with local disk now and room for S3-compatible later.

And deleting files only once the rows that pointed at them are gone for good (delete_after_commit).
"""
from __future__ import annotations

import logging
import os
import secrets
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)
_PENDING_FILES = "madoguchi.media.pending_deletes"


class MediaStorage(Protocol):
    """Put, get and delete blobs by key (keys look like `reports/2026/04/ab12….jpg`)."""

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def keys_older_than(self, prefix: str, moment: datetime) -> Iterator[str]:
        """Keys under `prefix` last written before `moment` (unfinished writes included)."""
        ...


def new_photo_key(now: datetime, extension: str = "jpg") -> str:
    """An unguessable key grouped by month (so a retention job can drop whole folders)."""
    return f"reports/{now:%Y/%m}/{secrets.token_hex(16)}.{extension}"


class LocalMediaStorage:
    """Files under MEDIA_DIR. Writes are atomic: a crash never leaves half a photo."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def path_of(self, key: str) -> Path:
        """The file for a key; keys that climb out of the root are refused."""
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError("media key outside the media directory")
        return path

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self.path_of(key).read_bytes()

    def delete(self, key: str) -> None:
        self.path_of(key).unlink(missing_ok=True)

    def keys_older_than(self, prefix: str, moment: datetime) -> Iterator[str]:
        folder = self.path_of(prefix) if prefix.strip("/") else self.root
        cutoff = moment.timestamp()
        for directory, _, names in os.walk(folder):
            for name in names:
                path = Path(directory, name)
                try:
                    written = path.stat().st_mtime
                except FileNotFoundError:  # deleted while we walked
                    continue
                if written < cutoff:
                    yield path.relative_to(self.root).as_posix()


def delete_after_commit(session: Session, storage: MediaStorage, keys: list[str]) -> None:
    """Delete these files when the session commits; forget them when its transaction ends otherwise.

    Rows first, files after: a failed commit must not leave rows pointing at photos already gone. The
    price is that a crash between the commit and the deletion leaves files no row points at (the
    retention purge deletes those). A savepoint rolled back does not take its files off the list:
    callers run these in a transaction of their own.
    """
    if not keys:
        return
    if _PENDING_FILES not in session.info:
        session.info[_PENDING_FILES] = []
        event.listen(session, "after_commit", _delete_pending_files)
        event.listen(session, "after_transaction_end", _forget_pending_files)
    session.info[_PENDING_FILES].append((storage, keys))


def _delete_pending_files(session: Session) -> None:
    if session.in_nested_transaction():  # a savepoint released: the rows are not gone yet
        return
    pending, session.info[_PENDING_FILES] = session.info[_PENDING_FILES], []
    failed = 0
    for storage, keys in pending:
        for key in keys:
            try:
                storage.delete(key)  # a file already missing is not an error
            except (OSError, ValueError):
                failed += 1
    if failed:
        log.warning("media: %d photo file(s) could not be deleted", failed)


def _forget_pending_files(session: Session, transaction: SessionTransaction) -> None:
    # Runs after _delete_pending_files on a commit (nothing left), alone on a rollback or a close.
    if transaction.parent is None:
        session.info[_PENDING_FILES] = []
