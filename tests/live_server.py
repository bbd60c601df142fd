"""A real Portefølje under gunicorn with several workers, and browsers that talk to it over HTTP:
for tests that race real clients against a real server (SQLite file or PostgreSQL)."""

from __future__ import annotations

import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookiejar import CookieJar
from pathlib import Path

from tests.conftest import TEST_HASH_METHOD
from tests.test_cli import free_port

BIN = os.path.dirname(sys.executable)
DEMO_PASSWORD = "portefolje-demo"


def http_exchange(
    port: int,
    path: str,
    form: dict[str, str] | None = None,
    *,
    source: str = "127.0.0.1",
    cookie: str = "",
    timeout: float = 60,
) -> tuple[int, str, list[str]]:
    """One GET (or POST of `form`) to 127.0.0.1:port on a fresh connection from loopback address
    `source`, so a throttle sees distinct clients: status, body and the Set-Cookie headers."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0)
    )
    headers = {"Cookie": cookie}
    body = None
    if form is not None:
        body = urllib.parse.urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request("POST" if form is not None else "GET", path, body, headers)
        response = conn.getresponse()
        text = response.read().decode()
        return response.status, text, response.headers.get_all("Set-Cookie") or []
    finally:
        conn.close()


def portfolio(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run the `portfolio` command as an operator would; fails the test if it fails."""
    done = subprocess.run(  # noqa: S603
        [os.path.join(BIN, "portfolio"), *args],
        env=env,
        capture_output=True,
        input=stdin,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def server_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PORTFOLIO_DATABASE_URL": database_url,
        "PORTFOLIO_SECRET_KEY": "live-server-test",
        # The suite's cheap hash for demo users and logins; test_users_login proves scrypt.
        "PORTFOLIO_PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        **extra,
    }


@dataclass
class LiveServer:
    base: str
    process: subprocess.Popen[bytes]
    log_file: Path

    def log(self) -> str:
        """What the server has printed so far (its log); it goes on running."""
        return self.log_file.read_text(encoding="utf-8", errors="replace")


@contextmanager
def gunicorn(env: dict[str, str], workers: int = 4) -> Iterator[LiveServer]:
    """The app under gunicorn on a free loopback port, until the block ends."""
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        log_file = Path(folder) / "server.log"
        with log_file.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603
                [
                    os.path.join(BIN, "gunicorn"),
                    *("-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "120"),
                    "portfolio:create_app()",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = LiveServer(f"http://127.0.0.1:{port}", process, log_file)
        try:
            _wait_until_up(server)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)


def _wait_until_up(server: LiveServer) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(server.base + "/health", timeout=5)  # noqa: S310
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if time.monotonic() > deadline or server.process.poll() is not None:
                raise RuntimeError("gunicorn did not start:\n" + server.log()) from None
            time.sleep(0.2)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@dataclass
class Reply:
    status: int
    html: str
    location: str


class Browser:
    """One user's browser: its own cookies; redirects are not followed, so a test sees them."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> Reply:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            response = self.opener.open(self.base + path, body, timeout=20)
        except urllib.error.HTTPError as exc:
            response = exc
        html = response.read().decode("utf-8", "replace")
        return Reply(int(response.status), html, response.headers.get("Location", ""))

    def get(self, path: str) -> Reply:
        return self.request(path)

    def post(self, path: str, data: dict[str, str]) -> Reply:
        return self.request(path, data)

    def login(self, email: str, password: str = DEMO_PASSWORD) -> None:
        token = hidden(self.get("/login").html, "csrf_token")
        reply = self.post("/login", {"csrf_token": token, "email": email, "password": password})
        assert reply.status == 302, reply.html[:2000]


def hidden(html: str, name: str) -> str:
    """The value of the first form field called `name` on the page."""
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', html) or re.search(
        rf'value="([^"]*)"[^>]*name="{re.escape(name)}"', html
    )
    assert match, f"no field {name} on the page"
    return match.group(1)
