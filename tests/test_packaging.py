"""The course package installs beside whatever torch is there (Colab, conda) and never
replaces it: dependencies are lower bounds only."""

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_runtime_dependencies_are_lower_bounded_only():
    for line in PROJECT["dependencies"]:
        req = Requirement(line)
        ops = {spec.operator for spec in req.specifier}
        assert ops == {">="}, f"{line}: use só limite inferior (>=), nunca == ou <"


def test_installing_the_package_where_torch_exists_installs_no_torch(tmp_path):
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--disable-pip-version-check",
         "--report", str(report), str(REPO)],
        check=True, capture_output=True, timeout=300,
    )
    installed = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert installed == {"modulo4-helpers"}
