"""Uploaded workbooks waiting between preview and apply: private to their uploader, short-lived."""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# Defaults; the app passes UPLOAD_MAX_AGE_SECONDS and UPLOAD_MAX_PENDING from its config.
MAX_AGE_SECONDS = 2 * 3600
MAX_PENDING = 5

# The store's clock: a module attribute, so tests can move time forward.
clock = time.time


@dataclass
class Upload:
    token: str
    user_id: int
    filename: str
    sha256: str
    size: int
    uploaded_at: float
    sheet: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    blanks_clear: bool = False
    # The rest of the user's choices (portfolio/imports/choices.py), and where they came from.
    defaults: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    rates: dict[str, str] = field(default_factory=dict)
    blank_unparsable: list[str] = field(default_factory=list)
    profile: str | None = None  # the saved profile applied on upload


def _write_new(path: Path, data: bytes) -> None:
    """Creates `path` readable by this account only; fails if it exists (never follows a link)."""
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


class UploadStore:
    """One `<token>.xlsx` (the bytes) and one `<token>.json` (who, what, settings) per upload."""

    def __init__(
        self,
        folder: Path,
        *,
        max_age_seconds: float = MAX_AGE_SECONDS,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.folder = folder
        self.max_age_seconds = max_age_seconds
        self.max_pending = max(1, max_pending)

    def _paths(self, token: str) -> tuple[Path, Path]:
        if not TOKEN_RE.match(token):
            raise KeyError(token)
        return self.folder / f"{token}.xlsx", self.folder / f"{token}.json"

    def save(self, data: bytes, filename: str, sha256: str, *, user_id: int) -> Upload:
        """Stores a new upload for `user_id`, first dropping abandoned ones and, when the user
        already has the most allowed, their oldest."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.prune()
        mine = sorted(
            (u for u in self._uploads() if u.user_id == user_id), key=lambda u: u.uploaded_at
        )
        for old in mine[: max(0, len(mine) - self.max_pending + 1)]:
            self.delete(old.token)
        upload = Upload(
            token=secrets.token_urlsafe(24),
            user_id=user_id,
            filename=filename,
            sha256=sha256,
            size=len(data),
            uploaded_at=clock(),
        )
        blob, _meta = self._paths(upload.token)
        _write_new(blob, data)
        try:
            self.update(upload)
        except BaseException:
            blob.unlink(missing_ok=True)
            raise
        return upload

    def update(self, upload: Upload) -> None:
        """Writes the metadata atomically: a reader sees the old or the new, never half."""
        blob, meta = self._paths(upload.token)
        if not blob.exists():
            raise KeyError(upload.token)  # applied or pruned meanwhile (another tab)
        tmp = self.folder / f".{upload.token}.{secrets.token_hex(8)}.tmp"
        try:
            _write_new(tmp, json.dumps(asdict(upload), ensure_ascii=False).encode("utf-8"))
            os.replace(tmp, meta)
        finally:
            tmp.unlink(missing_ok=True)

    def load(self, token: str, *, user_id: int) -> tuple[Upload, bytes]:
        """The upload and its bytes; KeyError when unknown, someone else's, expired or broken."""
        blob, meta = self._paths(token)
        upload = self._read_meta(meta)
        # Someone else's upload is answered exactly like one that does not exist.
        if upload is None or upload.user_id != user_id:
            raise KeyError(token)
        if self._expired(upload):
            self.delete(token)
            raise KeyError(token)
        try:
            return upload, blob.read_bytes()
        except OSError as exc:
            raise KeyError(token) from exc

    def delete(self, token: str) -> None:
        for path in self._paths(token):
            path.unlink(missing_ok=True)

    def prune(self) -> None:
        """Removes abandoned uploads, and leftovers (a blob or temp file) from a crash."""
        if not self.folder.is_dir():
            return
        live = set()
        for meta in self.folder.glob("*.json"):
            upload = self._read_meta(meta)
            if upload is None or self._expired(upload):
                self._remove(meta.stem, meta)
            else:
                live.add(upload.token)
        # A blob lives as long as its metadata; anything else goes once it is old.
        cutoff = clock() - self.max_age_seconds
        for path in self.folder.iterdir():
            if path.suffix == ".json" or path.stem in live:
                continue
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff:
                    path.unlink(missing_ok=True)

    def _remove(self, token: str, meta: Path) -> None:
        try:
            self.delete(token)
        except KeyError:  # not one of ours by name: just the stray file
            meta.unlink(missing_ok=True)

    def _expired(self, upload: Upload) -> bool:
        return clock() - upload.uploaded_at > self.max_age_seconds

    def _uploads(self) -> list[Upload]:
        found = (self._read_meta(meta) for meta in self.folder.glob("*.json"))
        return [upload for upload in found if upload is not None]

    @staticmethod
    def _read_meta(meta: Path) -> Upload | None:
        try:
            upload = Upload(**json.loads(meta.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None
        if upload.token != meta.stem or not isinstance(upload.user_id, int):
            return None
        return upload
