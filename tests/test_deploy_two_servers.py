"""Two app servers behind one PostgreSQL: one user logs in on one and goes on on the other, and
uploads a sheet on one that the other previews and applies (nothing kept on either server)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from portfolio.imports.uploads import PendingUpload
from tests import importer_fixtures as fx
from tests.conftest import _empty_all_tables
from tests.live_server import hidden, server_env
from tests.test_deploy_config import cli, deployed

pytestmark = pytest.mark.postgres

EMAIL = "ida.import@kommune.example"
PASSWORD = "To-servere-en-bruger"
NEW = fx.project(case_number="00.01.00-P99-1-99", name="Projekt på to servere", status="Grøn")


def _sheet(folder: Path, *projects: dict[str, object]) -> Path:
    path = folder / "portefolje.xlsx"
    path.write_bytes(fx.portfolio(*projects))
    return path


def _projects(url: str) -> dict[str, str]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT name, status FROM project").all()
            return {str(name): str(status) for name, status in rows}
    finally:
        engine.dispose()


def _pending(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(PendingUpload)).scalar_one()
            )
    finally:
        engine.dispose()


def test_one_users_import_runs_across_two_servers_sharing_one_database(
    postgres_database: str, postgres_cleaner: sa.Engine, tmp_path: Path
) -> None:
    _empty_all_tables(postgres_cleaner)  # the session's migrated database, emptied
    url = postgres_database
    cli(
        url, "create-user", EMAIL, "--name", "Ida Import", "--role", "admin",
        "--password-stdin", stdin=f"{PASSWORD}\n",
    )  # fmt: skip
    cli(url, "import", str(_sheet(tmp_path, fx.project())))  # one project there already
    before = _projects(url)
    # The same PORTFOLIO_SECRET_KEY for both, and nothing else shared but the database.
    with deployed(server_env(url), count=2) as [a, b]:
        user = requests.Session()  # one browser: its cookies go to both
        page = user.get(f"{a.base}/login", timeout=30)
        login = user.post(
            f"{a.base}/login",
            data={
                "csrf_token": hidden(page.text, "csrf_token"),
                "email": EMAIL,
                "password": PASSWORD,
            },
            allow_redirects=False,
            timeout=30,
        )
        assert login.status_code == 302, login.text[:2000]

        # Logged in on A, and B knows it (one key, sessions in the cookie).
        on_b = user.get(f"{b.base}/import/", allow_redirects=False, timeout=30)
        assert on_b.status_code == 200, on_b.headers.get("Location")
        token = hidden(on_b.text, "csrf_token")  # B's form token, sent to A

        sent = user.post(
            f"{a.base}/import/",
            data={"csrf_token": token},
            files={"file": ("portefolje.xlsx", fx.portfolio(NEW))},
            allow_redirects=False,
            timeout=60,
        )
        assert sent.status_code == 302, sent.text[:2000]
        preview_path = sent.headers["Location"].removeprefix(a.base)
        assert re.fullmatch(r"/import/[A-Za-z0-9_-]{20,64}", preview_path)
        assert _pending(url) == 1  # waiting in the database, not on A

        preview = user.get(f"{b.base}{preview_path}", timeout=60)  # previewed on B
        assert preview.status_code == 200
        assert "Projekt på to servere" in preview.text and "Godkend og importér" in preview.text
        applied = user.post(
            f"{b.base}{preview_path}/anvend",
            data={
                "csrf_token": hidden(preview.text, "csrf_token"),
                "fingerprint": hidden(preview.text, "fingerprint"),
            },
            timeout=60,
        )  # applied on B, the result page followed wherever it leads
        assert applied.status_code == 200
        assert "Importen er gennemført." in applied.text
        assert user.get(f"{a.base}{preview_path}", timeout=30).status_code == 404  # used up

    after = _projects(url)
    assert before == {"Bilagsapp": "yellow"}
    assert after == {"Bilagsapp": "yellow", "Projekt på to servere": "green"}
    assert _pending(url) == 0
