"""Exporting a meeting's pack as HTML, PDF, XLSX or DOCX: one function for the web and the CLI."""

from __future__ import annotations

import logging
from io import BytesIO
from typing import NamedTuple

from flask_babel import force_locale
from sqlmodel import Session

from portfolio.meetings.charts import finance_charts, pack_charts, rollout_charts
from portfolio.meetings.models import Meeting
from portfolio.meetings.services import build_pack
from portfolio.projects.services import ProjectFilter

log = logging.getLogger(__name__)


class PackFormat(NamedTuple):
    mimetype: str
    suffix: str


FORMATS = {
    "html": PackFormat("text/html; charset=utf-8", "html"),
    "pdf": PackFormat("application/pdf", "pdf"),
    "xlsx": PackFormat("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "docx": PackFormat(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
    ),
}


def pack_filename(meeting: Meeting, fmt: str) -> str:
    draft = "-kladde" if meeting.published_at is None else ""
    return f"chefforum-{meeting.meeting_date.isoformat()}{draft}.{FORMATS[fmt].suffix}"


def export_pack(
    *,
    session: Session,
    meeting: Meeting,
    flt: ProjectFilter,
    fmt: str,
    chromium: str | None,
) -> bytes:
    """The pack as a file. The pack is the municipality's document of record, so it is written
    in Danish whatever language the user reads the app in.

    PDF needs Chromium (ChromiumMissing without it); DOCX draws its chart images with Chromium
    when there is one, and gives the charts' numbers as tables when not.
    """
    from portfolio.exporters.chromium import (
        ChromiumError,
        ChromiumMissing,
        chart_images,
        html_to_pdf,
    )
    from portfolio.meetings.pack_docx import write_pack_docx
    from portfolio.meetings.pack_html import render_pack_for_print, render_pack_html
    from portfolio.meetings.pack_xlsx import write_pack_xlsx

    if fmt not in FORMATS:
        raise ValueError(f"unknown pack format {fmt!r}")
    with force_locale("da"):
        pack = build_pack(session, meeting, flt)
        charts = pack_charts(pack)
        if fmt == "html":
            return render_pack_html(pack, charts).encode("utf-8")
        if fmt == "pdf":
            if chromium is None:
                raise ChromiumMissing()
            return html_to_pdf(render_pack_for_print(pack, charts), chromium=chromium)
        buffer = BytesIO()
        if fmt == "xlsx":
            write_pack_xlsx(pack, charts, buffer)
        else:
            images = None
            if chromium:
                try:
                    pictures = [
                        *charts,
                        *(c.as_pack_chart() for c in rollout_charts(pack)),
                        *finance_charts(pack),
                    ]
                    images = chart_images(pictures, chromium=chromium)
                except ChromiumError:
                    # The agenda item matters more than its pictures: the numbers go in instead.
                    log.warning("DOCX pack without chart images", exc_info=True)
            write_pack_docx(pack, charts, buffer, images)
        return buffer.getvalue()
