"""The course on a Colab-like Python: only what Colab preinstalls that matters here, then the
package installed the way the setup cell installs it. pip must change no torch package, and
every lesson (solutions filled in) must run there.

Slow (about as long as running all lessons once): marked ``student``, run by
``make test-student`` and CI, not by ``make test``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from instructor.layout import REPO, lesson_ids, notebook

pytestmark = pytest.mark.student

# What Colab ships that this course relies on (the list), plus the kernel that runs
# the notebooks there. Nothing else: tqdm and platformdirs must come from the package itself.
COLAB_PREINSTALLED = ["torch", "torchvision", "matplotlib", "ipywidgets", "tensorboard", "ipykernel", "nbclient"]
TORCH_FAMILY = re.compile(r"^(torch|torchvision|triton|nvidia-.*|cuda-.*)$")


def _closure(names: list[str]) -> list[importlib.metadata.Distribution]:
    """The installed distributions ``names`` need, their dependencies included (no extras)."""
    dists: dict[str, importlib.metadata.Distribution] = {}
    done: set[tuple[str, str]] = set()
    todo = [(name, "") for name in names]
    while todo:
        name, extra = todo.pop()
        key = re.sub(r"[-_.]+", "-", name).lower()
        if (key, extra) in done:
            continue
        done.add((key, extra))
        dist = dists.setdefault(key, importlib.metadata.distribution(name))
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                # torch needs cuda-toolkit[cublas,...]: the extras bring the nvidia packages
                todo += [(req.name, "")] + [(req.name, e) for e in req.extras]
    return list(dists.values())


def _link(dist: importlib.metadata.Distribution, site: Path) -> None:
    """Makes ``dist`` importable from ``site`` by linking its top-level files and folders."""
    origin = Path(dist.locate_file(""))
    tops = {Path(str(f)).parts[0] for f in dist.files or [] if not str(f).startswith("..")}
    for top in tops:
        if top.endswith(".pth") or top == "__pycache__":
            continue
        target = site / top
        if not target.exists():
            target.symlink_to(origin / top)


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """A fresh environment with Colab's packages (linked, not copied: the same bytes)."""
    root = tmp_path_factory.mktemp("colab")
    venv.EnvBuilder(with_pip=True).create(root / "env")
    python = root / "env" / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    for dist in _closure(COLAB_PREINSTALLED):
        _link(dist, site)
    return python


def _torch_packages(python: Path) -> dict[str, str]:
    listed = subprocess.run([python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True).stdout
    return {p["name"].lower(): p["version"] for p in json.loads(listed) if TORCH_FAMILY.match(p["name"].lower())}


def test_installing_the_package_changes_no_torch_package_and_every_lesson_runs(colab, tmp_path):
    before = _torch_packages(colab)
    assert "torch" in before and "torchvision" in before
    # The setup cell runs `pip install "modulo4-helpers @ git+<repo>@v<version>"`; here the
    # same package comes from a copy of this checkout (no network to the repository; a copy,
    # because pip builds in the source folder and would leave build/ in the checkout).
    package = tmp_path / "package"
    shutil.copytree(REPO, package, ignore=shutil.ignore_patterns(".git", ".venv", "source", "release", "build"))
    install = subprocess.run([colab, "-m", "pip", "install", "--disable-pip-version-check", str(package)],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    assert _torch_packages(colab) == before, install.stdout[-2000:]
    assert not re.search(r"Successfully installed.*\btorch", install.stdout)

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["NBGRADER_EXECUTION"] = "validate"  # demos shrink as under grading
    for lid in lesson_ids():
        shutil.copyfile(notebook(REPO, "source", lid), tmp_path / f"{lid}.ipynb")
    runner = (
        "import sys, nbformat, helpers, pathlib\n"
        "from nbclient import NotebookClient\n"
        "assert 'site-packages' in helpers.__file__, helpers.__file__\n"
        "bad = []\n"
        "for path in sys.argv[1:]:\n"
        "    nb = nbformat.read(path, as_version=4)\n"
        "    NotebookClient(nb, timeout=600, allow_errors=True, kernel_name='python3').execute()\n"
        "    for cell in nb.cells:\n"
        "        for out in cell.get('outputs', []):\n"
        "            if out.output_type == 'error' or (out.output_type == 'stream' and out.name == 'stderr'):\n"
        "                bad.append(f'{pathlib.Path(path).name}: ' + (out.get('evalue') or out.get('text', ''))[:200])\n"
        "print('\\n'.join(bad) or 'ok')\n"
    )
    paths = [str(tmp_path / f"{lid}.ipynb") for lid in lesson_ids()]
    result = subprocess.run([colab, "-c", runner, *paths], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=3000)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok", result.stdout
