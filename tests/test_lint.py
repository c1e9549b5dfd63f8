"""The code and the lessons pass the linter (ruff, configured in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    if shutil.which("ruff", path=str(Path(sys.executable).parent)):
        return [str(Path(sys.executable).parent / "ruff")]
    pytest.skip("ruff não está instalado (pip install -e '.[test]')")


def test_ruff_finds_nothing():
    result = subprocess.run([*_ruff(), "check", "--output-format", "concise", "."], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
