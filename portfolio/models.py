"""Every table, imported once so SQLModel's metadata (Alembic, tests) knows them all."""

from portfolio.api.models import ApiToken
from portfolio.finance.models import (
    Benefit,
    BenefitMeasurement,
    Pool,
    PoolMovement,
    ProjectSpending,
)
from portfolio.imports.models import ImportProfile, ImportRun
from portfolio.imports.uploads import PendingUpload
from portfolio.mail.models import MailMessage
from portfolio.meetings.models import (
    Meeting,
    MeetingFinanceSnapshot,
    MeetingItem,
    MeetingRolloutSnapshot,
    MeetingSnapshot,
    ReviewRound,
)
from portfolio.projects.models import Department, Person, Project, StatusUpdate
from portfolio.rollout.models import Blackout, Rollout, RolloutCell, RolloutChange
from portfolio.users.models import AuditEntry, LoginAttempt, User

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Benefit",
    "BenefitMeasurement",
    "Blackout",
    "Department",
    "ImportProfile",
    "ImportRun",
    "LoginAttempt",
    "MailMessage",
    "Meeting",
    "MeetingFinanceSnapshot",
    "MeetingItem",
    "MeetingRolloutSnapshot",
    "MeetingSnapshot",
    "PendingUpload",
    "Person",
    "Pool",
    "PoolMovement",
    "Project",
    "ProjectSpending",
    "ReviewRound",
    "Rollout",
    "RolloutCell",
    "RolloutChange",
    "StatusUpdate",
    "User",
]
