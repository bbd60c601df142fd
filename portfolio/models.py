"""Every table, imported once so SQLModel's metadata (Alembic, tests) knows them all."""

from portfolio.finance.models import (
    Benefit,
    BenefitMeasurement,
    Pool,
    PoolMovement,
    ProjectSpending,
)
from portfolio.imports.models import ImportProfile, ImportRun
from portfolio.meetings.models import (
    Meeting,
    MeetingFinanceSnapshot,
    MeetingItem,
    MeetingRolloutSnapshot,
    MeetingSnapshot,
)
from portfolio.projects.models import Department, Person, Project, StatusUpdate
from portfolio.rollout.models import Blackout, Rollout, RolloutCell, RolloutChange
from portfolio.users.models import AuditEntry, LoginAttempt, User

__all__ = [
    "AuditEntry",
    "Benefit",
    "BenefitMeasurement",
    "Blackout",
    "Department",
    "ImportProfile",
    "ImportRun",
    "LoginAttempt",
    "Meeting",
    "MeetingFinanceSnapshot",
    "MeetingItem",
    "MeetingRolloutSnapshot",
    "MeetingSnapshot",
    "Person",
    "Pool",
    "PoolMovement",
    "Project",
    "ProjectSpending",
    "Rollout",
    "RolloutCell",
    "RolloutChange",
    "StatusUpdate",
    "User",
]
