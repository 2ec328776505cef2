"""Where photos live: a small storage interface, with local disk now and room for S3-compatible later."""
from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Protocol


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
