"""Every table, imported once so SQLModel's metadata (Alembic, tests) knows them all."""

from portfolio.imports.models import ImportRun
from portfolio.meetings.models import (
    Meeting,
    MeetingItem,
    MeetingRolloutSnapshot,
    MeetingSnapshot,
)
from portfolio.projects.models import Department, Person, Project, StatusUpdate
from portfolio.rollout.models import Blackout, Rollout, RolloutCell, RolloutChange
from portfolio.users.models import AuditEntry, LoginAttempt, User

__all__ = [
    "AuditEntry",
    "Blackout",
    "Department",
    "ImportRun",
    "LoginAttempt",
    "Meeting",
    "MeetingItem",
    "MeetingRolloutSnapshot",
    "MeetingSnapshot",
    "Person",
    "Project",
    "Rollout",
    "RolloutCell",
    "RolloutChange",
    "StatusUpdate",
    "User",
]
