"""Uploaded workbooks waiting between preview and apply: private to their uploader, short-lived,
and kept in the database (table `pending_upload`), so that any app server behind the same
database can preview and apply what another one received."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, Session, SQLModel

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# Defaults; the app passes UPLOAD_MAX_AGE_SECONDS and UPLOAD_MAX_PENDING from its config.
MAX_AGE_SECONDS = 2 * 3600
MAX_PENDING = 5

# The store's clock: a module attribute, so tests can move time forward.
clock = time.time


class PendingUpload(SQLModel, table=True):
    """One uploaded workbook waiting for its preview and apply: the bytes, who sent it, and
    the choices made so far (JSON). `kind` keeps one feature's uploads (and their pruning)
    apart from another's: "uploads" (the portfolio import), "rollout-uploads" (the sheet)."""

    __tablename__ = "pending_upload"

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=40)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    filename: str = Field(max_length=300)
    sha256: str = Field(max_length=64)
    size: int
    data: bytes = Field(sa_type=sa.LargeBinary)
    uploaded_at: datetime = Field(index=True)
    settings: str = Field(default="{}", sa_type=sa.Text)  # the Upload's choices as JSON


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


# What the settings column holds: everything but the row's own columns.
_OWN_COLUMNS = ("token", "user_id", "filename", "sha256", "size", "uploaded_at")
_TABLE: sa.Table = PendingUpload.__table__  # type: ignore[attr-defined]


def _settings(upload: Upload) -> str:
    data = {k: v for k, v in asdict(upload).items() if k not in _OWN_COLUMNS}
    return json.dumps(data, ensure_ascii=False)


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class UploadStore:
    """The uploads of one kind, read and written through `session` (the request's unit of
    work: a new upload or new choices are kept when the request commits). `remove` deletes one
    for good whatever becomes of the request (a refused apply, an expired upload); by default
    it deletes through the session."""

    def __init__(
        self,
        session: Session,
        kind: str,
        *,
        max_age_seconds: float = MAX_AGE_SECONDS,
        max_pending: int = MAX_PENDING,
        remove: Callable[[str], None] | None = None,
    ) -> None:
        self.session = session
        self.kind = kind
        self.max_age_seconds = max_age_seconds
        self.max_pending = max(1, max_pending)
        self._remove = remove or self._delete_in_session

    def _where(self, token: str) -> Any:
        return sa.and_(_TABLE.c.token == token, _TABLE.c.kind == self.kind)

    def save(self, data: bytes, filename: str, sha256: str, *, user_id: int) -> Upload:
        """Stores a new upload for `user_id`, first dropping abandoned ones and, when the user
        already has the most allowed, their oldest."""
        self.prune()
        mine = self.session.execute(
            sa.select(_TABLE.c.id)
            .where(_TABLE.c.kind == self.kind, _TABLE.c.user_id == user_id)
            .order_by(_TABLE.c.uploaded_at, _TABLE.c.id)
        ).scalars()
        ids = list(mine)
        oldest = ids[: max(0, len(ids) - self.max_pending + 1)]
        if oldest:
            self.session.execute(sa.delete(_TABLE).where(_TABLE.c.id.in_(oldest)))
        upload = Upload(
            token=secrets.token_urlsafe(24),
            user_id=user_id,
            filename=filename,
            sha256=sha256,
            size=len(data),
            uploaded_at=clock(),
        )
        self.session.execute(
            sa.insert(_TABLE).values(
                token=upload.token,
                kind=self.kind,
                user_id=user_id,
                filename=filename[:300],
                sha256=sha256,
                size=upload.size,
                data=data,
                uploaded_at=_moment(upload.uploaded_at),
                settings=_settings(upload),
            )
        )
        return upload

    def update(self, upload: Upload) -> None:
        """Stores the upload's choices; KeyError when it is gone (applied or pruned meanwhile,
        in another tab)."""
        if not TOKEN_RE.match(upload.token):
            raise KeyError(upload.token)
        done = self.session.execute(
            sa.update(_TABLE)
            .where(self._where(upload.token), _TABLE.c.user_id == upload.user_id)
            .values(settings=_settings(upload))
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise KeyError(upload.token)

    def load(self, token: str, *, user_id: int) -> tuple[Upload, bytes]:
        """The upload and its bytes; KeyError when unknown, someone else's, expired or broken."""
        if not TOKEN_RE.match(token):
            raise KeyError(token)
        row = self.session.execute(sa.select(_TABLE).where(self._where(token))).first()
        # Someone else's upload is answered exactly like one that does not exist.
        if row is None or row.user_id != user_id:
            raise KeyError(token)
        uploaded_at = row.uploaded_at.replace(tzinfo=row.uploaded_at.tzinfo or UTC).timestamp()
        if clock() - uploaded_at > self.max_age_seconds:
            self.delete(token)
            raise KeyError(token)
        try:
            settings = json.loads(row.settings)
            upload = Upload(
                token=row.token,
                user_id=row.user_id,
                filename=row.filename,
                sha256=row.sha256,
                size=row.size,
                uploaded_at=uploaded_at,
                **settings,
            )
        except (ValueError, TypeError) as exc:
            raise KeyError(token) from exc
        return upload, bytes(row.data)

    def delete(self, token: str) -> None:
        if TOKEN_RE.match(token):
            self._remove(token)

    def prune(self) -> None:
        """Removes abandoned uploads of this kind."""
        cutoff = _moment(clock() - self.max_age_seconds)
        self.session.execute(
            sa.delete(_TABLE).where(_TABLE.c.kind == self.kind, _TABLE.c.uploaded_at < cutoff)
        )

    def _delete_in_session(self, token: str) -> None:
        self.session.execute(sa.delete(_TABLE).where(self._where(token)))


def delete_upload(connection: sa.Connection, kind: str, token: str) -> None:
    """Deletes one upload on `connection` (its own transaction, outside any request's)."""
    connection.execute(sa.delete(_TABLE).where(_TABLE.c.token == token, _TABLE.c.kind == kind))
