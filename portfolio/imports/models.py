"""The record of applied imports, and the import profiles remembered per sheet layout."""

from datetime import datetime

import sqlalchemy as sa
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
    # The user's choices (mapping, defaults for new projects, value maps, rates, blanks) as
    # JSON, and the profile they came from, if any.
    choices: str = Field(default="{}", sa_column_kwargs={"server_default": "{}"}, sa_type=sa.Text)
    profile: str | None = Field(default=None, max_length=100)


class ImportProfile(SQLModel, table=True):
    """The choices for one sheet layout, found again by the layout's header signature."""

    __tablename__ = "import_profile"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    signature: str = Field(max_length=64, index=True)
    headers: str = Field(sa_type=sa.Text)  # the header texts, one a line, to show the layout
    choices: str = Field(sa_type=sa.Text)  # ImportChoices as JSON
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    actor: str = Field(max_length=200)
