"""Importing in the browser: upload, mapping, preview, apply; bad files and stale previews."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlmodel import Session, select

from portfolio.imports.models import ImportRun
from portfolio.projects.models import Project
from tests.conftest import count_rows, csrf_token, snapshot

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "portefolje.xlsx"


def _upload(client: FlaskClient, data: bytes, name: str = "portefolje.xlsx"):
    token = csrf_token(client, "/import/")
    return client.post(
        "/import/",
        data={"csrf_token": token, "file": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_upload_preview_apply(client: FlaskClient, session: Session) -> None:
    response = _upload(client, SAMPLE.read_bytes())
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    html = client.get(preview_url).get_data(as_text=True)
    assert "Intet er gemt endnu" in html
    assert "nye projekter" in html and "Bilagsapp" in html
    assert count_rows(session, Project) == 0  # the preview wrote nothing
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    done = client.post(
        f"{preview_url}/anvend",
        data={"csrf_token": token, "fingerprint": fingerprint},
        follow_redirects=True,
    )
    text = done.get_data(as_text=True)
    assert "Importen er gennemført." in text
    assert count_rows(session, Project) >= 38
    assert count_rows(session, ImportRun) == 1
    # the upload is gone once applied
    assert client.get(preview_url).status_code == 404


def test_a_stale_preview_is_not_applied(client: FlaskClient, session: Session, make_project):
    project = make_project(name="Bilagsapp", case_number="85.13.00-P20-1-26", status="green")
    preview_url = _upload(client, SAMPLE.read_bytes()).headers["Location"]
    html = client.get(preview_url).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    project.status_comment = "Ændret imens"
    project.version += 1
    session.add(project)
    session.commit()
    before = snapshot(session)
    response = client.post(
        f"{preview_url}/anvend",
        data={"csrf_token": csrf_token(client, preview_url), "fingerprint": fingerprint},
        follow_redirects=True,
    )
    assert "Porteføljen er ændret, siden forhåndsvisningen blev lavet" in response.get_data(
        as_text=True
    )
    assert snapshot(session) == before


def test_a_renamed_csv_gets_a_clear_message_and_nothing_changes(
    client: FlaskClient, session: Session, make_project
) -> None:
    make_project()
    before = snapshot(session)
    response = _upload(client, b"Sagsnr.;Projektnavn\n1;Bilagsapp\n", "ark.xlsx")
    if response.status_code == 302:
        response = client.get(response.headers["Location"])
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Filen kan ikke importeres" in html and "CSV" in html
    assert "Traceback" not in html
    assert snapshot(session) == before


def test_a_file_that_is_not_xlsx_by_name_is_refused(client: FlaskClient) -> None:
    response = _upload(client, b"\xd0\xcf\x11\xe0" + b"\0" * 100, "gammelt.xls")
    assert response.status_code == 422
    assert "gem den som Excel-projektmappe" in response.get_data(as_text=True)


def test_an_upload_over_the_limit_gets_a_friendly_413(
    app, client: FlaskClient, session: Session
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 50_000
    before = snapshot(session)
    response = _upload(client, b"x" * 60_000)
    assert response.status_code == 413
    assert "Filen er for stor" in response.get_data(as_text=True)
    assert snapshot(session) == before


def test_unknown_columns_can_be_mapped_by_hand(client: FlaskClient, session: Session) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Projektnavn", "Projekttype", "Strategisk/operationelt", "Fase", "Ansvarlig chef"])
    ws.append(["Bilagsapp", "Fælles for hele kommunen", "Operationelt", "Idé", "Peter Damgaard"])
    out = BytesIO()
    wb.save(out)
    preview_url = _upload(client, out.getvalue()).headers["Location"]
    html = client.get(preview_url).get_data(as_text=True)
    assert "Ansvarlig chef" in html and 'name="map:Ansvarlig chef"' in html
    client.post(
        f"{preview_url}/indstillinger",
        data={"csrf_token": csrf_token(client, preview_url), "map:Ansvarlig chef": "process_owner"},
    )
    html = client.get(preview_url).get_data(as_text=True)
    assert 'name="map:Ansvarlig chef"' not in html
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    client.post(
        f"{preview_url}/anvend",
        data={"csrf_token": csrf_token(client, preview_url), "fingerprint": fingerprint},
    )
    session.expire_all()
    project = session.exec(select(Project)).one()
    assert project.process_owner is not None and project.process_owner.name == "Peter Damgaard"


def test_upload_tokens_cannot_walk_the_file_system(client: FlaskClient) -> None:
    for token in ("..%2F..%2Fsecret_key", "aaaa", "x" * 80):
        assert client.get(f"/import/{token}").status_code == 404


def test_export_download_follows_the_filter(client: FlaskClient, make_project) -> None:
    from openpyxl import load_workbook

    make_project(name="Rød", status="red")
    make_project(name="Grøn", status="green")
    with client.get("/projekter/eksport.xlsx?status=red") as response:
        assert response.status_code == 200
        assert "attachment" in response.headers["Content-Disposition"]
        ws = load_workbook(BytesIO(response.data)).active
    assert ws is not None
    names = [ws.cell(row=r, column=2).value for r in range(4, ws.max_row + 1)]
    assert [n for n in names if n] == ["Rød"]
