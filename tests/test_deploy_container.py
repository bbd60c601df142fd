"""deploy/Containerfile, step by step without a container runtime (none here): its COPY lines
are enough to build and install the app, its sources can go after the install as it says, and
its CMD serves the app against PostgreSQL so that its HEALTHCHECK passes. What this cannot
check: the base image and the apt-get line, which need a registry."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import pytest

from tests.conftest import scratch_postgres_database
from tests.live_server import free_port

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[1]
CONTAINERFILE = ROOT / "deploy" / "Containerfile"


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, its arguments), continuation lines joined and comments left out."""
    text = "\n".join(
        line for line in CONTAINERFILE.read_text().splitlines() if not line.startswith("#")
    )
    steps = []
    for line in text.replace("\\\n", " ").splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            steps.append((word.upper(), rest.strip()))
    return steps


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        args, capture_output=True, text=True, check=False, timeout=300, **kwargs
    )  # type: ignore[call-overload]


def test_the_containerfile_builds_installs_and_serves_with_its_health_check(
    tmp_path: Path,
) -> None:
    steps = _instructions()
    env_lines = [rest for word, rest in steps if word == "ENV"]
    image_env = dict(pair.split("=", 1) for line in env_lines for pair in shlex.split(line))
    (install,) = [rest for word, rest in steps if word == "RUN" and "pip install ." in rest]
    (health,) = [rest for word, rest in steps if word == "HEALTHCHECK"]
    (command,) = [json.loads(rest) for word, rest in steps if word == "CMD"]

    # The gunicorn the image installs is the one the project pins (and the tests run).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pinned = [*project["dependencies"], *sum(project["optional-dependencies"].values(), [])]
    assert re.search(r"gunicorn==[\d.]+", install).group(0) in pinned  # type: ignore[union-attr]

    app = tmp_path / "app"  # WORKDIR
    app.mkdir()
    for word, rest in steps:
        if word == "COPY":  # COPY a b ./ (into the folder) or COPY portfolio ./portfolio
            *sources, target = rest.split()
            for source in sources:
                origin = ROOT / source
                destination = app / target / origin.name if target.endswith("/") else app / target
                destination.parent.mkdir(parents=True, exist_ok=True)
                if origin.is_dir():
                    shutil.copytree(
                        origin, destination, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(origin, destination)

    # RUN pip install . — from what the COPY lines brought, nothing else of the checkout.
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "dist"),
            str(app),
        ]  # fmt: skip
    )
    assert built.returncode == 0, built.stderr
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)]).returncode == 0
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = _run([str(venv / "bin" / "python"), "-c", purelib])
    (Path(site.stdout.strip()) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next((tmp_path / "dist").glob("*.whl"))
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "--no-deps",
            "--no-index",
            str(wheel),
        ]  # fmt: skip
    )
    assert installed.returncode == 0, installed.stderr
    # gunicorn's console script, as pip writes it when it installs gunicorn into the image.
    script = venv / "bin" / "gunicorn"
    script.write_text(
        f"#!{venv / 'bin' / 'python'}\n"
        "from gunicorn.app.wsgiapp import run\nraise SystemExit(run())\n"
    )
    script.chmod(0o755)
    # … && rm -rf the sources: the image keeps only the installed copy.
    removed = re.search(r"rm -rf ([^&]+)", install)
    assert removed is not None
    for name in removed.group(1).split():
        target = app / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    assert sorted(p.name for p in app.iterdir()) == ["deploy"]

    port = free_port()
    with scratch_postgres_database() as url:
        env = {
            "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "HOME": str(tmp_path),
            **image_env,
            # The operator's environment file (miljoe); bound to loopback here, not 0.0.0.0.
            "PORTFOLIO_DATABASE_URL": url,
            "PORTFOLIO_SECRET_KEY": "containerfile-test",
            "PORTFOLIO_BIND": f"127.0.0.1:{port}",
            "PORTFOLIO_WORKERS": "1",
        }
        log = tmp_path / "container.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603
                command, cwd=app, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            check = health.split(" CMD ", 1)[1].replace(":8000/", f":{port}/")
            deadline = time.monotonic() + 90
            while True:
                probe = _run(["sh", "-c", check], env=env, cwd=app)
                if probe.returncode == 0:
                    break
                if process.poll() is not None or time.monotonic() > deadline:
                    output = log.read_text(errors="replace")
                    pytest.fail(f"the health check never passed:\n{probe.stderr}\n{output}")
                time.sleep(0.5)
            ask = f"import urllib.request as u; print(u.urlopen('http://127.0.0.1:{port}/login').status)"
            assert _run(["python", "-c", ask], env=env).stdout.strip() == "200"
        finally:
            process.terminate()
            process.wait(timeout=30)
    # The schema came from the CMD's init-db, and gunicorn logged the requests as JSON lines.
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert any(line.get("path") == "/health" for line in lines), log.read_text()[-2000:]
