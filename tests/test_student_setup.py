"""What a student's `make lab` does to their files, and the environment script's guards."""

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def copy_notebooks(dest):
    return subprocess.run(
        ["bash", str(REPO / "scripts" / "student-notebooks.sh"), str(dest)],
        capture_output=True, text=True, check=True,
    ).stdout


def test_student_notebooks_are_copied_once_and_never_overwritten(tmp_path):
    dest = tmp_path / "meus_notebooks"
    releases = sorted(REPO.glob("release/*/*.ipynb"))
    assert releases, "nenhum notebook em release/"

    first = copy_notebooks(dest)
    assert sorted(p.name for p in dest.iterdir()) == sorted(p.name for p in releases)
    assert first.count("novo:") == len(releases)

    work = dest / releases[0].name
    work.write_text("o trabalho do aluno", encoding="utf-8")
    (dest / releases[-1].name).unlink()  # a lesson the student has not started yet

    second = copy_notebooks(dest)
    assert work.read_text(encoding="utf-8") == "o trabalho do aluno"
    assert (dest / releases[-1].name).read_bytes() == releases[-1].read_bytes()
    assert second.count("novo:") == 1


def test_environment_script_refuses_an_old_python_in_portuguese(tmp_path):
    fake = tmp_path / "python3.9"
    fake.write_text("#!/bin/sh\nexit 1\n")
    fake.chmod(0o755)
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "ensure-env.sh")],
        env={"PATH": "/usr/bin:/bin", "VENV": str(tmp_path / "venv"), "PYTHON": str(fake)},
        capture_output=True, text=True,
    )
    assert result.returncode == 1
    assert "Python 3.11 ou mais novo" in result.stderr
    assert not (tmp_path / "venv").exists()


def test_installed_helpers_are_this_checkouts(tmp_path):
    # Kernels (and nbgrader) import helpers from the environment, not from the repository
    # folder: a reused environment still linked to another checkout would grade old code.
    import sys

    found = subprocess.run(
        [sys.executable, "-c", "import helpers; print(helpers.__file__)"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(found).resolve().is_relative_to(REPO.resolve())
