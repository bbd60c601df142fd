"""Headless Chromium for the pack: the HTML file printed to PDF, and each chart drawn as a PNG
by plotly.js itself, so that every format shows the same charts."""

from __future__ import annotations

import base64
import html
import logging
import os
import re
import shutil
import signal
import subprocess  # noqa: S404 - a fixed argument list, never a shell
import tempfile
from collections.abc import Sequence
from pathlib import Path

from flask_babel import gettext as _

from portfolio.charts import safe_figure_json
from portfolio.meetings.charts import PackChart
from portfolio.static_assets import VENDOR

log = logging.getLogger(__name__)

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
IMAGE_WIDTH = 1000
IMAGE_HEIGHT = 500  # for a figure without a height of its own
IMAGE_SCALE = 2
# Chromium waits this long (virtual time: it skips idle waiting) for the page to settle.
PRINT_BUDGET_MS = 5000
IMAGE_BUDGET_MS = 10000
_IMAGE = re.compile(r'<pre data-chart="([^"]*)">data:image/png;base64,([A-Za-z0-9+/=]+)</pre>')


class ChromiumError(Exception):
    """Why a PDF or the chart images could not be made, in words for the user."""


class ChromiumMissing(ChromiumError):
    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or _(
                "PDF kræver Chromium på serveren (Debian-pakken chromium). Hent pakken som "
                "HTML og udskriv den fra browseren i stedet."
            )
        )


class ChromiumFailed(ChromiumError):
    pass


def find_chromium(configured: str | None) -> str | None:
    """The configured browser (a path or a command name), or the first Chromium on PATH.

    A configured browser that is not there gives None, not some other browser.
    """
    if configured:
        path = Path(configured)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        return shutil.which(configured)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def _base_args(chromium: str, profile: Path) -> list[str]:
    # Chromium's sandbox refuses to start as root; as any other user it stays on.
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return [
        chromium,
        "--headless",
        *(["--no-sandbox"] if as_root else []),
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]


def _run(args: list[str], timeout: float) -> bytes:
    """Run Chromium in its own process group and return its stdout; on a timeout the whole
    group (renderers, GPU and zygote processes) is killed."""
    try:
        proc = subprocess.Popen(  # noqa: S603 - a fixed argument list, never a shell
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise ChromiumMissing() from exc
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill_group(proc.pid)
        proc.communicate()
        raise ChromiumFailed(
            _(
                "Chromium blev ikke færdig inden for %(seconds)d sekunder. Prøv igen, eller "
                "hent pakken som HTML og udskriv den fra browseren.",
                seconds=round(timeout),
            )
        ) from exc
    finally:
        _kill_group(proc.pid)  # helpers that outlive the browser
    if proc.returncode != 0:
        log.warning(
            "chromium exited with %s: %s", proc.returncode, err[-2000:].decode(errors="replace")
        )
        raise ChromiumFailed(
            _(
                "Chromium kunne ikke lave filen (fejlkode %(code)d). Hent pakken som HTML og "
                "udskriv den fra browseren i stedet.",
                code=proc.returncode,
            )
        )
    return out


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def html_to_pdf(html_text: str, *, chromium: str, timeout: float = 60) -> bytes:
    """The HTML document printed to PDF by headless Chromium, with the page size and margins
    its CSS asks for. The page must not need the network: it is opened from a file."""
    with tempfile.TemporaryDirectory(prefix="portfolio-pdf-") as tmp:
        folder = Path(tmp)
        page = folder / "pack.html"
        page.write_text(html_text, encoding="utf-8")
        out = folder / "out.pdf"
        _run(
            [
                *_base_args(chromium, folder / "profile"),
                "--no-pdf-header-footer",
                f"--virtual-time-budget={PRINT_BUDGET_MS}",
                f"--print-to-pdf={out}",
                page.as_uri(),
            ],
            timeout,
        )
        pdf = out.read_bytes() if out.exists() else b""
    if not pdf.startswith(b"%PDF"):
        raise ChromiumFailed(
            _("Chromium lavede ingen PDF. Hent pakken som HTML og udskriv den fra browseren.")
        )
    return pdf


def _image_page(charts: Sequence[PackChart], plotly_js: Path) -> str:
    blocks = []
    for chart in charts:
        height = chart.figure.layout.height or IMAGE_HEIGHT
        blocks.append(
            f'<script type="application/json" data-chart="{html.escape(chart.id)}" '
            f'data-height="{int(height)}">{safe_figure_json(chart.figure)}</script>'
        )
    figures = "\n".join(blocks)
    return f"""<!doctype html>
<html lang="da"><head><meta charset="utf-8"></head><body>
{figures}
<div id="out"></div>
<script src="{plotly_js.as_uri()}"></script>
<script>
(function () {{
  "use strict";
  var out = document.getElementById("out");
  var sources = Array.prototype.slice.call(document.querySelectorAll("script[data-chart]"));
  Promise.all(sources.map(function (source) {{
    var figure = JSON.parse(source.textContent);
    var box = document.createElement("div");
    document.body.appendChild(box);
    var height = Number(source.getAttribute("data-height"));
    return window.Plotly.newPlot(box, figure.data, figure.layout, {{staticPlot: true}})
      .then(function (gd) {{
        return window.Plotly.toImage(gd, {{format: "png", width: {IMAGE_WIDTH},
          height: height, scale: {IMAGE_SCALE}}});
      }})
      .then(function (url) {{
        var pre = document.createElement("pre");
        pre.setAttribute("data-chart", source.getAttribute("data-chart"));
        pre.textContent = url;
        out.appendChild(pre);
        window.Plotly.purge(box);
        box.remove();
      }});
  }})).catch(function (error) {{ out.setAttribute("data-error", String(error)); }});
}}());
</script>
</body></html>
"""


def chart_images(
    charts: Sequence[PackChart], *, chromium: str, timeout: float = 60
) -> dict[str, bytes]:
    """Each chart as a PNG (1000 px wide at scale 2, so 2000 px), drawn by plotly.js in one
    headless Chromium: chart id -> PNG bytes."""
    if not charts:
        return {}
    with tempfile.TemporaryDirectory(prefix="portfolio-png-") as tmp:
        folder = Path(tmp)
        page = folder / "charts.html"
        page.write_text(_image_page(charts, VENDOR["plotly.min.js"]()), encoding="utf-8")
        dom = _run(
            [
                *_base_args(chromium, folder / "profile"),
                "--allow-file-access-from-files",
                f"--virtual-time-budget={IMAGE_BUDGET_MS}",
                "--dump-dom",
                page.as_uri(),
            ],
            timeout,
        ).decode("utf-8", errors="replace")
    images = {html.unescape(m.group(1)): base64.b64decode(m.group(2)) for m in _IMAGE.finditer(dom)}
    missing = [chart for chart in charts if chart.id not in images]
    if missing:
        log.warning("chart images missing for %s", [chart.id for chart in missing])
        raise ChromiumFailed(
            _(
                "Chromium kunne ikke tegne diagrammerne: %(names)s.",
                names=", ".join(chart.title for chart in missing),
            )
        )
    return images
