"""Opens the course for a student: copies the student notebooks, then starts JupyterLab.

    python scripts/lab.py [pasta]        (make lab; also the conda/Windows path)
    python scripts/lab.py --no-launch    only copies
    python scripts/lab.py meus_notebooks --port 8890   other options go to JupyterLab

The notebooks (release/<id>/<id>.ipynb) are copied into a work folder, meus_notebooks/ by
default. A notebook already there is the student's work: it is never replaced, so new lessons
arrive after a `git pull` without touching the ones in progress. JupyterLab starts with the
student configuration in jupyter/aluno/ (nbgrader's Validate stays; the instructor's tools
are hidden) and, when run as root (containers, cloud VMs), with --allow-root.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def copy_notebooks(dest: Path) -> list[Path]:
    """Copies each release notebook that ``dest`` does not have yet; returns the new ones."""
    dest.mkdir(parents=True, exist_ok=True)
    new = []
    for notebook in sorted(REPO.glob("release/*/*.ipynb")):
        target = dest / notebook.name
        if not target.exists():
            shutil.copyfile(notebook, target)
            new.append(target)
            print(f"novo: {target}")
    return new


def lab_command(dest: Path, extra: list[str] = ()) -> list[str]:
    command = [sys.executable, "-m", "jupyter", "lab", str(dest), *extra]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # Jupyter refuses root otherwise, and make fails
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", nargs="?", default="meus_notebooks", help="pasta de trabalho")
    parser.add_argument("--no-launch", action="store_true", help="só copia os notebooks")
    args, extra = parser.parse_known_args(argv)
    dest = Path(args.dest)
    copy_notebooks(dest)
    if args.no_launch:
        return 0
    env = dict(os.environ, JUPYTER_CONFIG_PATH=os.pathsep.join(
        p for p in (str(REPO / "jupyter" / "aluno"), os.environ.get("JUPYTER_CONFIG_PATH")) if p))
    command = lab_command(dest, extra)
    print(" ".join(command))
    if os.name == "nt":  # no exec on Windows: wait for JupyterLab instead
        import subprocess

        return subprocess.call(command, env=env)
    os.execve(sys.executable, command, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
