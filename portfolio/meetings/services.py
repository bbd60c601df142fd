"""Chefforum meetings and their packs: drafts, publishing (a frozen snapshot), flags for
decision, Chefforum's decisions, and the Pack every export renders."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from portfolio.bulk import insert_rows
from portfolio.charts import NO_STATUS
from portfolio.db import utcnow
from portfolio.domain import FIELD_LABELS, BenefitType, ChangeSource, MovementKind, label
from portfolio.finance import rules as finance_rules
from portfolio.finance import services as finance_services
from portfolio.finance.models import PoolMovement
from portfolio.formats import danish_day
from portfolio.locks import hold_lock
from portfolio.meetings import finance_item, review_round
from portfolio.meetings.finance_item import (
    FinanceBenefit,
    FinanceMeasurement,
    FinanceMovement,
    FinancePool,
    FinanceSection,
    FinanceState,
    compute_finance_changes,
    orientation_pool,
    suggested_pool_texts,
)
from portfolio.meetings.models import (
    Meeting,
    MeetingFinanceSnapshot,
    MeetingItem,
    MeetingRolloutSnapshot,
    MeetingSnapshot,
)
from portfolio.meetings.pack import (
    PACK_FIELDS,
    Change,
    Pack,
    PackItem,
    PackMode,
    PackProject,
    compute_changes,
    decision_reasons,
    default_title,
    sort_for_decision,
    suggested_texts,
)
from portfolio.meetings.rollout_item import (
    RolloutDepartment,
    RolloutPlan,
    RolloutRow,
    compute_rollout_changes,
    rollout_item,
    snapshot_from_json,
    snapshot_json,
    suggested_rollout_texts,
)
from portfolio.projects.models import Project, StatusUpdate
from portfolio.projects.services import (
    FILTER_KEYS,
    ProjectFilter,
    history_row,
    project_columns,
    select_rows,
)
from portfolio.rollout import services as rollout_services
from portfolio.users.audit import audit_entry

# The agenda item's parts that can be edited while the pack is a draft; Beslutning always.
TEXT_FIELDS = ("anledning", "sagsfremstilling", "indstilling", "bilag")
# Written after the meeting, also once the pack is published: the decisions.
DECISION_FIELDS = ("beslutning", "rollout_beslutning", "pool_beslutning")
# The agenda's optional items and sections, chosen while the pack is a draft.
INCLUDE_FIELDS = ("include_rollout", "include_finance", "include_pool_orientation")
DRAFT_FIELDS = ("title", "mode", *TEXT_FIELDS, *INCLUDE_FIELDS, *DECISION_FIELDS)
DECISION_MAX = 4000


class MeetingError(Exception):
    """An action the meeting's state does not allow; the message is for the user (Danish)."""


class StaleMeetingError(Exception):
    """The meeting was changed by someone else after the form was opened."""

    def __init__(self, meeting: Meeting) -> None:
        # No attribute is read: after a failed flush the session must be rolled back first.
        super().__init__("the meeting was changed by someone else")
        self.meeting = meeting


# Audit actions that tell of drafts: only those who may see drafts see them in the log.
DRAFT_ACTIONS = frozenset({"meeting_create", "meeting_update", "meeting_flag", "meeting_delete"})


def hidden_audit_actions(can_see_drafts: bool) -> frozenset[str]:
    return frozenset() if can_see_drafts else DRAFT_ACTIONS


# --- finding meetings ------------------------------------------------------------------------


def meeting_by_date(session: Session, day: date) -> Meeting | None:
    return session.exec(select(Meeting).where(Meeting.meeting_date == day)).first()


def list_meetings(session: Session, *, include_drafts: bool) -> list[Meeting]:
    stmt = select(Meeting).order_by(col(Meeting.meeting_date).desc())
    if not include_drafts:
        stmt = stmt.where(col(Meeting.published_at).is_not(None))
    return list(session.exec(stmt).all())


def latest_published_before(session: Session, day: date) -> Meeting | None:
    stmt = (
        select(Meeting)
        .where(col(Meeting.published_at).is_not(None), col(Meeting.meeting_date) < day)
        .order_by(col(Meeting.meeting_date).desc())
    )
    return session.exec(stmt).first()


def previous_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    """What the pack compares with: fixed at publishing; for a draft, the last published."""
    if meeting.published_at is not None:
        return (
            session.get(Meeting, meeting.previous_meeting_id)
            if meeting.previous_meeting_id
            else None
        )
    return latest_published_before(session, meeting.meeting_date)


# --- changing meetings ---------------------------------------------------------------------


def _audit(session: Session, action: str, actor: str, **fields: Any) -> None:
    fields.setdefault("source", ChangeSource.web)
    session.add(audit_entry(actor=actor, action=action, **fields))


def create_meeting(
    *,
    session: Session,
    meeting_date: date,
    mode: PackMode,
    actor: str,
    title: str | None = None,
    source: ChangeSource = ChangeSource.web,
    include_rollout: bool = False,
    include_finance: bool = False,
    include_pool_orientation: bool = False,
) -> Meeting:
    if meeting_by_date(session, meeting_date) is not None:
        raise MeetingError(
            _("Der findes allerede et møde den %(day)s.", day=danish_day(meeting_date))
        )
    meeting = Meeting(
        meeting_date=meeting_date,
        title=(title or "").strip()[:200] or default_title(meeting_date),
        mode=mode,
        include_rollout=include_rollout,
        include_finance=include_finance,
        include_pool_orientation=include_pool_orientation,
    )
    session.add(meeting)
    session.flush()
    _audit(
        session,
        "meeting_create",
        actor,
        field="meeting",
        new=meeting_date.isoformat(),
        source=source,
    )
    session.flush()
    return meeting


def _check_version(meeting: Meeting, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != meeting.version:
        raise StaleMeetingError(meeting)


@contextmanager
def _versioned_write(meeting: Meeting) -> Iterator[None]:
    try:
        yield
    except StaleDataError as exc:
        raise StaleMeetingError(meeting) from exc


def _touch(session: Session, meeting: Meeting) -> None:
    """Write the meeting's row: `UPDATE … WHERE version = :loaded` (Meeting's version_id_col).
    Called before anything that depends on the meeting's state is written, so of two actions
    from the same version the second waits for the first's row lock and is then refused."""
    meeting.updated_at = utcnow()
    session.add(meeting)
    with _versioned_write(meeting):
        session.flush()


def update_meeting(
    *,
    session: Session,
    meeting: Meeting,
    data: Mapping[str, Any],
    actor: str,
    expected_version: int | None = None,
) -> list[str]:
    """Save the agenda item's text. A draft takes every field; a published pack only its
    Beslutning (and the rollout item's). A part saved just as the suggestion reads is kept
    empty, so that it goes on following the portfolio until publishing. Returns the names of
    the fields that changed."""
    _check_version(meeting, expected_version)
    allowed = DRAFT_FIELDS if meeting.published_at is None else DECISION_FIELDS
    refused = [
        k for k in data if k in DRAFT_FIELDS and k not in allowed and data[k] != getattr(meeting, k)
    ]
    if refused:
        raise MeetingError(
            _("Pakken er offentliggjort og kan ikke ændres; kun beslutningen kan skrives.")
        )
    suggested = (
        suggested_meeting_texts(session, meeting)
        if meeting.published_at is None and any(data.get(n) for n in TEXT_FIELDS)
        else {}
    )
    changed = []
    for name in allowed:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").strip()
            if name in suggested and value == suggested[name].strip():
                value = ""
        if name == "title":
            value = (value or "")[:200] or default_title(meeting.meeting_date)
        if name == "mode":
            value = PackMode(value)
        if name in INCLUDE_FIELDS:
            value = bool(value)
        if value != getattr(meeting, name):
            _audit(
                session,
                "meeting_update",
                actor,
                field=f"meeting.{name}",
                old=getattr(meeting, name),
                new=value,
            )
            setattr(meeting, name, value)
            changed.append(name)
    if changed:
        _touch(session, meeting)
    return changed


def set_flag(
    *,
    session: Session,
    meeting: Meeting,
    project_id: int,
    flagged: bool,
    actor: str,
    expected_version: int | None = None,
) -> None:
    """Put a project forward for decision by hand (or take it off again): drafts only."""
    _check_version(meeting, expected_version)
    if meeting.published_at is not None:
        raise MeetingError(_("Pakken er offentliggjort; dagsordenen kan ikke ændres."))
    project = session.get(Project, project_id)
    if project is None or project.archived:
        raise MeetingError(_("Projektet findes ikke i den aktive portefølje."))
    _touch(session, meeting)  # before reading the item: the version decides, not the timing
    item = _item(session, meeting, project_id)
    if item.flagged == flagged:
        return
    item.flagged = flagged
    session.add(item)
    _audit(
        session,
        "meeting_flag",
        actor,
        project_id=project_id,
        field="flagged",
        old=not flagged,
        new=flagged,
    )
    session.flush()


def _item(session: Session, meeting: Meeting, project_id: int) -> MeetingItem:
    item = session.exec(
        select(MeetingItem).where(
            MeetingItem.meeting_id == meeting.id, MeetingItem.project_id == project_id
        )
    ).first()
    if item is None:
        assert meeting.id is not None  # noqa: S101
        item = MeetingItem(meeting_id=meeting.id, project_id=project_id)
    return item


def publish_meeting(
    *,
    session: Session,
    meeting: Meeting,
    actor: str,
    expected_version: int | None = None,
) -> int:
    """Freeze the pack: every active project as it stands now, the rollout grid and the
    pools' ledger with the benefits (whether or not the meeting takes them up: the next
    meeting compares with them) and the agenda text.
    Returns the number of projects in the snapshot."""
    _check_version(meeting, expected_version)
    # Two meetings published at once must still see each other (the order rule below).
    hold_lock(session, "meetings.publish")
    if meeting.published_at is not None:
        raise MeetingError(_("Pakken er allerede offentliggjort."))
    later = session.exec(
        select(Meeting).where(
            col(Meeting.published_at).is_not(None), col(Meeting.meeting_date) > meeting.meeting_date
        )
    ).first()
    if later is not None:
        raise MeetingError(
            _(
                "Mødet %(later)s er allerede offentliggjort; et tidligere møde kan ikke "
                "offentliggøres bagefter.",
                later=danish_day(later.meeting_date),
            )
        )
    previous = latest_published_before(session, meeting.meeting_date)
    # The unfiltered draft holds every active project: that is the snapshot. Its suggested
    # text, as it reads now (in Danish, the record's language), becomes the pack's text.
    pack = build_pack(session, meeting)
    texts = suggested_meeting_texts(session, meeting, unfiltered=pack)
    assert meeting.id is not None  # noqa: S101
    for name in TEXT_FIELDS:
        if not getattr(meeting, name).strip():
            setattr(meeting, name, texts[name])
    meeting.previous_meeting_id = previous.id if previous else None
    meeting.published_at = utcnow()
    meeting.published_by = actor[:200]
    _touch(session, meeting)  # first: a second publisher from this version stops here
    insert_rows(
        session,
        MeetingSnapshot,
        [
            {"meeting_id": meeting.id, "project_id": p.id, "data": p.to_json()}
            for p in pack.projects
        ],
    )
    _freeze_rollout(session, meeting, pack)
    _freeze_finance(session, meeting, pack)
    _audit(
        session,
        "meeting_publish",
        actor,
        field="meeting",
        new=meeting.meeting_date.isoformat(),
    )
    session.flush()
    return len(pack.projects)


def record_decision(
    *,
    session: Session,
    meeting: Meeting,
    project_id: int,
    text: str,
    actor: str,
    expected_version: int | None = None,
) -> bool:
    """Chefforum's decision on a project at this meeting; it enters the project's history.
    Returns False when the text was unchanged."""
    _check_version(meeting, expected_version)
    if meeting.published_at is None:
        raise MeetingError(
            _("Beslutninger skrives efter mødet: offentliggør pakken, før beslutningerne noteres.")
        )
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > DECISION_MAX:
        raise MeetingError(_("Beslutningen må højst være %(num)d tegn.", num=DECISION_MAX))
    if session.get(Project, project_id) is None:
        raise MeetingError(_("Projektet findes ikke."))
    assert meeting.id is not None  # noqa: S101
    snapshot = session.exec(
        select(MeetingSnapshot.id).where(
            MeetingSnapshot.meeting_id == meeting.id, MeetingSnapshot.project_id == project_id
        )
    ).first()
    if snapshot is None:
        raise MeetingError(_("Projektet var ikke med i pakken til dette møde."))
    _touch(session, meeting)  # before reading the item: the version decides, not the timing
    item = _item(session, meeting, project_id)
    old = item.decision
    new = text or None
    if old == new:
        return False
    now = utcnow()
    item.decision, item.decided_by, item.decided_at = new, actor[:200], now
    session.add(item)
    # In the project's history as the meeting's decision, next to its status and phase.
    insert_rows(
        session,
        StatusUpdate,
        [
            history_row(
                project_id,
                "decision",
                _decision_history_text(meeting, old),
                _decision_history_text(meeting, new),
                at=now,
                actor=actor,
                source=ChangeSource.web,
                import_run_id=None,
            )
        ],
    )
    _audit(
        session,
        "decision",
        actor,
        project_id=project_id,
        field="decision",
        old=old,
        new=new,
        at=now,
    )
    session.flush()
    return True


def _decision_history_text(meeting: Meeting, text: str | None) -> str | None:
    if text is None:
        return None
    return f"{meeting.title}: {text}"


def delete_meeting(*, session: Session, meeting: Meeting, actor: str) -> None:
    """A draft that will not be used; a published pack is part of the record and stays."""
    if meeting.published_at is not None:
        raise MeetingError(_("Et offentliggjort møde kan ikke slettes."))
    named = session.exec(
        select(PoolMovement.id).where(PoolMovement.decision_meeting_id == meeting.id)
    ).first()
    if named is not None:  # the ledger is history: its decision must stay findable
        raise MeetingError(
            _("Mødet er beslutningen bag en bevilling i en pulje og kan derfor ikke slettes.")
        )
    session.execute(sa.delete(MeetingItem).where(col(MeetingItem.meeting_id) == meeting.id))
    _audit(
        session,
        "meeting_delete",
        actor,
        field="meeting",
        old=meeting.meeting_date.isoformat(),
    )
    session.delete(meeting)
    with _versioned_write(meeting):
        session.flush()


def _freeze_rollout(session: Session, meeting: Meeting, pack: Pack) -> None:
    """The rollout as the draft showed it: its grid and the item's text, written once."""
    if pack.rollout is not None:
        plan = pack.rollout.plan
        texts = {
            "anledning": pack.rollout.anledning,
            "sagsfremstilling": pack.rollout.sagsfremstilling,
            "indstilling": pack.rollout.indstilling,
            "bilag": "\n".join(pack.rollout.bilag),
        }
    else:
        found = live_rollout(session)
        if found is None:
            return  # nothing rolled out yet: nothing to compare with next time
        plan = found
        with force_locale("da"):
            texts = suggested_rollout_texts(
                plan,
                pack.rollout_changes if pack.rollout_compared else None,
                pack.previous_meeting_date,
            )
    assert meeting.id is not None  # noqa: S101
    session.add(MeetingRolloutSnapshot(meeting_id=meeting.id, data=snapshot_json(plan, texts)))


# --- the rollout a pack shows -------------------------------------------------------------


def live_rollout(session: Session) -> RolloutPlan | None:
    """Every rollout cell as it stands today, with the departments' pace and blackouts;
    None when no app has a rollout."""
    cells = rollout_services.grid_cells(session)
    if not cells:
        return None
    taken_on = rollout_services.today()
    rows = tuple(
        RolloutRow.from_cell(
            rollout_services.cell_to_dict(c, json_ready=False),
            cell_id=c.cell.id or 0,
            late=rollout_services.is_late(c.cell, taken_on),
            slip_days=c.slip_days,
        )
        for c in cells
    )
    blackouts: dict[int, list[str]] = defaultdict(list)
    for b in rollout_services.department_blackouts(session):
        if b.label not in blackouts[b.department_id]:
            blackouts[b.department_id].append(b.label)
    departments = tuple(
        RolloutDepartment(
            name=d.name,
            implementation_factor=d.implementation_factor or 1.0,
            head_count=d.head_count,
            blackouts=tuple(blackouts.get(d.id or 0, ())),
        )
        for d in rollout_services.departments(session)
    )
    return RolloutPlan(taken_on=taken_on, rows=rows, departments=departments)


def snapshot_rollout(
    session: Session, meeting_id: int
) -> tuple[RolloutPlan, dict[str, str]] | None:
    """A published meeting's frozen rollout and its item's text; None when it froze none."""
    data = session.exec(
        select(MeetingRolloutSnapshot.data).where(MeetingRolloutSnapshot.meeting_id == meeting_id)
    ).first()
    return snapshot_from_json(data) if data is not None else None


def _add_rollout(
    session: Session, meeting: Meeting, previous_meeting_: Meeting | None, pack: Pack
) -> None:
    """The rollout's part of the pack: the changes since the last meeting's frozen rollout,
    and the agenda item when the meeting takes it up. A published pack reads only its own
    snapshot; a draft the live grid."""
    assert meeting.id is not None  # noqa: S101
    previous = (
        snapshot_rollout(session, previous_meeting_.id)
        if previous_meeting_ and previous_meeting_.id
        else None
    )
    if not meeting.include_rollout and previous is None:
        return
    frozen: dict[str, str] | None = None
    if meeting.published_at is not None:
        snapshot = snapshot_rollout(session, meeting.id)
        current, frozen = snapshot if snapshot else (None, None)
    else:
        current = live_rollout(session)
    if current is None:
        return
    if previous is not None:
        pack.rollout_changes = compute_rollout_changes(previous[0], current)
        pack.rollout_compared = True
    if meeting.include_rollout:
        if frozen is None:
            with force_locale("da"):
                frozen = suggested_rollout_texts(
                    current,
                    pack.rollout_changes if pack.rollout_compared else None,
                    pack.previous_meeting_date,
                )
        pack.rollout = rollout_item(current, frozen, meeting.rollout_beslutning)


# --- the pools and benefits a pack shows ----------------------------------------------------


def _decision_text(meeting: Meeting | None, case_number: str | None) -> str | None:
    parts = [meeting.title] if meeting is not None else []
    if case_number:
        parts.append(_("sagsnr. %(number)s", number=case_number))
    return ", ".join(parts) or None


def live_finance(session: Session) -> FinanceState | None:
    """Every pool with its ledger and figures, and every benefit with its measurements, as
    they stand today; None when there is neither a pool nor a benefit."""
    pools = finance_services.pools(session)
    benefits = finance_services.benefits(session)
    if not pools and not benefits:
        return None
    taken_on = utcnow().date()
    names = dict(session.exec(select(Project.id, Project.name)).all())
    meetings: dict[int, Meeting | None] = {}
    pool_rows, movement_rows = [], []
    for pool in pools:
        assert pool.id is not None  # noqa: S101
        lines = finance_services.movements(session, pool.id)
        figures = finance_rules.ledger_figures((m.kind, m.amount_dkk) for m in lines)
        funded = dict.fromkeys(
            m.project_id for m in lines if m.kind == MovementKind.grant and m.project_id
        )
        rule_return = sum(
            finance_services.suggested_return(session, pool, pid).to_pool for pid in funded if pid
        )
        pool_rows.append(
            FinancePool(
                pool_id=pool.id,
                name=pool.name,
                owner_body=pool.owner_body,
                established_on=pool.established_on,
                return_share_pct=pool.return_share_pct,
                repay_investment=pool.repay_investment,
                deposited=figures.deposited,
                granted=figures.granted,
                released=figures.released,
                returned=figures.returned,
                corrected=figures.corrected,
                rule_return=rule_return,
            )
        )
        for m in lines:
            if m.decision_meeting_id and m.decision_meeting_id not in meetings:
                meetings[m.decision_meeting_id] = session.get(Meeting, m.decision_meeting_id)
            movement_rows.append(
                FinanceMovement(
                    movement_id=m.id or 0,
                    pool=pool.name,
                    kind=MovementKind(m.kind),
                    amount_dkk=m.amount_dkk,
                    occurred_on=m.occurred_on,
                    project=names.get(m.project_id) if m.project_id else None,
                    source=m.source,
                    decision=_decision_text(
                        meetings.get(m.decision_meeting_id) if m.decision_meeting_id else None,
                        m.decision_case_number,
                    ),
                    note=m.note,
                )
            )
    benefit_rows, measurement_rows = [], []
    for b in benefits:
        assert b.id is not None  # noqa: S101
        history = finance_services.measurements(session, b.id)
        status = finance_services.benefit_status(b, history, taken_on)
        owner = finance_services.owner_of(session, b)
        department = finance_services.department_of(session, b)
        project = names.get(b.project_id, "")
        kind = BenefitType(b.type)
        latest = status.latest
        benefit_rows.append(
            FinanceBenefit(
                benefit_id=b.id,
                project=project,
                title=b.title,
                type=kind,
                owner=owner.name if owner else None,
                department=department.name if department else None,
                unit=b.unit,
                baseline=b.baseline_value,
                target=b.target_likely,
                latest=status.latest_value,
                latest_on=latest.measured_on if latest else None,
                assessment=status.assessment,
                evidence=latest.comment if latest else None,
                realised_pct=status.realisation.pct,
                capped=status.realisation.capped,
                behind_plan=status.behind_plan,
                gain_dkk=finance_services.realised_gain_dkk(b, latest),
            )
        )
        for entry in history:
            reached = finance_rules.realisation(b.baseline_value, b.target_likely, entry.value)
            measurement_rows.append(
                FinanceMeasurement(
                    measurement_id=entry.id or 0,
                    benefit_id=b.id,
                    project=project,
                    benefit=b.title,
                    type=kind,
                    measured_on=entry.measured_on,
                    value=entry.value,
                    unit=b.unit,
                    assessment=entry.assessment,
                    comment=entry.comment,
                    realised_pct=reached.pct,
                    capped=reached.capped,
                )
            )
    return FinanceState(
        taken_on=taken_on,
        pools=tuple(pool_rows),
        movements=tuple(movement_rows),
        benefits=tuple(benefit_rows),
        measurements=tuple(measurement_rows),
    )


def snapshot_finance(
    session: Session, meeting_id: int
) -> tuple[FinanceState, dict[str, str]] | None:
    """A published meeting's frozen finances and its orientation's text; None when none."""
    data = session.exec(
        select(MeetingFinanceSnapshot.data).where(MeetingFinanceSnapshot.meeting_id == meeting_id)
    ).first()
    return finance_item.snapshot_from_json(data) if data is not None else None


def _pool_texts(state: FinanceState, pack: Pack) -> dict[str, str]:
    pool = orientation_pool(state)
    if pool is None:
        return {}
    changes = pack.finance.changes if pack.finance else pack.finance_changes
    with force_locale("da"):
        return suggested_pool_texts(state, pool, changes, pack.previous_meeting_date)


def _add_finance(
    session: Session, meeting: Meeting, previous_meeting_: Meeting | None, pack: Pack
) -> None:
    """The finance section and the pool's orientation item, when the meeting takes them up:
    compared with the last meeting's frozen finances. A published pack reads only its own
    snapshot; a draft the live ledger."""
    if not (meeting.include_finance or meeting.include_pool_orientation):
        return
    assert meeting.id is not None  # noqa: S101
    frozen: dict[str, str] | None = None
    if meeting.published_at is not None:
        snapshot = snapshot_finance(session, meeting.id)
        current, frozen = snapshot if snapshot else (None, None)
    else:
        current = live_finance(session)
    if current is None:
        return
    previous = (
        snapshot_finance(session, previous_meeting_.id)
        if previous_meeting_ and previous_meeting_.id
        else None
    )
    if previous is not None:
        pack.finance_changes = compute_finance_changes(previous[0], current)
    if meeting.include_finance:
        pack.finance = FinanceSection(current, pack.finance_changes, pack.previous_meeting_date)
    if meeting.include_pool_orientation:
        texts = frozen if frozen and frozen.get("indstilling") else _pool_texts(current, pack)
        if texts:
            pack.pool_orientation = finance_item.pool_orientation(
                current, texts, meeting.pool_beslutning
            )


def _freeze_finance(session: Session, meeting: Meeting, pack: Pack) -> None:
    """The pools and benefits as the draft showed them, and the orientation's text, written
    once; also when the meeting did not take them up, so the next pack can compare."""
    if pack.pool_orientation is not None:
        state = pack.pool_orientation.state
        item = pack.pool_orientation
        texts = {
            "anledning": item.anledning,
            "sagsfremstilling": item.sagsfremstilling,
            "indstilling": item.indstilling,
            "bilag": "\n".join(item.bilag),
        }
    else:
        found = pack.finance.state if pack.finance is not None else live_finance(session)
        if found is None:
            return  # no pool and no benefit yet: nothing to compare with next time
        state = found
        texts = _pool_texts(state, pack)
    assert meeting.id is not None  # noqa: S101
    session.add(
        MeetingFinanceSnapshot(meeting_id=meeting.id, data=finance_item.snapshot_json(state, texts))
    )


# --- the projects a pack shows ------------------------------------------------------------


def live_projects(session: Session) -> dict[int, PackProject]:
    """Every active (not archived) project as it stands now, by id."""
    rows = select_rows(session, ProjectFilter(), *project_columns(PACK_FIELDS))
    return {row[0]: PackProject.from_row(row) for row in rows}


def snapshot_projects(session: Session, meeting_id: int) -> dict[int, PackProject]:
    rows = session.exec(
        select(MeetingSnapshot.project_id, MeetingSnapshot.data).where(
            MeetingSnapshot.meeting_id == meeting_id
        )
    ).all()
    return {pid: PackProject.from_json(data) for pid, data in rows}


def matches(flt: ProjectFilter, p: PackProject) -> bool:
    """The project list's filter applied to a snapshot's project (the same rules as SQL)."""
    for key in ("scope", "kind", "phase", "department", "process_owner"):
        wanted = getattr(flt, key)
        if wanted and getattr(p, key) not in wanted:
            return False
    if flt.status and (p.status or NO_STATUS) not in flt.status:
        return False
    if flt.q:
        needle = flt.q.lower()
        haystack = (
            p.name,
            p.case_number,
            p.status_comment,
            p.description,
            p.department,
            p.process_owner,
            p.project_lead,
        )
        if not any(needle in (h or "").lower() for h in haystack):
            return False
    return True


def describe_filter(flt: ProjectFilter) -> str:
    """The filter in words for the pack's front page: "Afdeling: Børn & Familie; Status: Rød"."""
    parts = []
    for key in FILTER_KEYS:
        values = getattr(flt, key)
        if values:
            shown = [
                _("Ingen status")
                if v == NO_STATUS
                else (label(v) if key in ("scope", "kind", "phase", "status") else v)
                for v in values
            ]
            parts.append(f"{FIELD_LABELS[key]}: {', '.join(shown)}")
    if flt.q:
        parts.append(_("Søgning: “%(q)s”", q=flt.q))
    return "; ".join(parts)


def _decisions(
    session: Session, meeting: Meeting
) -> tuple[dict[int, MeetingItem], dict[int, tuple[date, str]]]:
    """This meeting's items by project, and each project's latest decision at an earlier meeting."""
    items = {
        i.project_id: i
        for i in session.exec(select(MeetingItem).where(MeetingItem.meeting_id == meeting.id))
    }
    earlier = session.exec(
        select(col(MeetingItem.project_id), col(Meeting.meeting_date), col(MeetingItem.decision))
        .join(Meeting, col(Meeting.id) == col(MeetingItem.meeting_id))
        .where(
            col(MeetingItem.decision).is_not(None), col(Meeting.meeting_date) < meeting.meeting_date
        )
        .order_by(col(Meeting.meeting_date))
    ).all()
    previous: dict[int, tuple[date, str]] = {}
    for pid, day, text in earlier:
        previous[pid] = (day, text or "")  # later meetings overwrite earlier ones
    return items, previous


def build_pack(session: Session, meeting: Meeting, flt: ProjectFilter | None = None) -> Pack:
    """The pack for a meeting: frozen rows when published, the live portfolio for a draft;
    compared with the previous published meeting; narrowed to the filter, if one is given."""
    flt = flt or ProjectFilter()
    assert meeting.id is not None  # noqa: S101
    if meeting.published_at is not None:
        current = snapshot_projects(session, meeting.id)
    else:
        current = live_projects(session)
    previous_meeting_ = previous_meeting(session, meeting)
    previous = (
        snapshot_projects(session, previous_meeting_.id)
        if previous_meeting_ and previous_meeting_.id
        else {}
    )

    shown = {pid: p for pid, p in current.items() if matches(flt, p)}
    all_changes = compute_changes(previous, current) if previous_meeting_ else []
    changes = [
        c
        for c in all_changes
        if (c.project_id in shown)
        or (c.project_id not in current and matches(flt, previous[c.project_id]))
    ]
    by_project: dict[int, list[Change]] = defaultdict(list)
    for change in changes:
        by_project[change.project_id].append(change)

    items, earlier = _decisions(session, meeting)
    first = previous_meeting_ is None
    for_decision: list[PackItem] = []
    for_information: list[PackItem] = []
    other_strategic: list[PackItem] = []
    for p in sorted(shown.values(), key=lambda p: (p.name.casefold(), p.id)):
        own = items.get(p.id)
        flagged = bool(own and own.flagged)
        before = earlier.get(p.id)
        item = PackItem(
            project=p,
            reasons=decision_reasons(p, by_project[p.id], flagged=flagged, first_meeting=first),
            flagged=flagged,
            decision=own.decision if own else None,
            previous_decision=before[1] if before else None,
            previous_decision_date=before[0] if before else None,
        )
        if item.reasons:
            for_decision.append(item)
        elif meeting.mode == PackMode.complete:
            (other_strategic if p.kind == "strategic" else for_information).append(item)

    previous_status = (
        Counter(p.status or NO_STATUS for p in previous.values() if matches(flt, p))
        if previous_meeting_
        else None
    )
    pack = Pack(
        meeting_id=meeting.id,
        meeting_date=meeting.meeting_date,
        title=meeting.title,
        mode=PackMode(meeting.mode),
        published_at=meeting.published_at,
        previous_meeting_date=previous_meeting_.meeting_date if previous_meeting_ else None,
        anledning=meeting.anledning,
        sagsfremstilling=meeting.sagsfremstilling,
        indstilling=meeting.indstilling,
        beslutning=meeting.beslutning,
        for_decision=sort_for_decision(for_decision),
        for_information=for_information,
        other_strategic=other_strategic,
        projects=[shown[pid] for pid in sorted(shown, key=lambda i: (shown[i].name.casefold(), i))],
        changes=changes,
        previous_status=previous_status,
        filter_description=describe_filter(flt),
    )
    _add_rollout(session, meeting, previous_meeting_, pack)
    _add_finance(session, meeting, previous_meeting_, pack)
    review_round.add_review_note(session, meeting, pack)
    # A draft's empty parts read as the suggestion, written from the numbers just computed,
    # in Danish like the text it stands in for.
    with force_locale("da"):
        suggested = suggested_texts(pack)
    for name in ("anledning", "sagsfremstilling", "indstilling"):
        if not getattr(pack, name).strip():
            setattr(pack, name, suggested[name])
    bilag = meeting.bilag.strip() or suggested["bilag"]
    pack.bilag = [line.strip() for line in bilag.splitlines() if line.strip()]
    return pack


def suggested_meeting_texts(
    session: Session, meeting: Meeting, *, unfiltered: Pack | None = None
) -> dict[str, str]:
    """The suggestion for the agenda item's empty parts, in Danish: written from the whole
    portfolio (`unfiltered`, when the caller has already built that pack)."""
    with force_locale("da"):
        return suggested_texts(unfiltered or build_pack(session, meeting))
