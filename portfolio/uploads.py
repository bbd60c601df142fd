"""Uploaded workbooks waiting between preview and apply: kept in the instance folder, by token."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
MAX_AGE_SECONDS = 24 * 3600


@dataclass
class Upload:
    token: str
    filename: str
    sha256: str
    size: int
    uploaded_at: float
    sheet: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    blanks_clear: bool = False


class UploadStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _paths(self, token: str) -> tuple[Path, Path]:
        if not TOKEN_RE.match(token):
            raise KeyError(token)
        return self.folder / f"{token}.xlsx", self.folder / f"{token}.json"

    def save(self, data: bytes, filename: str, sha256: str) -> Upload:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.prune()
        upload = Upload(
            token=secrets.token_urlsafe(24),
            filename=filename,
            sha256=sha256,
            size=len(data),
            uploaded_at=time.time(),
        )
        blob, meta = self._paths(upload.token)
        blob.write_bytes(data)
        self.update(upload)
        return upload

    def update(self, upload: Upload) -> None:
        _blob, meta = self._paths(upload.token)
        meta.write_text(json.dumps(asdict(upload), ensure_ascii=False))

    def load(self, token: str) -> tuple[Upload, bytes]:
        """The upload and its bytes; KeyError when unknown, expired or malformed."""
        blob, meta = self._paths(token)
        try:
            upload = Upload(**json.loads(meta.read_text()))
            data = blob.read_bytes()
        except (OSError, ValueError, TypeError) as exc:
            raise KeyError(token) from exc
        if time.time() - upload.uploaded_at > MAX_AGE_SECONDS:
            self.delete(token)
            raise KeyError(token)
        return upload, data

    def delete(self, token: str) -> None:
        for path in self._paths(token):
            path.unlink(missing_ok=True)

    def prune(self) -> None:
        cutoff = time.time() - MAX_AGE_SECONDS
        for path in self.folder.glob("*.*"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)
            except OSError:
                continue
