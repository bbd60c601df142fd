"""Hand-made packs for the exporters' tests: no database, and text that tries to break out."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from portfolio.meetings.pack import (
    Change,
    ChangeKind,
    Pack,
    PackItem,
    PackMode,
    PackProject,
    compute_changes,
    suggested_texts,
)

# Text a user could type into any field: HTML, plotly label markup, a spreadsheet formula.
SCRIPT = "<script>alert('x')</script>"
PLOTLY_LINK = '<a href="https://evil.example/">klik</a>'
FORMULA = '=HYPERLINK("https://evil.example/","klik")'


def pack_project(pid: int, **fields: object) -> PackProject:
    data: dict[str, object] = {
        "id": pid,
        "name": f"Projekt {pid}",
        "case_number": f"85.13.00-P20-{pid}-26",
        "scope": "municipal",
        "kind": "strategic",
        "department": "Økonomi & Stab",
        "process_owner": "Peter Damgaard",
        "project_lead": "Mette Sørensen",
        "phase": "analysis",
        "status": "green",
        "status_comment": None,
        "start_date": date(2026, 1, 1),
        "end_date": date(2027, 6, 30),
        "baseline_end_date": date(2027, 6, 30),
        "budget_dkk": 1_250_000,
        "description": None,
        "link": None,
    }
    data.update(fields)
    return PackProject(**data)  # type: ignore[arg-type]


def make_pack(*, hostile: bool = True, published: bool = True) -> Pack:
    """A pack with both sections, changes since a previous meeting and (by default) hostile
    text in every place a user can write."""
    bad = f"{SCRIPT} {PLOTLY_LINK}" if hostile else "Ingen bemærkninger"
    previous = {
        1: pack_project(1, name="Nyt ESDH-system", status="green"),
        2: pack_project(2, name="Aula", kind="operational", phase="implementation"),
        3: pack_project(3, name="Gammel portal", phase="implementation"),
        5: pack_project(5, name="Kørselsapp", kind="operational", budget_dkk=400_000),
    }
    current = {
        1: pack_project(
            1,
            name="Nyt ESDH-system" + (f" {SCRIPT}" if hostile else ""),
            status="red",
            status_comment=bad,
            end_date=date(2027, 9, 30),
            department=FORMULA if hostile else "Økonomi & Stab",
        ),
        2: pack_project(2, name="Aula", kind="operational", phase="implementation"),
        4: pack_project(
            4,
            name=FORMULA if hostile else "Fraværsapp",
            phase="idea",
            status=None,
            scope="national",
            process_owner=PLOTLY_LINK if hostile else "Chefen for Børn & Familie",
        ),
        5: pack_project(
            5, name="Kørselsapp", kind="operational", budget_dkk=550_000, status="yellow"
        ),
    }
    changes = compute_changes(previous, current)
    items = {
        pid: PackItem(project=p, decision=(bad if pid == 1 and published else None))
        for pid, p in current.items()
    }
    pack = Pack(
        meeting_id=2,
        meeting_date=date(2026, 12, 8),
        title="Chefforum 8. december 2026" + (f" {SCRIPT}" if hostile else ""),
        mode=PackMode.complete,
        published_at=datetime(2026, 12, 1, 9, 30, tzinfo=UTC) if published else None,
        previous_meeting_date=date(2026, 10, 22),
        anledning="",
        sagsfremstilling="",
        indstilling="",
        beslutning=bad if published else "",
        for_decision=[
            PackItem(
                project=current[1],
                reasons=("Status rød",),
                decision=items[1].decision,
                previous_decision=bad,
                previous_decision_date=date(2026, 10, 22),
            ),
            PackItem(project=current[4], reasons=("Nyt projekt: beslutning om opstart",)),
        ],
        for_information=[items[2], items[5]],
        other_strategic=[],
        projects=sorted(current.values(), key=lambda p: p.name.casefold()),
        changes=changes,
        previous_status=Counter(p.status or "none" for p in previous.values()),
        filter_description="",
    )
    texts = suggested_texts(pack)
    pack.anledning = texts["anledning"] + (f" {FORMULA}" if hostile else "")
    pack.sagsfremstilling = texts["sagsfremstilling"] + (f"\n\n{bad}" if hostile else "")
    pack.indstilling = texts["indstilling"]
    pack.bilag = [texts["bilag"], FORMULA] if hostile else [texts["bilag"]]
    return pack


__all__ = ["FORMULA", "PLOTLY_LINK", "SCRIPT", "Change", "ChangeKind", "make_pack", "pack_project"]
