"""A class on one machine, the way it runs on a JupyterHub: nbgrader's exchange end to end.

The commands of the README ("Numa JupyterHub"), in its order: the instructor releases lesson 01
into an exchange directory; three students, each with a home of their own, fetch it, answer it
(all, none, half) and submit; the instructor collects, grades with ``python -m instructor grade``
and releases the feedback, which each student fetches. Every step is the real command line, run
as a subprocess, so the configuration files are read the way nbgrader reads them on a Hub.

Who is the student: nbgrader 0.9.6 takes the name from the Unix account
(``nbgrader.utils.get_username``, ``pwd.getpwuid(os.getuid())``; on Zero to JupyterHub, where
every pod is ``jovyan``, from ``JUPYTERHUB_USER``), never from ``USER`` or ``LOGNAME``. Here
every student is the same Unix user, so each student's config names them
(``CourseDirectory.student_id``, what ``--student`` sets). ``HOME`` is what does separate them:
it holds their ``~/.jupyter/nbgrader_config.py`` and nbgrader's submission cache, which
``fetch_feedback`` needs to find their feedback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from instructor.build import SOLUTION
from instructor.grading import load_config
from instructor.layout import REPO, notebook

LESSON = "01_requires_grad"
COURSE_CONFIG = REPO / "nbgrader_config.py"
BIN = Path(sys.executable).parent
# Student -> how many of the lesson's exercises they answer with the instructor's solution.
WORK = {"ana": "todos", "bruno": "nenhum", "carla": "metade"}


@dataclass
class Classroom:
    course: Path  # the instructor's course directory (gradebook.db, submitted/, feedback/)
    homes: dict[str, Path]  # student -> their HOME
    logs: list[str]  # each command with its output and time, for failure messages


def _env(home: Path, user: str | None = None) -> dict[str, str]:
    """The environment of one account: its HOME and nothing of the Jupyter setup running pytest."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "XDG_", "NBGRADER"))}
    env.update(HOME=str(home), PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    if user:
        env["JUPYTERHUB_USER"] = user  # what JupyterHub sets in each user's server
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], logs: list[str]) -> str:
    start = time.monotonic()
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    took = time.monotonic() - start
    logs.append(f"$ {' '.join(args)}  (em {cwd}, {took:.0f} s)\n{result.stdout}{result.stderr}")
    assert result.returncode == 0, logs[-1]
    return result.stdout + result.stderr


def _course_id() -> str:
    """As the course's nbgrader_config.py sets it: the one place for it."""
    return load_config(REPO).CourseDirectory.course_id


def _instructor_config(course: Path, exchange: Path) -> str:
    """The course's settings (loaded, not copied) plus where this course and exchange live."""
    return (
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(COURSE_CONFIG)!r})  # noqa: F821\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
    )


def _student_config(course_id: str, exchange: Path, student: str) -> str:
    """What a Hub gives every student (README), plus who they are (see the module's docstring)."""
    return (
        "c = get_config()  # noqa: F821\n"
        f"c.CourseDirectory.course_id = {course_id!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        f"c.CourseDirectory.student_id = {student!r}\n"
    )


def _solutions(source: Path) -> dict[str, str]:
    """grade_id -> the instructor's answer, as a student would type it (no BEGIN/END markers)."""
    answers = {}
    for cell in nbformat.read(source, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            lines = [line for line in cell.source.splitlines() if line.strip() not in SOLUTION]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def _answer(path: Path, answers: dict[str, str], how_many: str) -> None:
    """Fills the fetched notebook in place: every exercise, none, or the first half."""
    chosen = list(answers)
    chosen = {"todos": chosen, "nenhum": [], "metade": chosen[: len(chosen) // 2]}[how_many]
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in chosen:
            cell.source = answers[grade_id]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def classroom(tmp_path_factory) -> Classroom:
    root = tmp_path_factory.mktemp("hub")
    course, exchange = root / "curso", root / "exchange"
    instructor_home = root / "home" / "instrutor"
    homes = {s: root / "home" / s for s in WORK}
    logs: list[str] = []
    course_id = _course_id()

    # As nbgrader's docs set up an exchange: it exists beforehand and everyone may write in it.
    exchange.mkdir()
    exchange.chmod(0o777)
    # The instructor's course is a clone of this repository: source/ and release/ come built.
    for folder in ("source", "release"):
        shutil.copytree(REPO / folder / LESSON, course / folder / LESSON)
    (course / "nbgrader_config.py").write_text(_instructor_config(course, exchange), encoding="utf-8")
    instructor_home.mkdir(parents=True)
    for student, home in homes.items():
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text(
            _student_config(course_id, exchange, student), encoding="utf-8"
        )

    teacher = _env(instructor_home)
    nbgrader = str(BIN / "nbgrader")

    def as_student(student: str, *args: str) -> str:
        return _run([nbgrader, *args], homes[student], _env(homes[student], student), logs)

    _run([nbgrader, "release_assignment", LESSON], course, teacher, logs)
    answers = _solutions(notebook(course, "source", LESSON))

    def work(student: str) -> None:
        as_student(student, "fetch_assignment", LESSON)
        _answer(homes[student] / LESSON / f"{LESSON}.ipynb", answers, WORK[student])
        as_student(student, "submit", LESSON)

    # Students work at the same time, as on a Hub (and each nbgrader start costs seconds).
    with ThreadPoolExecutor(len(WORK)) as pool:
        list(pool.map(work, WORK))
    _run([nbgrader, "collect", LESSON], course, teacher, logs)
    # grade writes the feedback pages (with nbgrader's bookkeeping): released as they are.
    _run([sys.executable, "-m", "instructor", "grade", LESSON, "--course", str(course)], REPO, teacher, logs)
    _run([nbgrader, "release_feedback", LESSON], course, teacher, logs)
    with ThreadPoolExecutor(len(WORK)) as pool:
        list(pool.map(lambda student: as_student(student, "fetch_feedback", LESSON), WORK))
    return Classroom(course, homes, logs)


def _score(course: Path, student: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        submission = gb.find_submission(LESSON, student)
        return submission.score, submission.max_score


def test_each_submission_is_collected_under_its_student(classroom):
    collected = sorted(p.parent.name for p in (classroom.course / "submitted").glob(f"*/{LESSON}"))
    assert collected == sorted(WORK)


def test_grades_in_the_gradebook_follow_what_each_student_answered(classroom):
    scores = {student: _score(classroom.course, student) for student in WORK}
    assert scores["ana"] == (10, 10), scores
    assert scores["bruno"] == (0, 10), scores
    assert 0 < scores["carla"][0] < 10, scores


def test_each_student_fetches_their_own_feedback(classroom):
    for student, home in classroom.homes.items():
        pages = list((home / LESSON / "feedback").glob(f"*/{LESSON}.html"))
        assert len(pages) == 1, f"{student}: {pages}\n" + "\n".join(classroom.logs[-len(WORK):])
        score, max_score = _score(classroom.course, student)
        assert f"Score: {float(score)} / {float(max_score)}" in pages[0].read_text(encoding="utf-8"), student
