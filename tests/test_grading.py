"""The grading contract, for every lesson present in notebooks/.

Scores come from nbgrader's gradebook and verdicts from its Validator API, never from
exit codes (which stay 0 when tests fail). tests/test_grading_machinery.py shows that
each of these checks fails on a lesson broken on purpose.
"""


import pytest

from instructor import verify
from instructor.contract import CONTRACT, load_contract
from instructor.layout import REPO, lesson_file, lesson_ids, notebook

LESSONS = lesson_ids()
SHARED = REPO.parent / "shared"
# Documents the course keeps a verbatim copy of, so the repository stands alone.
VENDORED = {
    CONTRACT: SHARED / "exercise-contract.md",
    REPO / "notebooks" / "lesson-style.md": SHARED / "lesson-style.md",
    REPO / "instructor" / "nbgrader-notes.md": SHARED / "notes" / "nbgrader.md",
}


# Each lesson's nbgrader runs happen once, in one xdist worker (make test runs two): the tests
# of a lesson share a group, and different lessons grade in parallel.
@pytest.fixture(scope="module", params=[pytest.param(lid, marks=pytest.mark.xdist_group(lid)) for lid in LESSONS])
def lesson(request, tmp_path_factory):
    lid = request.param
    source = notebook(REPO, "source", lid)
    if not source.exists():
        pytest.fail(f"{source} não existe: rode `python -m instructor build {lid}`")
    return lid, verify.run_lesson(source, tmp_path_factory.mktemp(lid))


def test_source_runs_top_to_bottom_and_passes(lesson):
    _, run = lesson
    assert verify.source_problems(run) == []


def test_source_and_release_are_up_to_date(lesson):
    lid, run = lesson
    problems = verify.drift_problems(
        lesson_file(lid),
        notebook(REPO, "source", lid),
        notebook(REPO, "release", lid),
        run,
    )
    assert problems == []


def test_release_leaks_no_solution_and_no_hidden_test(lesson):
    _, run = lesson
    assert verify.leak_problems(run.source_text, run.release_text) == []


def test_run_all_on_the_release_reaches_the_end_and_blank_tests_say_not_answered(lesson):
    _, run = lesson
    assert verify.run_all_problems(run) == []


def test_untouched_release_fails_every_test_and_scores_zero(lesson):
    _, run = lesson
    assert verify.free_point_problems(run) == []


def test_solutions_autograde_to_full_marks(lesson):
    _, run = lesson
    assert verify.full_marks_problems(run) == []


@pytest.mark.parametrize("lid", LESSONS)
def test_contract_exercises_have_solution_and_tests_with_their_points(lid):
    expected = load_contract().get(lid)
    if expected is None:
        pytest.skip(f"{lid} não tem exercícios no contrato")
    source = notebook(REPO, "source", lid).read_text(encoding="utf-8")
    assert verify.contract_problems(source, expected) == []


def test_every_lesson_of_the_contract_is_a_known_lesson_id():
    assert set(LESSONS) <= set(load_contract())


@pytest.mark.parametrize("copy", sorted(VENDORED), ids=lambda p: p.name)
def test_vendored_documents_are_the_shared_ones(copy):
    shared = VENDORED[copy]
    if not shared.exists():
        pytest.skip(f"sem {shared}")
    assert copy.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")
