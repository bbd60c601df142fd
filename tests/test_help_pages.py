"""Help where it is needed (issue 16, item 7): a help page per area for every role, the role
table as ROLE_PERMISSIONS has it, the sheet's columns as the importer reads them, links from
the header and the pages, a 403 page that names the role and the alternative, and the login
page's contact."""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from importers.columns import SHEET_COLUMNS
from portfolio import create_app
from portfolio.config import load_config
from portfolio.domain import LABELS, Role, short_label
from portfolio.help.topics import PERMISSION_TEXTS, TOPICS
from portfolio.permissions import OWN_PROJECTS_ONLY, ROLE_PERMISSIONS, Permission
from portfolio.projects.models import Project
from portfolio.users.models import User
from tests.conftest import TEST_HASH_METHOD, login

OWNER = "Peter Damgaard"  # make_project's default process owner


def _text(html: str) -> str:
    """The page as a user reads it: no tags, entities decoded, spaces collapsed."""
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def _main(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def _client(app: Flask, make_user: Callable[..., User], role: Role) -> FlaskClient:
    user = make_user(role=role, person=OWNER if role == Role.owner else None)
    client = app.test_client()
    login(client, user.email)
    return client


def test_every_permission_has_words_in_the_help() -> None:
    assert set(PERMISSION_TEXTS) == set(Permission)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_each_help_page_renders_for_each_role(
    app: Flask, make_user: Callable[..., User], role: Role
) -> None:
    client = _client(app, make_user, role)
    index = client.get("/hjaelp/")
    assert index.status_code == 200
    index_text = _text(_main(index.get_data(as_text=True)))
    assert f"Du er logget ind som {LABELS[role]}." in index_text
    for topic in TOPICS:
        assert f'href="/hjaelp/{topic.slug}"' in index.get_data(as_text=True)
        response = client.get(f"/hjaelp/{topic.slug}")
        assert response.status_code == 200, topic.slug
        main = _main(response.get_data(as_text=True))
        assert f"<h1>{topic.title}</h1>" in main, topic.slug
        assert f"Din rolle: {LABELS[role]}" in _text(main), topic.slug
        # What the role may do here and what others do, straight from the matrix.
        box = re.search(r'<section class="panel help-role".*?</section>', main, re.S)
        assert box, topic.slug
        may, _sep, others = _text(box.group(0)).partition("Det klarer andre roller:")
        for permission in topic.permissions:
            said = str(PERMISSION_TEXTS[permission])
            where = may if permission in ROLE_PERMISSIONS[role] else others
            assert said in where, (topic.slug, permission)
    assert client.get("/hjaelp/ukendt").status_code == 404


def _role_table(html: str) -> tuple[list[str], dict[str, list[str]]]:
    table = re.search(r'<table class="help-role-table">(.*?)</table>', html, re.S)
    assert table, "no role table"
    head = [_text(h) for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table.group(1), re.S)]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", table.group(1).split("<tbody>", 1)[1], re.S):
        name = _text(re.search(r'<th scope="row">(.*?)</th>', row, re.S).group(1))  # type: ignore[union-attr]
        rows[name] = [_text(c) for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    return head, rows


def test_the_role_table_matches_role_permissions(
    app: Flask, make_user: Callable[..., User]
) -> None:
    client = _client(app, make_user, Role.reader)
    head, rows = _role_table(client.get("/hjaelp/roller").get_data(as_text=True))
    roles = list(Role)
    assert head == ["Handling"] + [short_label(r) for r in roles]
    assert list(rows) == [str(PERMISSION_TEXTS[p]) for p in Permission]
    for permission in Permission:
        cells = rows[str(PERMISSION_TEXTS[permission])]
        for role, cell in zip(roles, cells, strict=True):
            if permission not in ROLE_PERMISSIONS[role]:
                assert cell == "Nej", (role, permission)
            elif role == Role.owner and permission in OWN_PROJECTS_ONLY:
                assert cell == "Egne projekter", (role, permission)
            elif role == Role.owner and cell != "Ja":
                assert cell in {"Egen afdeling", "Egne gevinster"}, (role, permission)
            else:
                assert cell == "Ja", (role, permission)


def test_the_role_table_follows_a_changed_matrix(
    app: Flask, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No copy of the matrix in the help: change ROLE_PERMISSIONS and the table follows."""
    changed = {
        **ROLE_PERMISSIONS,
        Role.reader: ROLE_PERMISSIONS[Role.reader] | {Permission.view_audit},
    }
    monkeypatch.setattr("portfolio.help.topics.ROLE_PERMISSIONS", changed)
    client = _client(app, make_user, Role.editor)
    _head, rows = _role_table(client.get("/hjaelp/roller").get_data(as_text=True))
    assert rows[str(PERMISSION_TEXTS[Permission.view_audit])][-1] == "Ja"


def test_the_import_help_lists_the_sheets_columns(
    app: Flask, make_user: Callable[..., User]
) -> None:
    client = _client(app, make_user, Role.admin)
    html = client.get("/hjaelp/import").get_data(as_text=True)
    table = re.search(r'<table class="help-columns">(.*?)</table>', html, re.S)
    assert table
    headers = [
        _text(h) for h in re.findall(r'<th scope="row" lang="da">(.*?)</th>', table.group(1), re.S)
    ]
    assert headers == [header for _field, header in SHEET_COLUMNS]
    status_row = re.search(r'<th scope="row" lang="da">Status</th>(.*?)</tr>', table.group(1), re.S)
    assert status_row and "Grøn, Gul, Rød" in _text(status_row.group(1))
    # the admin, who may import, is sent on to the import; the import page links back here
    assert 'href="/import/"' in _main(html)
    assert 'href="/hjaelp/import"' in _main(client.get("/import/").get_data(as_text=True))


def test_the_header_and_the_pages_link_to_help(
    app: Flask, make_user: Callable[..., User], anonymous: FlaskClient
) -> None:
    for role in Role:
        client = _client(app, make_user, role)
        html = client.get("/projekter/").get_data(as_text=True)
        nav = html.split('<nav aria-label="Hovedmenu">', 1)[1].split("</nav>", 1)[0]
        assert re.search(r'<a href="/hjaelp/"[^>]*>Hjælp\s*</a>', nav), role
        current = client.get("/hjaelp/").get_data(as_text=True)
        assert '<a href="/hjaelp/" aria-current="page">' in current
    admin = _client(app, make_user, Role.admin)
    for page, help_page in (
        ("/import/", "/hjaelp/import"),
        ("/moeder/", "/hjaelp/moeder"),
        ("/udrulning/", "/hjaelp/udrulning"),
        ("/oekonomi/", "/hjaelp/oekonomi"),
        ("/brugere/", "/hjaelp/roller"),
        ("/projekter/mine", "/hjaelp/projekter"),
    ):
        response = admin.get(page)
        assert response.status_code == 200, page
        assert f'href="{help_page}"' in _main(response.get_data(as_text=True)), page
    # Before login: no menu, but the login page has its own help, open to everyone.
    login_page = anonymous.get("/login").get_data(as_text=True)
    assert 'href="/hjaelp/login"' in login_page
    assert anonymous.get("/hjaelp/login").status_code == 200
    assert anonymous.get("/hjaelp/").status_code == 302  # the rest needs a login


def test_the_403_page_names_the_role_and_offers_the_alternative(
    app: Flask, make_user: Callable[..., User], make_project: Callable[..., Project]
) -> None:
    own = make_project(name="Bilagsapp <v2>")
    other = make_project(process_owner="Lise Holm")
    owner = _client(app, make_user, Role.owner)

    refused = owner.get(f"/projekter/{own.id}/rediger")
    assert refused.status_code == 403
    main = _main(refused.get_data(as_text=True))
    text = _text(main)
    assert "Du er logget ind som Procesejer." in text
    assert (
        "Som procesejer kan du opdatere status, fase og statuskommentar på dette projekt." in text
    )
    link = re.search(rf'<a href="/projekter/{own.id}#status-heading">(.*?)</a>', main)
    assert link and _text(link.group(1)) == "Opdatér status på “Bilagsapp <v2>” her"
    assert "Bilagsapp &lt;v2&gt;" in link.group(1)  # the name is escaped
    assert 'href="/hjaelp/roller"' in main
    # the status form is where the link points, and the owner may use it
    assert 'id="status-heading"' in owner.get(f"/projekter/{own.id}").get_data(as_text=True)

    # Another chief's project: nothing to do there, so the way to their own projects.
    other_main = _main(owner.get(f"/projekter/{other.id}/rediger").get_data(as_text=True))
    assert "Som procesejer kan du opdatere status på dine egne projekter" in _text(other_main)
    assert 'href="/projekter/mine"' in other_main and "#status-heading" not in other_main

    reader = _client(app, make_user, Role.reader)
    reader_main = _main(reader.get("/import/").get_data(as_text=True))
    assert "Du er logget ind som Læser." in _text(reader_main)
    assert 'href="/overblik/"' in reader_main and 'href="/hjaelp/roller"' in reader_main


def _contact_app(database_url: str, contact: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
            "LOGIN_CONTACT": contact,
        }
    )


def test_the_login_page_names_whom_to_contact(app: Flask, database_url: str) -> None:
    default = app.test_client().get("/login").get_data(as_text=True)
    assert "Har du glemt din adgangskode, så kontakt IT-afdelingen." in _text(_main(default))

    configured = _contact_app(database_url, "Servicedesk <b>hurtigt</b>, it-hjaelp@kommune.example")
    try:
        client = configured.test_client()
        for url in ("/login", "/hjaelp/login"):
            html = _main(client.get(url).get_data(as_text=True))
            assert "Servicedesk &lt;b&gt;hurtigt&lt;/b&gt;," in html, url
            assert "<b>" not in html, url
            assert (
                '<a href="mailto:it-hjaelp@kommune.example">it-hjaelp@kommune.example</a>' in html
            ), url
    finally:
        configured.extensions["portfolio_db"].dispose()


def test_the_login_contact_is_set_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path
) -> None:
    monkeypatch.setenv("PORTFOLIO_LOGIN_CONTACT", "Digitaliseringsteamet, tlf. 1234")
    monkeypatch.setenv("PORTFOLIO_SECRET_KEY", "env-secret")
    flask_app = Flask("contact", instance_path=str(tmp_path))
    load_config(flask_app, None)
    assert flask_app.config["LOGIN_CONTACT"] == "Digitaliseringsteamet, tlf. 1234"
