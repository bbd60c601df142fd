"""The record of applied imports."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from portfolio.db import enum_column, utcnow
from portfolio.domain import ChangeSource


class ImportRun(SQLModel, table=True):
    """One applied import of a workbook: who, when, which file, and what it did."""

    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
    source: ChangeSource = Field(sa_column=enum_column(ChangeSource, nullable=False))
    filename: str = Field(max_length=300)
    sha256: str = Field(max_length=64, index=True)
    sheet: str = Field(max_length=200)
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
