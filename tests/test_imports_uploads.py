"""Uploads waiting for apply: private to their uploader, in the database (never on the app
server's disk), and always cleaned up."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlmodel import Session

from portfolio.domain import Role
from portfolio.imports import uploads
from portfolio.imports.uploads import PendingUpload
from portfolio.projects.models import Project
from portfolio.users.models import User
from tests import importer_fixtures as fx
from tests.conftest import count_rows, csrf_token, login, snapshot

FINGERPRINT_RE = re.compile(r'name="fingerprint" value="([0-9a-f]+)"')


def _upload(client: FlaskClient, data: bytes, name: str = "portefolje.xlsx"):
    return client.post(
        "/import/",
        data={"csrf_token": csrf_token(client, "/import/"), "file": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _uploaded(client: FlaskClient, data: bytes | None = None) -> str:
    """Uploads a usable workbook; the preview's URL."""
    response = _upload(client, data or fx.portfolio(fx.project()))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return str(response.headers["Location"])


def _files(app: Flask) -> list[str]:
    """The tokens of the uploads waiting (each one row: the bytes and the choices)."""
    table = PendingUpload.__table__
    with app.extensions["portfolio_db"].connect() as conn:
        return list(conn.execute(sa.select(table.c.token).order_by(table.c.id)).scalars())


def _second_admin(app: Flask, make_user: Callable[..., User]) -> FlaskClient:
    other = app.test_client()
    login(other, make_user(role=Role.admin, name="Bo Backup", email="bo.it@kommune.example").email)
    return other


def _two_sheets() -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Portefølje"
    ws.append(fx.HEADERS)
    ws.append(fx.row(**fx.project()))
    notes = wb.create_sheet("Noter")
    notes.append(["Bare noter til mødet"])
    return fx.save(wb)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The upload store's clock, moved forward by the test; each reading ticks one second, so
    uploads made one after the other have a clear order."""
    now = [time.time()]

    def tick() -> float:
        now[0] += 1
        return now[0]

    monkeypatch.setattr(uploads, "clock", tick)
    return now


def test_another_admin_gets_404_for_my_upload_and_changes_nothing(
    app: Flask, client: FlaskClient, session: Session, make_user: Callable[..., User]
) -> None:
    preview_url = _uploaded(client, _two_sheets())
    fingerprint = FINGERPRINT_RE.search(client.get(preview_url).get_data(as_text=True))
    assert fingerprint is not None
    other = _second_admin(app, make_user)
    before = snapshot(session)
    token = csrf_token(other, "/import/")

    assert other.get(preview_url).status_code == 404
    options = other.post(
        f"{preview_url}/indstillinger", data={"csrf_token": token, "sheet": "Noter"}
    )
    assert options.status_code == 404
    applied = other.post(
        f"{preview_url}/anvend", data={"csrf_token": token, "fingerprint": fingerprint.group(1)}
    )
    assert applied.status_code == 404
    assert "Siden findes ikke" in applied.get_data(as_text=True)

    assert snapshot(session) == before
    assert count_rows(session, Project) == 0
    # the uploader's upload is untouched: still there, still on the sheet they had
    html = client.get(preview_url).get_data(as_text=True)
    assert "Bilagsapp" in html and "rækker i arket “Portefølje”" in html


def test_an_upload_waits_in_the_database_not_on_the_servers_disk(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    data = _two_sheets()
    preview_url = _uploaded(client, data)
    client.post(
        f"{preview_url}/indstillinger",
        data={"csrf_token": csrf_token(client, preview_url), "sheet": "Portefølje"},
    )
    row = session.exec(sa.select(PendingUpload)).scalars().one()  # type: ignore[call-overload]
    assert preview_url.endswith(row.token) and row.kind == "uploads"
    assert bytes(row.data) == data and row.size == len(data) and row.filename == "portefolje.xlsx"
    assert '"sheet": "Portefølje"' in row.settings  # the choice is stored with it
    assert not (Path(app.instance_path) / "uploads").exists()


def test_a_refused_upload_is_answered_at_once_and_never_stored(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    before = snapshot(session)
    response = _upload(client, b"Sagsnr.;Projektnavn\n1;Bilagsapp\n", "ark.xlsx")
    assert response.status_code == 422  # not a redirect to a preview that fails later
    html = response.get_data(as_text=True)
    assert "Filen kan ikke importeres" in html and "CSV" in html
    assert _files(app) == []
    assert snapshot(session) == before


def test_an_applied_upload_leaves_no_file(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    preview_url = _uploaded(client)
    html = client.get(preview_url).get_data(as_text=True)
    fingerprint = FINGERPRINT_RE.search(html)
    assert fingerprint is not None
    done = client.post(
        f"{preview_url}/anvend",
        data={"csrf_token": csrf_token(client, preview_url), "fingerprint": fingerprint.group(1)},
        follow_redirects=True,
    )
    assert "Importen er gennemført." in done.get_data(as_text=True)
    assert count_rows(session, Project) == 1
    assert _files(app) == []


def test_an_upload_refused_at_apply_is_removed(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    preview_url = _uploaded(client, fx.portfolio(fx.project(status="Lilla")))
    html = client.get(preview_url).get_data(as_text=True)
    assert "Lilla" in html and "Godkend og importér" not in html
    fingerprint = FINGERPRINT_RE.search(html)
    assert fingerprint is not None
    before = snapshot(session)
    response = client.post(
        f"{preview_url}/anvend",
        data={"csrf_token": csrf_token(client, preview_url), "fingerprint": fingerprint.group(1)},
        follow_redirects=True,
    )
    assert "ret dem i arket, og prøv igen" in response.get_data(as_text=True)
    assert snapshot(session) == before
    assert _files(app) == []
    assert client.get(preview_url).status_code == 404


def test_picking_a_sheet_that_cannot_be_read_keeps_the_upload(
    app: Flask, client: FlaskClient
) -> None:
    preview_url = _uploaded(client, _two_sheets())
    client.post(
        f"{preview_url}/indstillinger",
        data={"csrf_token": csrf_token(client, preview_url), "sheet": "Noter"},
    )
    failed = client.get(preview_url)
    assert failed.status_code == 422
    assert "ingen kolonne med projektnavn" in failed.get_data(as_text=True)
    assert len(_files(app)) == 1
    client.post(
        f"{preview_url}/indstillinger",
        data={"csrf_token": csrf_token(client, "/import/"), "sheet": "Portefølje"},
    )
    html = client.get(preview_url).get_data(as_text=True)
    assert "Bilagsapp" in html and "Godkend og importér" in html


def test_an_abandoned_upload_is_removed(
    app: Flask, client: FlaskClient, clock: list[float]
) -> None:
    max_age = int(app.config["UPLOAD_MAX_AGE_SECONDS"])
    assert max_age <= 2 * 3600  # abandoned uploads go within hours, not the next day
    first = _uploaded(client)
    clock[0] += max_age // 2
    second = _uploaded(client)  # every save prunes; the first is not old enough yet
    assert client.get(first).status_code == 200
    assert len(_files(app)) == 2

    clock[0] += max_age // 2 + 10
    third = _uploaded(client)
    assert len(_files(app)) == 2  # the first is gone from the database
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200 and client.get(third).status_code == 200

    # one that is opened too late is gone too, even if nobody uploads again
    clock[0] += max_age + 10
    assert client.get(third).status_code == 404


def test_each_user_keeps_only_a_few_uploads_waiting(
    app: Flask, client: FlaskClient, make_user: Callable[..., User], clock: list[float]
) -> None:
    cap = int(app.config["UPLOAD_MAX_PENDING"])
    other = _second_admin(app, make_user)
    others_upload = _uploaded(other)
    mine = [_uploaded(client) for _ in range(cap + 3)]

    assert len(_files(app)) == cap + 1  # my newest `cap`, and the other admin's one
    for url in mine[:3]:
        assert client.get(url).status_code == 404
    for url in mine[3:]:
        assert client.get(url).status_code == 200
    assert other.get(others_upload).status_code == 200  # my uploads never push out theirs


def test_the_cap_and_the_age_follow_the_settings(
    app: Flask, client: FlaskClient, clock: list[float]
) -> None:
    app.config["UPLOAD_MAX_PENDING"] = 2
    app.config["UPLOAD_MAX_AGE_SECONDS"] = 60
    urls = [_uploaded(client) for _ in range(3)]
    assert [client.get(url).status_code for url in urls] == [404, 200, 200]
    clock[0] += 61
    assert [client.get(url).status_code for url in urls[1:]] == [404, 404]
    assert _files(app) == []


def test_an_upload_whose_choices_cannot_be_read_is_nobodys(
    app: Flask, client: FlaskClient, clock: list[float]
) -> None:
    """A row whose stored choices are broken opens for no one, and is pruned when it is old."""
    preview_url = _uploaded(client)
    table = PendingUpload.__table__
    with app.extensions["portfolio_db"].begin() as conn:
        conn.execute(sa.update(table).values(settings='{"owner": 1}'))
    assert client.get(preview_url).status_code == 404
    clock[0] += int(app.config["UPLOAD_MAX_AGE_SECONDS"]) + 10
    _uploaded(client)
    assert len(_files(app)) == 1  # the broken one went with the next save
