"""The grading contract of a lesson, as checks that return the problems they find.

Each ``*_problems`` function returns a list of messages (empty = fine), so the test
suite asserts on real lessons that the list is empty and, on deliberately broken
lessons, that it is not: the checks are shown to fail what they should fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .build import (
    HIDDEN,
    SOLUTION,
    build_notebook,
    exercise_points,
    notebook_text,
    regions,
    without_regions,
)
from .grading import (
    generate_assignment,
    not_answered_message,
    run_as_student,
    sandbox,
    validate,
)
from .layout import notebook

BLANK, SOLVED = "aluno_em_branco", "aluno_com_solucao"


@dataclass
class LessonRun:
    """What nbgrader made of one instructor notebook, in a throwaway course directory."""

    assignment: str
    source_text: str
    release_text: str
    source_validation: dict
    student_run: nbformat.NotebookNode  # the release after a Run All, as JupyterLab does it
    not_answered: str  # what a blank exercise raises (nbgrader_config.py's stub)
    blank_scores: dict[str, tuple[float, float]]
    solution_scores: dict[str, tuple[float, float]]
    solution_flags: list[dict]  # what the class grader reported on the solutions (should be nothing)


def run_lesson(source_notebook: Path, workdir: Path) -> LessonRun:
    """Generates the release, validates the instructor notebook, runs the release the way a
    student's Run All does, and autogrades two submissions: the untouched release and the
    instructor's solutions."""
    assignment = Path(source_notebook).stem
    config = sandbox(workdir, assignment, source_notebook)
    source = notebook(workdir, "source", assignment)
    release = generate_assignment(config, assignment)
    source_validation = validate(config, source, validate_all=True)
    student_run = run_as_student(release)
    template = (Path(workdir) / "gradebook.db").read_bytes()
    blank_scores, _ = _graded_as_class(assignment, source, release, template, BLANK)
    solution_scores, solution_flags = _graded_as_class(assignment, source, source, template, SOLVED)
    return LessonRun(
        assignment,
        source.read_text(encoding="utf-8"),
        release.read_text(encoding="utf-8"),
        source_validation,
        student_run,
        not_answered_message(config),
        blank_scores,
        solution_scores,
        solution_flags,
    )


def _graded_as_class(assignment: str, source: Path, submission: Path, template: bytes, student: str):
    """Graded the way ``python -m instructor grade`` grades a class (limits, sandbox where it
    works, integrity checks), so a lesson that only passes plain nbgrader is caught."""
    from . import sandbox
    from .tamper import imported_names
    from .task import Job, Limits, grade_one

    source_bytes = source.read_bytes()
    expected = imported_names(nbformat.reads(source_bytes.decode("utf-8"), as_version=4))
    # Generous: a lesson's whole run on a loaded machine; threads=0 keeps torch's default.
    limits = Limits(budget_s=2400, threads=0)
    job = Job(assignment, student, source_bytes, template, submission.read_bytes(), None, limits,
              sandbox.unavailable_reason() is None, expected, feedback=False)  # only the scores are checked
    result = grade_one(job)
    scores = {gid: (auto or 0.0, top) for gid, (auto, top) in result.grades.items()}
    return scores, result.flags


def _first_line(source: str) -> str:
    return next((line for line in source.splitlines() if line.strip()), "")[:80]


def drift_problems(lesson_py: Path, committed_source: Path, committed_release: Path, run: LessonRun) -> list[str]:
    """source/ and release/ must be exactly what the build and nbgrader make now."""
    problems = []
    if not committed_source.exists() or committed_source.read_text(encoding="utf-8") != notebook_text(
        build_notebook(lesson_py)
    ):
        problems.append(f"{committed_source} difere do build de {lesson_py}: rode `python -m instructor build`")
    if not committed_release.exists() or committed_release.read_text(encoding="utf-8") != run.release_text:
        problems.append(f"{committed_release} difere do que o nbgrader gera: rode `python -m instructor build`")
    return problems


def _regions(nb, kind: str, markers: tuple[str, str]) -> list[str]:
    """Lines inside the solution (or hidden-test) regions of the instructor notebook."""
    lines = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get(kind):
            continue
        for start, end in regions(cell.source, markers):
            lines += cell.source.splitlines()[start + 1 : end]
    return lines


def leak_problems(source_text: str, release_text: str) -> list[str]:
    """No solution code and no hidden test may reach the student's notebook.

    A line counts as leaked when it appears in the release but, in the instructor
    notebook, only inside solution or hidden-test regions (a line such as ``return out``
    that a demo cell also has is not evidence).
    """
    source = nbformat.reads(source_text, as_version=4)
    release = nbformat.reads(release_text, as_version=4)
    secret = _regions(source, "solution", SOLUTION) + _regions(source, "grade", HIDDEN)
    public = set()
    for cell in source.cells:
        text = cell.source
        for markers in (SOLUTION, HIDDEN):
            text = without_regions(text, regions(text, markers))
        public.update(line.strip() for line in text.splitlines())
    released = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    problems = [
        f"vazou para o aluno: {line.strip()!r}"
        for line in dict.fromkeys(secret)
        if len(line.strip()) > 3 and not line.strip().startswith("#")
        and line.strip() in released and line.strip() not in public
    ]
    for marker in SOLUTION + HIDDEN:
        if marker in release_text:
            problems.append(f"o notebook do aluno ainda tem o marcador {marker!r}")
    return problems


def source_problems(run: LessonRun) -> list[str]:
    """The instructor notebook runs top to bottom: no error, no stderr, every test passes."""
    if not run.source_validation:
        return []
    return [
        f"notebook do instrutor: célula falhou: {_first_line(cell['source'])!r}"
        for key in ("failed", "changed", "type_changed")
        for cell in run.source_validation.get(key, [])
    ] or [f"notebook do instrutor: {json.dumps(run.source_validation)[:500]}"]


def _graded(cell) -> bool:
    return bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))


def _error_text(cell) -> str | None:
    """The error a cell showed (name, message and traceback), None when it raised nothing."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    if not errors:
        return None
    return "\n".join(f"{e.get('ename')}: {e.get('evalue')}\n" + "\n".join(e.get("traceback", [])) for e in errors)


def run_all_problems(run: LessonRun) -> list[str]:
    """Run All on the untouched student notebook reaches the last cell; every test fails
    with the Portuguese "not answered" message, and nothing else fails."""
    cells = [c for c in run.student_run.cells if c.cell_type == "code"]
    problems = []
    if run.student_run.metadata.get("run_all_stopped"):
        problems.append(f"Run All parou antes do fim: {run.student_run.metadata['run_all_stopped']}")
    elif cells and cells[-1].get("execution_count") is None:
        problems.append("Run All não chegou à última célula")
    for cell in cells:
        error = _error_text(cell)
        if _graded(cell):
            if error is not None and run.not_answered not in error:
                problems.append(
                    f"teste em branco não diz que o exercício não foi respondido: {_first_line(cell.source)!r}"
                )
        elif error is not None:
            problems.append(f"célula que não é teste falhou no notebook em branco: {_first_line(cell.source)!r}")
    return problems


def free_point_problems(run: LessonRun) -> list[str]:
    """The untouched student notebook must fail every graded cell and score zero."""
    problems = [
        f"teste passa no notebook em branco: {_first_line(cell.source)!r}"
        for cell in run.student_run.cells
        if _graded(cell) and cell.get("execution_count") is not None and _error_text(cell) is None
    ]
    problems += [
        f"{grade_id}: {score:g} ponto(s) para o notebook em branco"
        for grade_id, (score, _) in sorted(run.blank_scores.items())
        if score > 0
    ]
    if not run.blank_scores:
        problems.append("a correção não encontrou nenhuma célula pontuada")
    return problems


def full_marks_problems(run: LessonRun) -> list[str]:
    """The instructor's solutions, submitted as a student, get every point, and the grader
    finds nothing to report about them (no tampering, time, memory or output flag)."""
    problems = [
        f"{grade_id}: solução recebeu {score:g} de {max_score:g}"
        for grade_id, (score, max_score) in sorted(run.solution_scores.items())
        if score < max_score
    ]
    problems += [f"a correção sinalizou a solução: {f['code']} ({f['cell']}): {f['message']}"
                 for f in run.solution_flags]
    if not run.solution_scores:
        problems.append("a correção não encontrou nenhuma célula pontuada")
    return problems


def contract_problems(source_text: str, expected: dict[str, float]) -> list[str]:
    """Every contract exercise has its solution cell and graded tests worth its points."""
    nb = nbformat.reads(source_text, as_version=4)
    solutions = {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    points = exercise_points(nb)
    problems = []
    for name, want in expected.items():
        if name not in solutions:
            problems.append(f"{name}: sem célula de solução com grade_id {name!r}")
        elif points.get(name, 0.0) != want:
            problems.append(f"{name}: testes valem {points.get(name, 0.0):g} ponto(s), o contrato diz {want:g}")
    return problems
