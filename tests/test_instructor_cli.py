"""The instructor's commands as an instructor runs them: `python -m instructor ...`."""

import csv
import shutil
import subprocess
import sys

import pytest

from instructor.layout import REPO, notebook

FIXTURE = REPO / "tests" / "fixtures" / "lessons" / "90_good.py"


def instructor(*args, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "instructor", *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def course(tmp_path):
    """A course directory with one built assignment and its release."""
    from instructor.build import build_lesson
    from instructor.grading import generate_assignment, load_config

    build_lesson(FIXTURE, tmp_path / "source")
    generate_assignment(load_config(tmp_path), "90_good")
    return tmp_path


def test_grade_reads_scores_from_the_gradebook(course):
    release = notebook(course, "release", "90_good")
    source = notebook(course, "source", "90_good")
    for student, given in (("ana", source), ("bruno", release)):
        target = notebook(course, "submitted", "90_good", student)
        target.parent.mkdir(parents=True)
        shutil.copyfile(given, target)
    before = notebook(course, "submitted", "90_good", "bruno").read_bytes()

    result = instructor("grade", "90_good", "--course", str(course))

    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1:4] for line in result.stdout.splitlines() if line.startswith("  ")
            and line.split()[0] in ("ana", "bruno")}
    assert rows == {"ana": ["1", "/", "1"], "bruno": ["0", "/", "1"]}
    with open(course / "notas" / "90_good.csv", encoding="utf-8") as f:
        assert [(r["aluno"], r["total"]) for r in csv.DictReader(f)] == [("ana", "1"), ("bruno", "0")]
    # the student's submission is read, never rewritten
    assert notebook(course, "submitted", "90_good", "bruno").read_bytes() == before


def test_grade_without_submissions_says_what_to_do(course):
    result = instructor("grade", "90_good", "--course", str(course))
    assert result.returncode == 1
    assert "nenhuma entrega em submitted/<aluno>/90_good/" in result.stderr
    assert "nbgrader collect" in result.stderr


def test_grade_of_an_unknown_assignment_says_how_to_build_it(course):
    result = instructor("grade", "99_nada", "--course", str(course))
    assert result.returncode == 1
    assert "python -m instructor build 99_nada" in result.stderr


def test_build_of_an_unknown_lesson_fails_in_portuguese():
    result = instructor("build", "99_nada")
    assert result.returncode == 1
    assert "aula(s) não encontrada(s)" in result.stderr
