"""Light pages: text responses gzipped when the browser asks, static files under hashed URLs."""

from __future__ import annotations

import gzip
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from portfolio.static_assets import VENDOR, asset_url

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
STATIC = Path(__file__).parent.parent / "portfolio" / "static"
TEMPLATES = Path(__file__).parent.parent / "templates"


def _vary(response: TestResponse) -> set[str]:
    return {v.strip().lower() for v in response.headers.get("Vary", "").split(",")}


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/static/[^"]+)"', html)


def test_pages_are_gzipped_for_a_browser_that_accepts_it(
    client: FlaskClient, make_project: Callable[..., object]
) -> None:
    for i in range(20):
        make_project(name=f"Projekt {i}")
    plain = client.get("/overblik/")
    packed = client.get("/overblik/", headers=GZIP)
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert "accept-encoding" in _vary(packed) and "accept-encoding" in _vary(plain)
    assert "Content-Encoding" not in plain.headers
    page = gzip.decompress(packed.data).decode("utf-8")
    assert "Projekt 19" in page and page.rstrip().endswith("</html>")
    assert int(packed.headers["Content-Length"]) == len(packed.data) < len(plain.data) / 4
    # the page's own security headers survive compression
    assert packed.headers["Content-Security-Policy"] == plain.headers["Content-Security-Policy"]


def test_no_gzip_unless_asked_for(client: FlaskClient) -> None:
    for headers in ({}, {"Accept-Encoding": "identity"}, {"Accept-Encoding": "gzip;q=0, br"}):
        page = client.get("/overblik/", headers=headers)
        assert "Content-Encoding" not in page.headers, headers
        assert page.get_data(as_text=True).lstrip().startswith("<!doctype html>")
        with client.get(asset_url_for(client, "vendor/plotly.min.js"), headers=headers) as js:
            assert "Content-Encoding" not in js.headers, headers
            assert js.data == VENDOR["plotly.min.js"]().read_bytes()


def asset_url_for(client: FlaskClient, filename: str) -> str:
    assert client.application is not None
    with client.application.test_request_context():
        return asset_url(filename)


def test_plotly_comes_gzipped_and_unpacks_to_the_bundle(client: FlaskClient) -> None:
    bundle = VENDOR["plotly.min.js"]().read_bytes()
    url = asset_url_for(client, "vendor/plotly.min.js")
    for _ in range(2):  # the second answer comes from the cache, the same bytes
        with client.get(url, headers=GZIP) as js:
            assert js.status_code == 200 and js.headers["Content-Encoding"] == "gzip"
            assert js.mimetype == "text/javascript"
            assert "accept-encoding" in _vary(js)
            assert gzip.decompress(js.data) == bundle
            assert int(js.headers["Content-Length"]) == len(js.data) < len(bundle) / 3
            assert "Accept-Ranges" not in js.headers


def test_css_and_js_come_gzipped_and_unpack_to_the_file(client: FlaskClient) -> None:
    for name in ("css/app.css", "css/plotly.css", "js/overview.js", "js/upload.js"):
        with client.get(asset_url_for(client, name), headers=GZIP) as response:
            assert response.headers["Content-Encoding"] == "gzip", name
            assert gzip.decompress(response.data) == (STATIC / name).read_bytes(), name


def test_tiny_bodies_and_downloads_are_not_gzipped(
    client: FlaskClient, make_project: Callable[..., object]
) -> None:
    make_project(name="Et projekt i arket")
    with client.get(asset_url_for(client, "favicon.svg"), headers=GZIP) as icon:
        assert icon.status_code == 200 and "Content-Encoding" not in icon.headers
        assert icon.data == (STATIC / "favicon.svg").read_bytes()
    health = client.get("/health", headers=GZIP)
    assert health.status_code == 200 and "Content-Encoding" not in health.headers
    assert health.json is not None
    with client.get("/projekter/eksport.xlsx", headers=GZIP) as sheet:
        assert sheet.status_code == 200 and "Content-Encoding" not in sheet.headers
        assert sheet.data[:2] == b"PK"  # a zip file as it is, already compressed


def test_a_cached_copy_is_revalidated_not_sent_again(client: FlaskClient) -> None:
    url = "/static/css/app.css"  # unversioned: the browser asks each time
    with client.get(url, headers=GZIP) as first:
        etag = first.headers["ETag"]
        assert first.headers["Content-Encoding"] == "gzip" and etag.startswith('W/"')
    with client.get(url, headers={**GZIP, "If-None-Match": etag}) as again:
        assert again.status_code == 304 and not again.data
        assert "accept-encoding" in _vary(again)


def test_a_range_request_gets_plain_bytes(client: FlaskClient) -> None:
    bundle = VENDOR["plotly.min.js"]().read_bytes()
    with client.get(
        "/static/vendor/plotly.min.js", headers={**GZIP, "Range": "bytes=100-199"}
    ) as part:
        assert part.status_code == 206 and "Content-Encoding" not in part.headers
        assert part.data == bundle[100:200]


def test_every_asset_of_the_overview_has_a_hashed_url_and_a_year_long_cache(
    client: FlaskClient,
) -> None:
    html = client.get("/overblik/").get_data(as_text=True)
    assets = _assets(html)
    assert any("/static/vendor/plotly.min.js?v=" in a for a in assets)
    assert any("/static/css/app.css?v=" in a for a in assets)
    for url in assets:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url
        with client.get(url, headers=GZIP) as response:
            assert response.status_code == 200, url
            cache = response.cache_control
            assert cache.max_age == 365 * 24 * 3600 and cache.immutable and cache.public, url


def test_an_unversioned_or_old_url_is_revalidated(client: FlaskClient) -> None:
    for url in ("/static/css/app.css", "/static/css/app.css?v=000000000000"):
        with client.get(url) as response:
            assert response.status_code == 200
            assert response.cache_control.max_age == 0 and not response.cache_control.immutable
            assert response.headers["ETag"]
    with client.get("/static/vendor/plotly.min.js") as response:
        assert response.cache_control.max_age == 0  # never a week-old plotly.js after upgrade


def test_a_changed_file_gets_a_new_url_and_the_new_url_the_new_file(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    app.static_folder = str(folder)
    css = folder / "css" / "app.css"
    before = asset_url_for(client, "css/app.css")
    css.write_text(css.read_text(encoding="utf-8") + "\n.new-rule { color: #000; }\n")
    after = asset_url_for(client, "css/app.css")
    assert before != after and after.startswith("/static/css/app.css?v=")
    html = client.get("/overblik/").get_data(as_text=True)
    assert after in html and before not in html
    with client.get(after, headers=GZIP) as response:
        assert b".new-rule" in gzip.decompress(response.data)
        assert response.cache_control.immutable
    with client.get(before) as response:  # a page from before: the current file, revalidated
        assert b".new-rule" in response.data and not response.cache_control.immutable


def test_static_files_outside_the_folder_stay_out_of_reach(client: FlaskClient) -> None:
    for url in ("/static/../pyproject.toml", "/static/%2e%2e/pyproject.toml", "/static/nope.css"):
        assert client.get(url).status_code == 404, url


def test_templates_name_static_files_only_through_asset_url() -> None:
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert "url_for('static'" not in text and "url_for('vendor'" not in text, template
        assert 'url_for("static"' not in text and 'url_for("vendor"' not in text, template
        assert 'src="/static' not in text and 'href="/static' not in text, template


def test_a_head_request_announces_the_gzipped_length(client: FlaskClient) -> None:
    url = asset_url_for(client, "vendor/plotly.min.js")
    with client.get(url, headers=GZIP) as full:
        length = full.headers["Content-Length"]
    with client.head(url, headers=GZIP) as head:
        assert head.status_code == 200 and not head.data
        assert head.headers["Content-Encoding"] == "gzip"
        assert head.headers["Content-Length"] == length
