"""A plain `pip install .` (a wheel, not the source tree) gives a working app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        args,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        **kwargs,  # type: ignore[arg-type]
    )


def test_the_wheel_carries_templates_translations_and_sample_data_and_runs(tmp_path: Path):
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
            str(ROOT),
        ]
    )
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "dist").glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "portfolio/templates/base.html" in names
    assert "portfolio/sample_data/portefolje.xlsx" in names
    assert "portfolio/static/css/app.css" in names
    assert any(n.startswith("portfolio/migrations/versions/") for n in names)
    assert "importers/columns.py" in names

    # A fresh venv that sees this one's dependencies but not the source tree.
    venv = tmp_path / "venv"
    # Without pip of its own (ensurepip is most of a venv's cost): this venv's pip installs into it.
    assert _run([sys.executable, "-m", "venv", "--without-pip", str(venv)]).returncode == 0
    site = Path(
        _run(
            [
                str(venv / "bin" / "python"),
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ]
        ).stdout.strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
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
        ]
    )
    assert installed.returncode == 0, installed.stderr

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PORTFOLIO_DATABASE_URL"] = f"sqlite:///{tmp_path / 'wheel.sqlite'}"
    work = tmp_path / "elsewhere"
    work.mkdir()
    demo = _run([str(venv / "bin" / "portfolio"), "demo"], env=env, cwd=work)
    assert demo.returncode == 0, demo.stderr
    listed = _run([str(venv / "bin" / "portfolio"), "projects", "--json"], env=env, cwd=work)
    assert len(json.loads(listed.stdout)) >= 38
    page = _run(
        [
            str(venv / "bin" / "python"),
            "-c",
            "import portfolio, sys; app = portfolio.create_app();"
            "print(portfolio.__file__); c = app.test_client();"
            "print(c.get('/projekter/').status_code);"
            "c.post('/login', data={'email': 'it@kommune.example', 'password': 'portefolje-demo'});"
            "r = c.get('/projekter/'); print(r.status_code);"
            "print('Bilagsapp' in r.get_data(as_text=True))",
        ],
        env={**env, "PORTFOLIO_WTF_CSRF_ENABLED": "false"},
        cwd=work,
    )
    lines = page.stdout.split()
    assert page.returncode == 0, page.stderr
    assert str(ROOT) not in lines[0], "the test must exercise the installed wheel"
    # anonymous: sent to the login page; the demo administrator: sees the sample portfolio
    assert lines[1:] == ["302", "200", "True"]
