"""Personal API tokens: stored as a hash, with an expiry, a revocation and the last use; each
row also holds its token's rate-limit window (one fixed-window counter per token)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from portfolio.db import utcnow


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=sa.Column(
            sa.Integer, sa.ForeignKey("app_user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    name: str = Field(max_length=100)
    # The token's first characters, shown to tell tokens apart; the secret is never stored.
    prefix: str = Field(max_length=16)
    # sha256 of the whole token: a 32-byte random secret needs no slow hash.
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    # The rate limit's fixed window: the minute it counts (minutes since the epoch) and the
    # requests in it. Kept in the database so that every app server counts the same.
    window_minute: int = Field(default=0, sa_type=sa.BigInteger)
    window_count: int = Field(default=0)
