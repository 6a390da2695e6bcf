"""The documentation site builds without warnings and shows the simulator's figures."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_docs_build_strict_and_every_figure_exists(tmp_path: Path) -> None:
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.fail("mkdocs is not installed next to this Python (pip install mkdocs 'mkdocstrings[python]')")
    proc = subprocess.run([mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (tmp_path / "site" / "choosing-a-strategy" / "index.html").read_text()
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', page)
    assert len(images) >= 6
    for src in images:
        assert (tmp_path / "site" / "choosing-a-strategy" / src).resolve().is_file(), src
    api = (tmp_path / "site" / "api" / "index.html").read_text()
    for name in ("strategies.get_assignor", "partitioning.registry.create", "kpart.simulation.compare"):
        assert f'id="{name}"' in api, name
