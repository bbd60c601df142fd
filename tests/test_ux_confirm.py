"""Nothing dangerous happens in one click (issue 16, item 5): deleting a meeting draft or an
import profile, and archiving a project, ask on a page of their own first. A POST without the
confirmation (an old one-click button) lands on that page and changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from flask.testing import FlaskClient
from sqlmodel import Session

from portfolio.imports.models import ImportProfile
from portfolio.meetings import services as meeting_svc
from portfolio.meetings.models import Meeting
from portfolio.meetings.pack import PackMode
from portfolio.projects.models import Project
from tests.conftest import count_rows, csrf_token, snapshot, version_on

DAY = "2026-12-08"
PAGE = f"/moeder/{DAY}"


def _draft(session: Session) -> Meeting:
    meeting = meeting_svc.create_meeting(
        session=session, meeting_date=date(2026, 12, 8), mode=PackMode.complete, actor="test"
    )
    session.commit()
    return meeting


def _confirm_form(html: str) -> dict[str, str]:
    """The hidden fields of the confirmation page's form, as a browser would send them."""
    form = html[html.index('<section class="panel confirm"') :]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)"[^>]*value="([^"]*)"', form)) | {
        "csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    }


# --- meeting drafts --------------------------------------------------------------------------


def test_the_meeting_page_links_to_a_confirmation_and_publishing_comes_after_the_pack(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    _draft(session)
    html = client.get(PAGE).get_data(as_text=True)
    assert f'<a class="button button-secondary" href="{PAGE}/slet">Slet kladden</a>' in html
    assert f'action="{PAGE}/slet"' not in html  # no one-click form on the page
    assert html.index('class="pack"') < html.index("pack-publish")


def test_deleting_a_draft_asks_first_and_a_post_without_confirmation_changes_nothing(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    _draft(session)
    page = client.get(f"{PAGE}/slet")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Slet kladden “Chefforum" in html
    assert "Det kan ikke gøres om." in html and "08-12-2026" in html
    assert "Ja, slet kladden" in html and "Annullér" in html
    assert f'href="{PAGE}"' in html  # Annullér goes back to the meeting
    before = snapshot(session)
    old_click = client.post(f"{PAGE}/slet", data={"csrf_token": csrf_token(client, PAGE)})
    assert old_click.status_code == 302 and old_click.headers["Location"].endswith("/slet")
    assert snapshot(session) == before
    done = client.post(f"{PAGE}/slet", data=_confirm_form(html), follow_redirects=True)
    assert "Mødekladden er slettet." in done.get_data(as_text=True)
    assert count_rows(session, Meeting) == 0


def test_a_published_pack_offers_no_delete_page(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    make_project()
    meeting = _draft(session)
    meeting_svc.publish_meeting(session=session, meeting=meeting, actor="test")
    session.commit()
    assert "Slet kladden" not in client.get(PAGE).get_data(as_text=True)
    before = snapshot(session)
    page = client.get(f"{PAGE}/slet", follow_redirects=True)
    assert "Et offentliggjort møde kan ikke slettes." in page.get_data(as_text=True)
    assert snapshot(session) == before


# --- import profiles -------------------------------------------------------------------------


def _profile(session: Session) -> ImportProfile:
    profile = ImportProfile(
        name="UK master", signature="x" * 64, headers="Project Name\nRAG", choices="{}",
        actor="cli:root",
    )  # fmt: skip
    session.add(profile)
    session.commit()
    session.refresh(profile)
    return profile


def test_deleting_an_import_profile_asks_first(client: FlaskClient, session: Session) -> None:
    profile = _profile(session)
    url = f"/import/profiler/{profile.id}/slet"
    listing = client.get("/import/profiler").get_data(as_text=True)
    assert f'href="{url}"' in listing and f'action="{url}"' not in listing
    html = client.get(url).get_data(as_text=True)
    assert "Slet importprofilen “UK master”" in html
    assert "skal kolonner og værdier vælges igen" in html
    assert "Ja, slet profilen" in html and "Annullér" in html
    before = snapshot(session)
    old_click = client.post(url, data={"csrf_token": csrf_token(client, "/import/profiler")})
    assert old_click.status_code == 302 and old_click.headers["Location"].endswith(url)
    assert snapshot(session) == before
    done = client.post(url, data=_confirm_form(html), follow_redirects=True)
    assert "Importprofilen er slettet." in done.get_data(as_text=True)
    assert count_rows(session, ImportProfile) == 0


def test_a_profile_that_is_gone_is_not_found(client: FlaskClient) -> None:
    assert client.get("/import/profiler/999/slet").status_code == 404


# --- archiving a project ---------------------------------------------------------------------


def test_archiving_asks_first_and_restoring_is_one_step(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project(name="Kulturkalender")
    page = f"/projekter/{project.id}"
    url = f"{page}/arkiv"
    detail = client.get(page).get_data(as_text=True)
    assert f'<a class="button button-secondary" href="{url}">Arkivér</a>' in detail
    html = client.get(url).get_data(as_text=True)
    assert "Arkivér “Kulturkalender”" in html
    assert "kan findes under “Arkiverede”" in html and "Intet slettes" in html
    assert "Ja, arkivér projektet" in html and "Annullér" in html
    before = snapshot(session)
    old_click = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, page),
            "version": version_on(client, page),
            "archive": "1",
        },
    )
    assert old_click.status_code == 302 and old_click.headers["Location"].endswith(url)
    assert snapshot(session) == before
    done = client.post(url, data=_confirm_form(html), follow_redirects=True)
    assert "Projektet er arkiveret." in done.get_data(as_text=True)
    session.commit()  # end the read transaction: see what the request wrote
    session.refresh(project)
    assert project.archived
    # Bringing it back is the undo: one button, no second page.
    detail = client.get(page).get_data(as_text=True)
    assert "Hent tilbage fra arkivet" in detail
    assert client.get(url).headers["Location"].endswith(page)
    back = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, page),
            "version": version_on(client, page),
            "archive": "0",
        },
        follow_redirects=True,
    )
    assert "Projektet er hentet tilbage fra arkivet." in back.get_data(as_text=True)
    session.commit()
    session.refresh(project)
    assert not project.archived


def test_a_confirmation_from_an_older_version_is_a_conflict(
    client: FlaskClient, session: Session, make_project: Callable[..., Project]
) -> None:
    project = make_project(name="Kulturkalender")
    url = f"/projekter/{project.id}/arkiv"
    html = client.get(url).get_data(as_text=True)
    project.status_comment = "Ændret imens"
    project.version += 1
    session.add(project)
    session.commit()
    before = snapshot(session)
    response = client.post(url, data=_confirm_form(html))
    assert response.status_code == 409
    assert snapshot(session) == before
