"""Serves third-party browser assets from installed packages, so no page needs a CDN."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, abort, send_file

# plotly.js adds the map library's CSS as a <style> element (refused by the CSP) unless an
# element with this id exists; the page has one. Checked against the bundle by the tests.
PLOTLY_MAP_STYLE_ID = "9f215cf04c5486422605d13261cb87401f4e7763b6296af81e98efbc0130da53"


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


VENDOR = {"plotly.min.js": _plotly_js}


def init_app(app: Flask) -> None:
    @app.get("/static/vendor/<name>")
    def vendor(name: str) -> Response:
        locate = VENDOR.get(name)
        if locate is None:
            abort(404)
        return send_file(locate(), max_age=7 * 24 * 3600, mimetype="text/javascript")
