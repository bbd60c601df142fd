"""The pack's standalone HTML file: the agenda item in order, every project and change, user
text escaped everywhere (also inside the charts' JSON), and nothing fetched from the network."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask, render_template
from jinja2 import ChoiceLoader, DictLoader
from markupsafe import escape

from portfolio import create_app
from portfolio.meetings.charts import pack_charts
from portfolio.meetings.pack import PackMode, change_title, describe_change
from portfolio.meetings.pack_html import pack_context, render_pack_html
from portfolio.static_assets import VENDOR
from tests.pack_fixtures import PLOTLY_LINK, SCRIPT, make_pack

AGENDA = ["Anledning", "Sagsfremstilling", "Indstilling", "Beslutning", "Bilag"]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite", "SECRET_KEY": "t"}
    )
    with app.app_context():
        yield app


class Document(HTMLParser):
    """The parts of a page these tests look at: headings, scripts, and every URL attribute."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.headings: list[tuple[int, str]] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.html_lang: str | None = None
        self._heading: tuple[int, list[str]] | None = None
        self._script: dict[str, str | None] | None = None
        self._script_text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "html":
            self.html_lang = dict(attrs).get("lang")
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "data", "srcset") and value:
                self.urls.append((tag, name, value))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = (int(tag[1]), [])
        if tag == "script":
            self._script, self._script_text = dict(attrs), []

    def handle_endtag(self, tag: str) -> None:
        if self._heading and tag == f"h{self._heading[0]}":
            self.headings.append((self._heading[0], "".join(self._heading[1]).strip()))
            self._heading = None
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            self._heading[1].append(data)
        if self._script is not None:
            self._script_text.append(data)

    def json_blocks(self) -> dict[str, object]:
        return {
            str(attrs["id"]): json.loads(text)
            for attrs, text in self.scripts
            if attrs.get("type") == "application/json"
        }


def _render(**changes: object) -> tuple[str, Document]:
    pack = make_pack()
    if changes:
        pack = replace(pack, **changes)  # type: ignore[arg-type]
    text = render_pack_html(pack, pack_charts(pack))
    return text, Document(text)


def test_the_agenda_item_parts_come_in_the_municipalitys_order(app: Flask) -> None:
    _, doc = _render()
    assert [text for level, text in doc.headings if level == 2] == AGENDA
    start = doc.headings.index((2, "Sagsfremstilling"))
    end = doc.headings.index((2, "Indstilling"))
    inside = [text for level, text in doc.headings[start:end] if level == 3]
    assert inside == [
        "Til beslutning",
        "Til orientering",
        "Ændringer siden sidste møde",
        "Overblik",
    ]
    levels = [level for level, _ in doc.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    assert doc.html_lang == "da"


def test_every_project_for_decision_its_reasons_and_every_change_are_there(app: Flask) -> None:
    pack = make_pack()
    text = render_pack_html(pack, pack_charts(pack))
    for item in pack.for_decision:
        assert escape(item.project.name) in text
        for reason in item.reasons:
            assert escape(reason) in text
    for item in pack.for_information:
        assert escape(item.project.name) in text
    assert pack.changes
    for change in pack.changes:
        line = f"{escape(change.project_name)}</span>: {escape(describe_change(change))}"
        assert line in text, line
        assert f"<h4>{escape(change_title(change.kind))}</h4>" in text
    for project in pack.projects:  # the Bilag table
        assert escape(project.case_number or "") in text
    assert "(skredet)" in text  # Nyt ESDH-system slipped from 30-06-2027 to 30-09-2027
    assert "Offentliggjort 01-12-2026" in text
    assert "Skrives efter mødet" not in text  # the decision is written


def test_a_draft_for_a_first_meeting_says_so(app: Flask) -> None:
    text, _ = _render(
        published_at=None, beslutning="", previous_meeting_date=None, mode=PackMode.decisions
    )
    assert "Kladde – tallene følger porteføljen, indtil pakken offentliggøres" in text
    assert "Skrives efter mødet" in text
    assert "Dette er den første gennemgang og derfor en komplet status." in text
    assert "Slutdato flyttet" not in text  # no changes are listed at a first review
    assert "Til orientering" not in text  # decisions only


def test_hostile_text_is_escaped_and_only_the_documents_own_scripts_run(app: Flask) -> None:
    text, doc = _render()
    assert SCRIPT not in text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in text
    assert '<a href="https://evil.example/' not in text
    assert escape(PLOTLY_LINK) in text
    charts = [attrs for attrs, _ in doc.scripts if attrs.get("type") == "application/json"]
    code = [body for attrs, body in doc.scripts if attrs.get("type") != "application/json"]
    assert len(charts) == 4
    assert len(code) == 2, [body[:80] for body in code]
    bundle = VENDOR["plotly.min.js"]().read_text(encoding="utf-8")
    assert code[0] == bundle
    assert "Plotly.newPlot" in code[1] and "staticPlot: true" in code[1]
    assert all(not attrs.get("src") for attrs, _ in doc.scripts)


def test_chart_labels_carry_user_text_escaped_inside_the_figure_json(app: Flask) -> None:
    pack = make_pack()
    pack.projects = [p.model_copy(update={"department": PLOTLY_LINK}) for p in pack.projects]
    text = render_pack_html(pack, pack_charts(pack))
    assert '<a href="https://evil.example/' not in text
    figures = Document(text).json_blocks()
    department = figures["pack-department-data"]
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', json.dumps(department, ensure_ascii=False))
    assert any("&lt;a href=" in s for s in strings)
    assert not any("<a " in json.loads(f'"{s}"') for s in strings)
    # and the JSON itself holds no character that could end the <script> element
    block = text.split('id="pack-department-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and ">" not in block and "&" not in block


def test_the_file_fetches_nothing_and_carries_plotly_inline(app: Flask) -> None:
    text, doc = _render()
    assert doc.urls == [], doc.urls  # no src, no href: not even a relative one
    assert "link" not in doc.tags and "img" not in doc.tags and "iframe" not in doc.tags
    styles = text.split("<style>", 1)[1].split("</style>", 1)[0]
    assert not re.search(r"url\(|@import", styles)
    assert ".status-red" in styles and "@page" in styles  # the app's CSS, and print rules
    assert len(text) > 3_000_000  # plotly.js is in the file


def test_the_web_page_gets_controls_per_item_with_the_item_in_scope(app: Flask) -> None:
    app.jinja_loader = ChoiceLoader(
        [
            DictLoader(
                {"meetings/_item_controls.html": '<i data-item="{{ item.project.id }}"></i>'}
            ),
            app.jinja_loader,  # type: ignore[list-item]
        ]
    )
    pack = make_pack()
    context = pack_context(pack, pack_charts(pack), controls=True)
    with app.test_request_context("/"):
        text = render_template("meetings/_pack.html", **context)
        without = render_template("meetings/_pack.html", **{**context, "controls": False})
    items = [*pack.for_decision, *pack.for_information]
    assert re.findall(r'data-item="(\d+)"', text) == [str(i.project.id) for i in items]
    assert text.count(">Handling</th>") == 2
    assert "data-item" not in without and "Handling" not in without
    assert 'data-click="none"' in text
