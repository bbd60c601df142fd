"""Importing other organisations' sheets (issue 13): defaults for new projects, value mappings,
rates and blanks, profiles remembered per layout, and `--json` for scripts; CLI and web."""

from __future__ import annotations

import json
import re
from io import BytesIO
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient, FlaskCliRunner
from sqlmodel import Session, select

from portfolio.imports.models import ImportProfile, ImportRun
from portfolio.projects.models import Project
from tests.conftest import count_rows, csrf_token, snapshot
from tests.real_sheets import plain_sheet

# An English-headed sheet with an explanation after a line break, and no scope, kind or phase.
HEADERS = [
    "Project Name",
    "Reference",
    "RAG Status",
    "Start Date\n(as approved)",
    "Whole Life Cost (£m)",
]
ROWS: list[list[Any]] = [
    ["Case management", "85.13.00-P20-7-24", "On Track", "01-03-2024", 2],
    ["Payroll upgrade", "85.13.00-P20-8-24", "Amber/Green", "15-09-2024", "NA"],
    ["Library kiosk", "85.13.00-P20-9-24", "On Track", None, 0.5],
    ["Parking sensors", None, "Not Started", "01-01-2025", 1],
]
DEFAULTS = ["scope=department", "kind=operational", "phase=implementation"]
CHOICES = [
    *(x for d in DEFAULTS for x in ("--default", d)),
    *("--value", "status:On Track=green", "--value", "status:Amber/Green=yellow"),
    *("--value", "status:Not Started="),
    *("--rate", "GBP=8,65", "--blank-unparsable", "budget_dkk"),
]


def _sheet(tmp_path: Path, rows: list[list[Any]] = ROWS, name: str = "master.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(plain_sheet([HEADERS, *rows]))
    return path


def _by_name(session: Session) -> dict[str, Project]:
    session.commit()
    session.expire_all()
    return {p.name: p for p in session.exec(select(Project)).all()}


# --- CLI -----------------------------------------------------------------------------------


def test_cli_imports_an_english_sheet_with_defaults_and_value_mappings(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    result = runner.invoke(args=["import", str(_sheet(tmp_path)), "--json", *CHOICES])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sheet"] == "Portefølje" and data["header_row"] == 1
    placed = {p["column"]: (p["field"], p["how"]) for p in data["placements"]}
    assert placed["C"] == ("status", "matched") and placed["E"] == ("budget_dkk", "matched")
    assert data["defaults"] == {
        "scope": "department",
        "kind": "operational",
        "phase": "implementation",
    }
    assert [w["cell"] for w in data["warnings"]] == ["E3"]  # "NA" left blank, and said
    projects = _by_name(session)
    assert set(projects) == {r[0] for r in ROWS}
    case = projects["Case management"]
    assert (case.scope, case.kind, case.phase) == ("department", "operational", "implementation")
    assert case.status == "green" and projects["Payroll upgrade"].status == "yellow"
    assert projects["Parking sensors"].status is None  # "Not Started" mapped to blank
    assert case.budget_dkk == 17_300_000  # £2m at 8,65
    assert projects["Payroll upgrade"].budget_dkk is None
    run = session.exec(select(ImportRun)).one()
    recorded = json.loads(run.choices)
    assert recorded["defaults"]["phase"] == "implementation"
    assert recorded["values"]["status"]["On Track"] == "green" and recorded["rates"] == {
        "GBP": "8.65"
    }


def test_defaults_touch_new_projects_only(
    runner: FlaskCliRunner, session: Session, tmp_path: Path, make_project: Any
) -> None:
    make_project(
        name="Payroll upgrade",
        case_number="85.13.00-P20-8-24",
        scope="municipal",
        kind="strategic",
        phase="analysis",
    )
    result = runner.invoke(args=["import", str(_sheet(tmp_path)), *CHOICES])
    assert result.exit_code == 0, result.output
    assert "standard: scope, kind, phase" in result.stdout
    projects = _by_name(session)
    kept = projects["Payroll upgrade"]
    assert (kept.scope, kept.kind, kept.phase) == ("municipal", "strategic", "analysis")
    assert kept.status == "yellow"  # the sheet's own value still applies
    assert projects["Library kiosk"].scope == "department"


def test_without_defaults_the_rows_are_problems_and_unknown_values_are_counted(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    result = runner.invoke(args=["import", str(_sheet(tmp_path)), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert "intet er importeret" in data["error"].lower()
    assert data["unknown_values"]["status"] == {"On Track": 2, "Amber/Green": 1, "Not Started": 1}
    assert any("projekttype" in p["message"] for p in data["problems"])
    text = runner.invoke(args=["import", str(_sheet(tmp_path))])
    assert "“On Track” (2 rækker)" in text.stdout and "status:On Track=værdi" in text.stdout
    assert count_rows(session, Project) == 0


def test_save_profile_then_profile_imports_the_next_month_with_no_options(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    first = runner.invoke(
        args=["import", str(_sheet(tmp_path)), *CHOICES, "--save-profile", "SharePoint-arket"]
    )
    assert first.exit_code == 0, first.output
    assert "gemt som profilen “SharePoint-arket”" in first.stdout
    profile = session.exec(select(ImportProfile)).one()
    assert profile.name == "SharePoint-arket" and "Project Name" in profile.headers
    later = [*ROWS, ["Waste app", None, "Amber/Green", "01-06-2025", 3]]
    hint = runner.invoke(args=["import", str(_sheet(tmp_path, later)), "--dry-run"])
    assert "--profile" in hint.stderr and "SharePoint-arket" in hint.stderr
    result = runner.invoke(
        args=["import", str(_sheet(tmp_path, later)), "--profile", "SharePoint-arket", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["counts"]["new"] == 1 and data["profile"] == "SharePoint-arket"
    waste = _by_name(session)["Waste app"]
    assert (waste.scope, waste.status, waste.budget_dkk) == ("department", "yellow", 25_950_000)
    runs = session.exec(select(ImportRun).order_by(ImportRun.id)).all()  # type: ignore[arg-type]
    assert [r.profile for r in runs] == ["SharePoint-arket", "SharePoint-arket"]
    unknown = runner.invoke(args=["import", str(_sheet(tmp_path)), "--profile", "Nej", "--json"])
    assert unknown.exit_code == 1 and "SharePoint-arket" in json.loads(unknown.stdout)["error"]


def test_json_on_a_refused_file_is_an_error_object(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    before = snapshot(session)
    fake = tmp_path / "projekter.xlsx"
    fake.write_text("Sagsnr.;Projektnavn\n1;Bilagsapp\n", encoding="utf-8")
    result = runner.invoke(args=["import", str(fake), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == {"error", "problems"} and data["problems"] == []
    assert data["error"] in result.stderr
    missing = runner.invoke(args=["import", str(tmp_path / "findes-ikke.xlsx"), "--json"])
    assert missing.exit_code == 1 and "findes ikke" in json.loads(missing.stdout)["error"]
    assert snapshot(session) == before


def test_bad_choices_are_clear_danish_errors_and_change_nothing(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    runner.invoke(args=["import", str(_sheet(tmp_path)), *CHOICES])
    before = snapshot(session)
    path = str(_sheet(tmp_path))
    bad = {
        "--default": ["scope=everywhere", "colour=blue"],
        "--value": ["status:On Track=purple", "On Track=green", "colour:x=y"],
        "--rate": ["GBP=abc", "GBP=-2", "pounds=8"],
        "--blank-unparsable": ["name"],
    }
    for option, items in bad.items():
        for item in items:
            result = runner.invoke(args=["import", path, option, item])
            assert result.exit_code == 2, (option, item, result.output)
            assert option in result.stderr and "Intet er importeret" in result.stderr
            assert "Traceback" not in result.output
    scripted = runner.invoke(args=["import", path, "--json", "--rate", "GBP=abc"])
    assert "GBP=abc" in json.loads(scripted.stdout)["error"]
    assert snapshot(session) == before


# --- web -----------------------------------------------------------------------------------


def _upload(client: FlaskClient, data: bytes, name: str = "master.xlsx") -> str:
    token = csrf_token(client, "/import/")
    response = client.post(
        "/import/",
        data={"csrf_token": token, "file": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return str(response.headers["Location"])


def _form_token(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _apply(client: FlaskClient, url: str, html: str, **extra: str) -> str:
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html)
    assert fingerprint is not None, html
    done = client.post(
        f"{url}/anvend",
        data={"csrf_token": _form_token(html), "fingerprint": fingerprint.group(1), **extra},
        follow_redirects=True,
    )
    return done.get_data(as_text=True)


def test_web_maps_values_sets_defaults_and_the_next_upload_uses_the_profile(
    client: FlaskClient, session: Session
) -> None:
    data = plain_sheet([HEADERS, *ROWS])
    url = _upload(client, data)
    html = client.get(url).get_data(as_text=True)
    assert "Værdier, som Portefølje ikke kender" in html and "On Track" in html
    assert re.search(r"On Track</label></th>\s*<td class=\"num\">2</td>", html)
    assert "Forslag: Gul" in html  # Amber/Green, a five-step rating, mapped explicitly
    assert "overskrifterne i række 1" in html
    token = _form_token(html)
    fields = {
        m.group(2): m.group(1) for m in re.finditer(r'name="(value-\d+)-raw" value="([^"]+)"', html)
    }
    answers = {"On Track": "green", "Amber/Green": "yellow", "Not Started": ""}
    form = {"csrf_token": token}
    for raw, key in fields.items():
        form[key] = answers[raw]
        form[f"{key}-field"] = "status"
        form[f"{key}-raw"] = raw
    assert client.post(f"{url}/vaerdier", data=form).status_code == 302
    options = {
        "csrf_token": token,
        "default:scope": "department",
        "default:kind": "operational",
        "default:phase": "implementation",
        "rates": "GBP=8,65",
        "blanks_shown": "1",
        "blank:budget_dkk": "1",
    }
    assert client.post(f"{url}/indstillinger", data=options).status_code == 302
    html = client.get(url).get_data(as_text=True)
    assert "Standardværdier for nye projekter" in html and "(standard)" in html
    assert "Værdier, som Portefølje ikke kender" not in html
    assert "Advarsler" in html and "E3" in html
    assert count_rows(session, Project) == 0  # the preview wrote nothing
    done = _apply(client, url, html, save_profile="1", profile_name="Månedsarket")
    assert "Importen er gennemført." in done and "Gennemførelse" in done
    case = _by_name(session)["Case management"]
    assert (case.phase, case.status, case.budget_dkk) == ("implementation", "green", 17_300_000)

    # Next month: the same layout is recognised, and applied without asking again.
    later = [*ROWS, ["Waste app", None, "On Track", "01-06-2025", 1]]
    url = _upload(client, plain_sheet([HEADERS, *later]), name="master-juni.xlsx")
    html = client.get(url).get_data(as_text=True)
    assert "profilen “Månedsarket”" in html and "Fortryd" in html
    assert "Værdier, som Portefølje ikke kender" not in html
    assert "Importen er gennemført." in _apply(client, url, html)
    waste = _by_name(session)["Waste app"]
    assert (waste.scope, waste.kind, waste.status) == ("department", "operational", "green")
    assert session.exec(select(ImportProfile)).one().name == "Månedsarket"

    # Undo: the sheet as read without the profile's choices.
    url = _upload(client, data)
    html = client.get(url).get_data(as_text=True)
    client.post(f"{url}/uden-profil", data={"csrf_token": _form_token(html)})
    html = client.get(url).get_data(as_text=True)
    assert "Værdier, som Portefølje ikke kender" in html and "Fortryd" not in html


def test_admins_list_and_delete_profiles(
    client: FlaskClient, runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    result = runner.invoke(
        args=["import", str(_sheet(tmp_path)), *CHOICES, "--save-profile", "UK master"]
    )
    assert result.exit_code == 0, result.output
    html = client.get("/import/profiler").get_data(as_text=True)
    assert "UK master" in html and "Project Name" in html and "GBP = 8.65 kr." in html
    profile = session.exec(select(ImportProfile)).one()
    deleted = client.post(
        f"/import/profiler/{profile.id}/slet",
        data={"csrf_token": _form_token(html), "confirmed": "ja"},
        follow_redirects=True,
    )
    assert "Importprofilen er slettet." in deleted.get_data(as_text=True)
    assert count_rows(session, ImportProfile) == 0
