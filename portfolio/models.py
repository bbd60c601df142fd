"""Every table, imported once so SQLModel's metadata (Alembic, tests) knows them all."""

from portfolio.imports.models import ImportRun
from portfolio.meetings.models import Meeting, MeetingItem, MeetingSnapshot
from portfolio.projects.models import Department, Person, Project, StatusUpdate
from portfolio.users.models import AuditEntry, LoginAttempt, User

__all__ = [
    "AuditEntry",
    "Department",
    "ImportRun",
    "LoginAttempt",
    "Meeting",
    "MeetingItem",
    "MeetingSnapshot",
    "Person",
    "Project",
    "StatusUpdate",
    "User",
]
