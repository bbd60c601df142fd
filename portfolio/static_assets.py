"""Serves the app's static files and third-party browser assets (so no page needs a CDN):
gzip-compressed once per file version, under URLs that carry a hash of the file's content so
browsers may keep them for a year and still fetch a new version at once."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, abort, current_app, request, send_file, url_for
from werkzeug.security import safe_join

from portfolio import compression

# plotly.js adds the map library's CSS as a <style> element (refused by the CSP) unless an
# element with this id exists; the page has one. Checked against the bundle by the tests.
PLOTLY_MAP_STYLE_ID = "9f215cf04c5486422605d13261cb87401f4e7763b6296af81e98efbc0130da53"

# A URL whose ?v= is the file's current hash never changes content: cache it for a year.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
VENDOR_PREFIX = "vendor/"


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


VENDOR = {"plotly.min.js": _plotly_js}


@lru_cache(maxsize=256)
def _hash(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def content_hash(path: Path) -> str:
    """12 hex digits of the file's SHA-256, computed once per version (mtime and size)."""
    stat = path.stat()
    return _hash(str(path), stat.st_mtime_ns, stat.st_size)


def _static_path(filename: str) -> Path | None:
    folder = current_app.static_folder
    joined = safe_join(folder, filename) if folder else None
    return Path(joined) if joined and Path(joined).is_file() else None


def _vendor_path(name: str) -> Path | None:
    locate = VENDOR.get(name)
    return locate() if locate else None


def asset_url(filename: str) -> str:
    """The URL of a static file ("css/app.css", or "vendor/plotly.min.js" for a bundled
    third-party asset) with its content hash, for templates: {{ asset_url('css/app.css') }}."""
    if filename.startswith(VENDOR_PREFIX):
        name = filename.removeprefix(VENDOR_PREFIX)
        path = _vendor_path(name)
        if path is None:
            raise LookupError(f"no vendor asset {name!r}")
        return url_for("vendor", name=name, v=content_hash(path))
    path = _static_path(filename)
    if path is None:
        raise LookupError(f"no static file {filename!r}")
    return url_for("static", filename=filename, v=content_hash(path))


def _serve(path: Path, mimetype: str | None = None) -> Response:
    versioned = request.args.get("v") == content_hash(path)
    # Unversioned (or an old version's) URL: revalidate each time; the ETag keeps that cheap.
    response = send_file(path, mimetype=mimetype, max_age=IMMUTABLE_MAX_AGE if versioned else 0)
    if versioned:
        response.cache_control.immutable = True
    return compression.serve_precompressed(response, path)


def init_app(app: Flask) -> None:
    app.add_template_global(asset_url)

    def static(filename: str) -> Response:
        path = _static_path(filename)
        if path is None:
            abort(404)
        return _serve(path)

    # Flask's own static route, served the same way as the vendor files.
    app.view_functions["static"] = static

    @app.get("/static/vendor/<name>")
    def vendor(name: str) -> Response:
        path = _vendor_path(name)
        if path is None:
            abort(404)
        return _serve(path, mimetype="text/javascript")
