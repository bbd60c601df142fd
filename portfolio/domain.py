"""The portfolio's vocabulary: canonical enum values and their Danish labels (DOMAIN.md)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Scope(StrEnum):
    national = "national"
    municipal = "municipal"
    department = "department"


class Kind(StrEnum):
    strategic = "strategic"
    operational = "operational"


class Phase(StrEnum):
    idea = "idea"
    analysis = "analysis"
    procurement = "procurement"
    implementation = "implementation"
    benefits = "benefits"
    completed = "completed"
    paused = "paused"
    stopped = "stopped"


class Status(StrEnum):
    green = "green"
    yellow = "yellow"
    red = "red"


class Role(StrEnum):
    admin = "admin"  # IT department: users, imports, everything
    editor = "editor"  # IT project council: edits any project
    owner = "owner"  # a chief: status, comment and phase of own projects, and review
    reader = "reader"  # Chefforum members: read and export


class ChangeSource(StrEnum):
    web = "web"
    import_ = "import"
    cli = "cli"
    demo = "demo"
    plan = "plan"  # a proposed rollout plan, accepted


class RolloutState(StrEnum):
    """A department's state in an app's rollout (DOMAIN.md)."""

    not_started = "not_started"
    preparing = "preparing"
    in_progress = "in_progress"
    live = "live"
    postponed = "postponed"
    not_relevant = "not_relevant"


class MovementKind(StrEnum):
    """A line in a pool's ledger; nothing is edited or deleted, a mistake is a new line."""

    deposit = "deposit"  # money into the pool, with its source
    grant = "grant"  # to a project, by a decision
    release = "release"  # an unused grant back to the pool
    return_ = "return"  # realised economic gains sent back by the pool's rule
    correction = "correction"  # signed, with its reason


class BenefitType(StrEnum):
    economic = "economic"  # kr. per year
    time = "time"  # hours (or FTE) per year, optionally valued in kr. per hour
    qualitative = "qualitative"  # a described goal, assessed on a scale


class Assessment(StrEnum):
    """A qualitative benefit's scale; never forced into a number."""

    # Values differ from every other enum's: LABELS is keyed by them (StrEnums compare as str).
    not_begun = "not_begun"
    underway = "underway"
    partly = "partly"
    realised = "realised"


# Shown beside the word, so a state never rests on colour alone.
ROLLOUT_SYMBOLS = {
    RolloutState.not_started: "○",
    RolloutState.preparing: "◔",
    RolloutState.in_progress: "◑",
    RolloutState.live: "●",
    RolloutState.postponed: "‖",
    RolloutState.not_relevant: "–",
}


# Labels are lazy so they follow the user's language at render time.
LABELS = {
    Scope.national: _l("Nationalt skal-projekt"),
    Scope.municipal: _l("Fælles for hele kommunen"),
    Scope.department: _l("Afdelingsprojekt"),
    Kind.strategic: _l("Strategisk"),
    Kind.operational: _l("Operationelt"),
    Phase.idea: _l("Idé"),
    Phase.analysis: _l("Analyse"),
    Phase.procurement: _l("Anskaffelse"),
    Phase.implementation: _l("Gennemførelse"),
    Phase.benefits: _l("Gevinstrealisering"),
    Phase.completed: _l("Afsluttet"),
    Phase.paused: _l("Sat i bero"),
    Phase.stopped: _l("Stoppet"),
    Status.green: _l("Grøn"),
    Status.yellow: _l("Gul"),
    Status.red: _l("Rød"),
    Role.admin: _l("Administrator (IT-afdelingen)"),
    Role.editor: _l("Redaktør (IT-projektrådet)"),
    Role.owner: _l("Procesejer (chef)"),
    Role.reader: _l("Læser (Chefforum)"),
    ChangeSource.web: _l("Webredigering"),
    ChangeSource.import_: _l("Import"),
    ChangeSource.cli: _l("Kommandolinje"),
    ChangeSource.demo: _l("Demodata"),
    ChangeSource.plan: _l("Udrulningsplan"),
    RolloutState.not_started: _l("Ikke startet"),
    RolloutState.preparing: _l("Forberedes"),
    RolloutState.in_progress: _l("I gang"),
    RolloutState.live: _l("I drift"),
    RolloutState.postponed: _l("Udskudt"),
    RolloutState.not_relevant: _l("Ikke relevant"),
    MovementKind.deposit: _l("Indskud"),
    MovementKind.grant: _l("Bevilling"),
    MovementKind.release: _l("Frigivet bevilling"),
    MovementKind.return_: _l("Tilbageløb af gevinst"),
    MovementKind.correction: _l("Rettelse"),
    BenefitType.economic: _l("Økonomisk"),
    BenefitType.time: _l("Frigjort tid"),
    BenefitType.qualitative: _l("Kvalitativ"),
    Assessment.not_begun: _l("Ikke påbegyndt"),
    Assessment.underway: _l("På vej"),
    Assessment.partly: _l("Delvist realiseret"),
    Assessment.realised: _l("Realiseret"),
}

ACTION_LABELS = {
    "create": _l("Oprettet"),
    "update": _l("Ændret"),
    "archive": _l("Arkiveret"),
    "restore": _l("Hentet fra arkivet"),
    "review": _l("Gennemset"),
    "user_create": _l("Bruger oprettet"),
    "user_update": _l("Bruger ændret"),
    "meeting_create": _l("Møde oprettet"),
    "meeting_update": _l("Mødepakke ændret"),
    "meeting_flag": _l("Sat på eller taget af dagsordenen"),
    "meeting_publish": _l("Mødepakke offentliggjort"),
    "meeting_delete": _l("Mødekladde slettet"),
    "decision": _l("Chefforums beslutning"),
    "department_update": _l("Afdeling ændret"),
    "rollout_update": _l("Udrulning ændret"),
    "review_round_start": _l("Gennemgangsrunde startet"),
    "sso_login": _l("Logget ind med kommunens login"),
    "sso_refused": _l("Login med kommunens login afvist"),
    "api_token_create": _l("API-nøgle oprettet"),
    "api_token_revoke": _l("API-nøgle tilbagekaldt"),
    "pool_create": _l("Pulje oprettet"),
    "spending_update": _l("Budget eller forbrug ændret"),
    "benefit_create": _l("Gevinst oprettet"),
    "benefit_update": _l("Gevinst ændret"),
}

FIELD_LABELS = {
    "name": _l("Projektnavn"),
    "case_number": _l("Sagsnr."),
    "scope": _l("Projekttype"),
    "kind": _l("Strategisk / operationelt"),
    "department": _l("Afdeling"),
    "process_owner": _l("Procesejer"),
    "project_lead": _l("Projektleder"),
    "phase": _l("Fase"),
    "status": _l("Status"),
    "status_comment": _l("Statuskommentar"),
    "start_date": _l("Startdato"),
    "end_date": _l("Slutdato"),
    "baseline_end_date": _l("Oprindelig slutdato"),
    "budget_dkk": _l("Budget (kr.)"),
    "description": _l("Beskrivelse"),
    "link": _l("Link"),
    "archived": _l("Arkiveret"),
    "decision": _l("Chefforums beslutning"),
    "flagged": _l("Til beslutning"),
    "meeting": _l("Møde"),
    # A meeting's parts, as the audit trail names them.
    "meeting.title": _l("Titel"),
    "meeting.mode": _l("Pakkens indhold"),
    "meeting.anledning": _l("Anledning"),
    "meeting.sagsfremstilling": _l("Sagsfremstilling"),
    "meeting.indstilling": _l("Indstilling"),
    "meeting.beslutning": _l("Beslutning"),
    "meeting.bilag": _l("Bilag"),
    "meeting.include_rollout": _l("Udrulningsplanen på dagsordenen"),
    "meeting.rollout_beslutning": _l("Beslutning om udrulningsplanen"),
    # A department's and a rollout's settings, as the audit trail names them.
    "department.chief": _l("Chef"),
    "department.head_count": _l("Antal medarbejdere"),
    "department.factor": _l("Implementeringsfaktor"),
    "department.blackouts": _l("Ferieperioder"),
    "rollout.base_weeks": _l("Grundtid (uger)"),
    "rollout.checklist": _l("Parathedstjekliste"),
    # Pools, spending and benefits, as the audit trail names them.
    "pool": _l("Pulje"),
    "spending.budget": _l("Budget for året"),
    "spending.actual": _l("Forbrug i året"),
    "benefit": _l("Gevinst"),
    "benefit.title": _l("Gevinstens titel"),
    "benefit.type": _l("Gevinsttype"),
    "benefit.description": _l("Gevinstens beskrivelse"),
    "benefit.indicator": _l("Indikator"),
    "benefit.unit": _l("Enhed"),
    "benefit.baseline_value": _l("Nulpunkt"),
    "benefit.baseline_date": _l("Nulpunktets dato"),
    "benefit.target_pessimistic": _l("Mål, pessimistisk"),
    "benefit.target_likely": _l("Mål, sandsynligt"),
    "benefit.target_optimistic": _l("Mål, optimistisk"),
    "benefit.full_effect_on": _l("Fuld effekt fra"),
    "benefit.hourly_value_dkk": _l("Timeværdi (kr.)"),
    "benefit.owner": _l("Gevinstejer"),
    "benefit.department": _l("Gevinstens afdeling"),
}


# A role in one word, where the full label ("Redaktør (IT-projektrådet)") is too long: the header.
ROLE_SHORT_LABELS = {
    Role.admin: _l("Administrator"),
    Role.editor: _l("Redaktør"),
    Role.owner: _l("Procesejer"),
    Role.reader: _l("Læser"),
}


def short_label(role: Role | str | None) -> str:
    """A role's one-word label; empty for None."""
    return "" if not role else str(ROLE_SHORT_LABELS[Role(role)])


def label(value: StrEnum | str | None) -> str:
    """The user-facing label of an enum value; empty for None."""
    if value is None or value == "":
        return ""
    for enum in (
        Scope,
        Kind,
        Phase,
        Status,
        Role,
        ChangeSource,
        RolloutState,
        MovementKind,
        BenefitType,
        Assessment,
    ):
        try:
            return str(LABELS[enum(value)])
        except ValueError:
            continue
    return str(value)


def is_slipped(end_date: date | None, baseline_end_date: date | None) -> bool:
    """The project has slipped ("skredet"): its end date lies after the first approved one.
    The pack, the overview's table and its timeline all use this one rule."""
    return bool(end_date and baseline_end_date and end_date > baseline_end_date)
