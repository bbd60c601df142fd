"""Personal API tokens: creating one (shown once), listing and revoking a user's own, and
checking the token a request brings, which counts it toward its rate limit and records its use."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from portfolio.api.models import ApiToken
from portfolio.auth import SessionUser
from portfolio.db import utcnow, writing
from portfolio.domain import ChangeSource, Role
from portfolio.users.audit import audit_entry
from portfolio.users.models import User

PREFIX = "pf_"  # tells a Portefølje token apart in a config file or a secret scanner
SHOWN_CHARACTERS = 11  # "pf_" and 8 characters of the secret: enough to tell tokens apart
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_NAME = 100


class TokenError(ValueError):
    """A token that cannot be created as asked; the message says why, in Danish."""


@dataclass(frozen=True)
class TokenUser:
    """A valid token and the user it acts for, as the permission checks see a logged-in one."""

    token_id: int
    user: SessionUser


@dataclass(frozen=True)
class Refusal:
    """Why a request's token was refused: 401 (no valid token) or 429 (over the rate limit,
    with the seconds to wait)."""

    status: int
    message: str
    retry_after: int | None = None


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(
    *,
    session: Session,
    user: User,
    name: str,
    days: int = DEFAULT_DAYS,
    actor: str,
    source: ChangeSource,
) -> tuple[ApiToken, str]:
    """A new token for `user`, and the token itself: the only time it can be read."""
    name = " ".join(name.split())
    if not name:
        raise TokenError(_("Giv nøglen et navn, fx “Power BI – porteføljerapport”."))
    if len(name) > MAX_NAME:
        raise TokenError(_("Navnet må højst være %(num)d tegn.", num=MAX_NAME))
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(_("En nøgle kan gælde fra 1 til %(num)d dage.", num=MAX_DAYS))
    if not user.active:
        raise TokenError(_("Brugeren %(email)s er deaktiveret.", email=user.email))
    assert user.id is not None  # noqa: S101
    raw = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=raw[:SHOWN_CHARACTERS],
        token_hash=token_hash(raw),
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(token)
    session.add(
        audit_entry(
            actor=actor, action="api_token_create", source=source, new=f"{name} ({token.prefix}…)"
        )
    )
    session.flush()
    return token, raw


def user_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """The user's tokens, newest first; revoked and expired ones too (they say so)."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == user_id)
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return list(session.exec(stmt).all())


def own_token(session: Session, user_id: int, token_id: int) -> ApiToken | None:
    """The user's own token with this id; anyone else's is None, as if it did not exist."""
    token = session.get(ApiToken, token_id)
    return token if token is not None and token.user_id == user_id else None


def revoke_token(*, session: Session, token: ApiToken, actor: str, source: ChangeSource) -> None:
    """The token stops working at once; it stays listed as revoked."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    session.add(token)
    session.add(
        audit_entry(
            actor=actor,
            action="api_token_revoke",
            source=source,
            old=f"{token.name} ({token.prefix}…)",
        )
    )
    session.flush()


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """ "active", "expired" or "revoked", for the list."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


_TOKENS = ApiToken.__table__  # type: ignore[attr-defined]
_USERS = User.__table__  # type: ignore[attr-defined]


def authenticate(engine: Engine, raw: str | None, *, rate_per_minute: int) -> TokenUser | Refusal:
    """The user a request's token acts for, or why it is refused. A good token's use is
    counted and its last use recorded in one UPDATE, in a transaction of its own (the request's
    own unit of work never commits a GET), so every app server sees the same counts."""
    if not raw:
        return Refusal(401, _("Angiv en API-nøgle i headeren Authorization: Bearer <nøgle>."))
    now = utcnow()
    minute = int(now.timestamp()) // 60
    hashed = token_hash(raw)
    active_users = sa.select(_USERS.c.id).where(_USERS.c.active.is_(True))
    counted = (
        sa.update(_TOKENS)
        .where(
            _TOKENS.c.token_hash == hashed,
            _TOKENS.c.revoked_at.is_(None),
            _TOKENS.c.expires_at > now,
            _TOKENS.c.user_id.in_(active_users),
        )
        .values(
            last_used_at=now,
            window_count=sa.case(
                (_TOKENS.c.window_minute == minute, _TOKENS.c.window_count + 1), else_=1
            ),
            window_minute=minute,
        )
        .returning(_TOKENS.c.id, _TOKENS.c.user_id, _TOKENS.c.window_count)
    )
    with writing(engine).begin() as conn:
        row = conn.execute(counted).first()
        if row is None:
            return _why_refused(conn, hashed, now)
        token_id, user_id, count = row
        user = conn.execute(
            sa.select(
                _USERS.c.name,
                _USERS.c.email,
                sa.type_coerce(_USERS.c.role, sa.String()),
                _USERS.c.person_id,
                _USERS.c.session_version,
            ).where(_USERS.c.id == user_id)
        ).one()
    if count > rate_per_minute:
        wait = max(1, 60 - int(now.timestamp()) % 60)
        return Refusal(
            429,
            _(
                "For mange forespørgsler: højst %(num)d i minuttet pr. API-nøgle. "
                "Prøv igen om %(seconds)d sekunder.",
                num=rate_per_minute,
                seconds=wait,
            ),
            retry_after=wait,
        )
    name, email, role, person_id, session_version = user
    return TokenUser(
        token_id,
        SessionUser(
            id=user_id,
            name=name,
            email=email,
            role=Role(role),
            person_id=person_id,
            session_version=session_version,
        ),
    )


def _why_refused(conn: sa.Connection, hashed: str, now: datetime) -> Refusal:
    found = conn.execute(
        sa.select(_TOKENS.c.revoked_at, _TOKENS.c.expires_at, _USERS.c.active)
        .join(_USERS, _USERS.c.id == _TOKENS.c.user_id)
        .where(_TOKENS.c.token_hash == hashed)
    ).first()
    if found is None:
        return Refusal(401, _("API-nøglen er ugyldig."))
    revoked_at, expires_at, active = found
    if revoked_at is not None:
        return Refusal(401, _("API-nøglen er tilbagekaldt. Opret en ny under API-nøgler."))
    if not active:
        return Refusal(401, _("Brugeren bag API-nøglen er deaktiveret."))
    return Refusal(401, _("API-nøglen er udløbet. Opret en ny under API-nøgler."))
