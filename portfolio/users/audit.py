"""The audit trail: every change, from the web, an import or the CLI, with its author."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, func, select

from portfolio.db import utcnow
from portfolio.domain import ChangeSource
from portfolio.users.models import AuditEntry

# The audit log's field column (PostgreSQL refuses longer text).
AUDIT_FIELD_LENGTH = 40


def user_field(email: str, field: str) -> str:
    """`email:field`, what a user's audit row names, shortened from the left to fit the column
    (a long e-mail keeps its end, its domain, and the field)."""
    text = f"{email}:{field}"
    return text if len(text) <= AUDIT_FIELD_LENGTH else "…" + text[-(AUDIT_FIELD_LENGTH - 1) :]


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.value if hasattr(value, "value") else value)


def audit_row(
    *,
    actor: str,
    action: str,
    source: ChangeSource,
    project_id: int | None = None,
    field: str | None = None,
    old: Any = None,
    new: Any = None,
    import_run_id: int | None = None,
    at: Any = None,
) -> dict[str, Any]:
    """One audit entry as a row for a bulk INSERT into audit_entry."""
    return {
        "at": at or utcnow(),
        "actor": actor[:200],
        "action": action,
        "source": source,
        "project_id": project_id,
        "field": field,
        "old_value": as_text(old),
        "new_value": as_text(new),
        "import_run_id": import_run_id,
    }


def audit_entry(**fields: Any) -> AuditEntry:
    """One audit entry as an ORM object (for single changes); see audit_row for the fields."""
    return AuditEntry(**audit_row(**fields))


@dataclass
class AuditFilter:
    project_id: int | None = None
    actor: str = ""
    source: str = ""
    page: int = 1
    per_page: int = 100
    # Actions this reader may not see (e.g. work on meeting drafts, for those who see no drafts).
    hidden_actions: frozenset[str] = frozenset()


def list_audit(session: Session, flt: AuditFilter) -> tuple[Sequence[AuditEntry], int]:
    stmt = select(AuditEntry)
    count = select(func.count()).select_from(AuditEntry)
    conditions = []
    if flt.project_id:
        conditions.append(col(AuditEntry.project_id) == flt.project_id)
    if flt.actor:
        conditions.append(col(AuditEntry.actor).contains(flt.actor, autoescape=True))
    if flt.source in {s.value for s in ChangeSource}:
        conditions.append(col(AuditEntry.source) == flt.source)
    if flt.hidden_actions:
        conditions.append(col(AuditEntry.action).not_in(sorted(flt.hidden_actions)))
    for condition in conditions:
        stmt = stmt.where(condition)
        count = count.where(condition)
    stmt = (
        stmt.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .offset((max(flt.page, 1) - 1) * flt.per_page)
        .limit(flt.per_page)
    )
    return session.exec(stmt).all(), int(session.exec(count).one())
