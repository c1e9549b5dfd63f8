"""The grading checks fail what they should fail.

Each fixture lesson in tests/fixtures/lessons/ is broken in one way; the check meant
to catch that must report it, and the correct fixture must pass every check.
"""

import dataclasses
from pathlib import Path

import nbformat
import pytest

from instructor import verify
from instructor.build import build_lesson
from instructor.grading import run_as_student

FIXTURES = Path(__file__).parent / "fixtures" / "lessons"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each fixture lesson built and graded once: {name: (lesson.py, source.ipynb, run)}."""
    out = {}
    for path in sorted(FIXTURES.glob("*.py")):
        work = tmp_path_factory.mktemp(path.stem)
        source = build_lesson(path, work / "built")
        out[path.stem] = (path, source, verify.run_lesson(source, work / "course"))
    return out


def committed(tmp_path, source, run):
    release = tmp_path / "release.ipynb"
    release.write_text(run.release_text, encoding="utf-8")
    return source, release


def test_correct_lesson_passes_every_check(runs, tmp_path):
    path, source, run = runs["90_good"]
    assert verify.source_problems(run) == []
    assert verify.drift_problems(path, *committed(tmp_path, source, run), run) == []
    assert verify.leak_problems(run.source_text, run.release_text) == []
    assert verify.free_point_problems(run) == []
    assert verify.run_all_problems(run) == []
    assert verify.full_marks_problems(run) == []
    assert verify.contract_problems(run.source_text, {"double": 1}) == []
    # the tagged test cell failed and Run All still reached the last cell
    assert run.student_run.cells[-1].outputs[0]["text"] == "fim da aula\n"
    assert run.solution_scores == {"test_double": (1.0, 1.0)}
    assert run.blank_scores == {"test_double": (0.0, 1.0)}


def test_a_test_that_passes_on_the_blank_notebook_is_caught(runs):
    _, _, run = runs["91_free_points"]
    problems = verify.free_point_problems(run)
    assert any("test_double_exists" in p for p in problems)
    assert any("passa no notebook em branco" in p for p in problems)


def test_a_wrong_instructor_solution_is_caught(runs):
    _, _, run = runs["92_wrong_solution"]
    assert verify.source_problems(run) != []
    assert any("test_double" in p for p in verify.full_marks_problems(run))


def test_stderr_in_a_test_cell_is_caught(runs):
    _, _, run = runs["93_stderr"]
    assert verify.source_problems(run) != []
    assert any("test_double_noisy" in p for p in verify.full_marks_problems(run))


def test_autograde_drops_library_warnings_from_stderr(runs):
    # The Validator keeps them (so authors see them); autograde must not cost points.
    _, _, run = runs["94_library_warning"]
    assert verify.full_marks_problems(run) == []
    assert verify.free_point_problems(run) == []


def test_a_leaked_solution_is_caught(runs):
    _, _, run = runs["90_good"]
    release = nbformat.reads(run.release_text, as_version=4)
    release.cells[-1].source += "\nreturn 2 * x"
    assert any("return 2 * x" in p for p in verify.leak_problems(run.source_text, nbformat.writes(release)))


def test_a_leaked_hidden_test_is_caught(runs):
    _, _, run = runs["90_good"]
    leaked = run.release_text.replace("print(", "assert double(-1.5) == -3.0\\nprint(", 1)
    assert any("double(-1.5)" in p for p in verify.leak_problems(run.source_text, leaked))


def test_a_drifted_release_or_source_is_caught(runs, tmp_path):
    path, source, run = runs["90_good"]
    source_copy, release = committed(tmp_path, source, run)
    release.write_text(run.release_text.replace("double(3)", "double(4)"), encoding="utf-8")
    assert any("release" in p for p in verify.drift_problems(path, source_copy, release, run))
    stale = tmp_path / "stale.ipynb"
    stale.write_text(source.read_text(encoding="utf-8").replace("2 * x", "x + x"), encoding="utf-8")
    release.write_text(run.release_text, encoding="utf-8")
    assert any("build" in p for p in verify.drift_problems(path, stale, release, run))


def test_missing_exercise_or_wrong_points_are_caught(runs):
    _, _, run = runs["90_good"]
    assert any("triple" in p for p in verify.contract_problems(run.source_text, {"triple": 1}))
    assert any("contrato diz 3" in p for p in verify.contract_problems(run.source_text, {"double": 3}))


def _student_run_of(run, tmp_path, edit):
    """The release, edited, run again the way a student's Run All runs it."""
    release = nbformat.reads(run.release_text, as_version=4)
    edit(release)
    path = tmp_path / "90_good" / "90_good.ipynb"
    path.parent.mkdir()
    nbformat.write(release, path)
    return dataclasses.replace(run, student_run=run_as_student(path))


def _test_cell(nb):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))


def test_an_untagged_failing_test_that_stops_run_all_is_caught(runs, tmp_path):
    _, _, run = runs["90_good"]
    stopped = _student_run_of(run, tmp_path, lambda nb: _test_cell(nb).metadata.pop("tags"))
    assert any("Run All parou" in p for p in verify.run_all_problems(stopped))


def test_a_blank_test_that_hides_the_not_answered_message_is_caught(runs, tmp_path):
    _, _, run = runs["90_good"]

    def swallow(nb):
        cell = _test_cell(nb)
        cell.source = "try:\n    double(3)\nexcept NotImplementedError:\n    raise AssertionError('errado') from None\n"

    hidden = _student_run_of(run, tmp_path, swallow)
    assert any("não foi respondido" in p for p in verify.run_all_problems(hidden))
