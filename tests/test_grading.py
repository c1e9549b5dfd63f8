"""The grading contract, for every lesson present in notebooks/.

Scores come from nbgrader's gradebook and verdicts from its Validator API, never from
exit codes (which stay 0 when tests fail). tests/test_grading_machinery.py shows that
each of these checks fails on a lesson broken on purpose.

One test class per lesson: `make test` runs two xdist workers with ``--dist loadscope``,
which keeps a class in one worker, so each lesson's nbgrader runs happen once and different
lessons grade in parallel. (``xdist_group`` marks are not honoured with pytest 9.2.)
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


class LessonContract:
    """The grading contract of the lesson ``lid`` (set by each subclass below)."""

    lid: str

    @pytest.fixture(scope="class")
    def run(self, request, tmp_path_factory):
        lid = request.cls.lid
        source = notebook(REPO, "source", lid)
        if not source.exists():
            pytest.fail(f"{source} não existe: rode `python -m instructor build {lid}`")
        return verify.run_lesson(source, tmp_path_factory.mktemp(lid))

    def test_source_runs_top_to_bottom_and_passes(self, run):
        assert verify.source_problems(run) == []

    def test_source_and_release_are_up_to_date(self, run):
        problems = verify.drift_problems(
            lesson_file(self.lid), notebook(REPO, "source", self.lid), notebook(REPO, "release", self.lid), run
        )
        assert problems == []

    def test_release_leaks_no_solution_and_no_hidden_test(self, run):
        assert verify.leak_problems(run.source_text, run.release_text) == []

    def test_run_all_on_the_release_reaches_the_end_and_blank_tests_say_not_answered(self, run):
        assert verify.run_all_problems(run) == []

    def test_untouched_release_fails_every_test_and_scores_zero(self, run):
        assert verify.free_point_problems(run) == []

    def test_solutions_autograde_to_full_marks(self, run):
        assert verify.full_marks_problems(run) == []

    def test_contract_exercises_have_solution_and_tests_with_their_points(self):
        expected = load_contract().get(self.lid)
        if expected is None:
            pytest.skip(f"{self.lid} não tem exercícios no contrato")
        source = notebook(REPO, "source", self.lid).read_text(encoding="utf-8")
        assert verify.contract_problems(source, expected) == []


for _lid in LESSONS:
    globals()[f"TestLesson_{_lid}"] = type(f"TestLesson_{_lid}", (LessonContract,), {"lid": _lid})


def test_every_lesson_of_the_contract_is_a_known_lesson_id():
    assert set(LESSONS) <= set(load_contract())


@pytest.mark.parametrize("copy", sorted(VENDORED), ids=lambda p: p.name)
def test_vendored_documents_are_the_shared_ones(copy):
    shared = VENDORED[copy]
    if not shared.exists():
        pytest.skip(f"sem {shared}")
    assert copy.read_text(encoding="utf-8") == shared.read_text(encoding="utf-8")
