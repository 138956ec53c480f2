"""Set-up, checked: pyproject.toml declares what a fresh virtualenv needs (trafilatura's
HTML cleaning lives in lxml_html_clean), and scripts/system-deps.sh runs no apt at all
when the Debian packages the tests drive are present."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "system-deps.sh"


def _declared() -> set[str]:
    """Names in [project] dependencies (read by hand: tomllib needs Python 3.11)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text.split("\ndependencies = [", 1)[1].split("\n]", 1)[0]
    return {re.split(r"[<>=!~\[ ;]", dep, maxsplit=1)[0].lower().replace("-", "_")
            for dep in re.findall(r'^\s*"([^"]+)"', block, re.M)}


def test_pyproject_declares_trafilaturas_html_cleaner():
    assert {"trafilatura", "lxml_html_clean"} <= _declared()
    from lxml.html.clean import Cleaner  # what trafilatura imports; fails without it

    assert Cleaner


def _all_present() -> bool:
    return (Path("/usr/bin/chromium").exists()
            and Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc").exists()
            and any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
            and shutil.which("java") is not None)


@pytest.mark.skipif(not _all_present(), reason="a Debian package the tests use is missing here")
def test_system_deps_runs_no_apt_when_everything_is_present(tmp_path):
    marker = tmp_path / "apt-was-called"
    fake = tmp_path / "bin"
    fake.mkdir()
    for name in ("apt-get", "apt"):  # would leave a mark if the script called apt
        (fake / name).write_text(f"#!/bin/sh\necho \"$@\" >> {marker}\nexit 1\n")
        (fake / name).chmod(0o755)
    proc = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PATH": f"{fake}:{os.environ['PATH']}"})
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""
    assert not marker.exists()


def test_system_deps_lists_only_packages_the_tests_use():
    script = SCRIPT.read_text(encoding="utf-8")
    wanted = re.findall(r"need\+=\(([^)]+)\)", script)
    assert sorted(wanted) == ["chromium", "fonts-noto-cjk", "openjdk-17-jre-headless", "postgresql"]
    assert ">/dev/null 2>&1 \\\n  ||" not in script  # apt's error is shown, not hidden
