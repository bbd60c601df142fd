"""gzip for text responses (pages, JSON, CSS, JS), negotiated by the request's Accept-Encoding.

Pages are compressed as they leave the app; static files once per file version, kept in memory
(plotly.js is 4.8 MB and takes 0.2 s to compress, so never per request). Files already
compressed (xlsx, docx, pdf, png) and tiny bodies go as they are.

BREACH (compression + a secret + reflected input) needs the victim's browser to send many
credentialed cross-site requests: the session cookie is SameSite=Lax, and Flask-WTF's CSRF token
carries a signature that changes every second, so compressing pages gives it nothing to find.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from flask import Flask, Request, Response, request

# Text formats worth compressing; everything else (zip-based Office files, PDF, images) already is.
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "text/plain",
        "text/csv",
        "image/svg+xml",
    }
)
# Below this a gzip header and the extra round of work cost more than they save.
MIN_SIZE = 500
PAGE_LEVEL = 6  # fast enough per request (~1 ms for the overview's 120 KB)
FILE_LEVEL = 9  # once per file version


def accepts_gzip(req: Request) -> bool:
    return req.accept_encodings.quality("gzip") > 0


def is_compressible(response: Response) -> bool:
    return response.mimetype in COMPRESSIBLE


def compress_page(response: Response) -> Response:
    """An after_request hook: gzip a buffered text response when the browser accepts it."""
    if response.direct_passthrough or response.is_streamed or not is_compressible(response):
        return response  # files (send_file) and streams are not buffered here
    response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or "Content-Encoding" in response.headers
        or not accepts_gzip(request)
    ):
        return response
    body = response.get_data()
    if len(body) < MIN_SIZE:
        return response
    response.set_data(gzip.compress(body, PAGE_LEVEL, mtime=0))
    _mark_gzipped(response)
    return response


@lru_cache(maxsize=64)
def _gzipped(path: str, mtime_ns: int, size: int) -> bytes:
    # mtime and size in the key: a changed file is compressed again, the old entry ages out.
    return gzip.compress(Path(path).read_bytes(), FILE_LEVEL, mtime=0)


def gzipped_file(path: Path) -> bytes:
    """The file's gzip bytes, compressed on first use of this version of the file."""
    stat = path.stat()
    return _gzipped(str(path), stat.st_mtime_ns, stat.st_size)


def serve_precompressed(response: Response, path: Path) -> Response:
    """Swap send_file's body for the cached gzip of `path` when the browser accepts gzip.
    A 304 or a range (206) answer stays as it is; both still vary by Accept-Encoding."""
    if not is_compressible(response):
        return response
    response.vary.add("Accept-Encoding")
    if response.status_code != 200 or path.stat().st_size < MIN_SIZE or not accepts_gzip(request):
        return response
    body = gzipped_file(path)
    if hasattr(response.response, "close"):
        response.response.close()  # send_file's open file handle
    response.direct_passthrough = False
    response.set_data(body)
    _mark_gzipped(response)
    return response


def _mark_gzipped(response: Response) -> None:
    response.headers["Content-Encoding"] = "gzip"
    # Byte ranges would count the compressed body; a range request gets the plain file.
    response.headers.pop("Accept-Ranges", None)
    # Another representation of the same thing: a weak ETag, as nginx does. Revalidating
    # with it still matches send_file's strong ETag (If-None-Match compares weakly).
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)


def init_app(app: Flask) -> None:
    app.after_request(compress_page)
