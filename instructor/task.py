"""One submission graded in its own working copy: the unit of work a Dask worker runs.

A ``Job`` carries everything as bytes (instructor notebook, an empty gradebook holding the
assignment, the submission), so a worker on another machine needs only the course's Python
environment, not the course folder. The worker runs nbgrader's autograde and feedback in a
throwaway course directory with its own gradebook and returns a ``Result``: scores,
comments, the autograded notebook, the feedback page and what happened. It never touches the
course's gradebook: the grader merges results there, one at a time (gradebook.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import layout, sandbox


@dataclass(frozen=True)
class Limits:
    """Per submission, not per cell (the class-grading issue): wall time for the whole
    notebook, memory of the kernel, output of the whole notebook."""

    budget_s: int = 900
    memory_mb: int = 2048
    output_bytes: int = 2_000_000
    threads: int = 1


@dataclass(frozen=True)
class Job:
    lesson: str
    student: str
    source: bytes  # the instructor notebook (solutions, hidden tests)
    template_db: bytes  # a gradebook that knows the assignment and no student
    submission: bytes  # the student's notebook, already read and normalized (collect.py)
    timestamp: str | None
    limits: Limits
    sandbox: bool
    expected_names: dict[str, str] = field(default_factory=dict)
    feedback: bool = True  # the HTML page, 1-2 s of CPU each; without it, nbgrader generate_feedback later


@dataclass
class Result:
    lesson: str
    student: str
    grades: dict[str, tuple[float | None, float]]  # grade_id: (auto_score, max_score)
    comments: dict[str, str | None]  # solution grade_id: nbgrader's auto comment
    flags: list[dict]  # {"code", "cell", "message"}
    autograded: bytes | None = None
    feedback: bytes | None = None
    seconds: float = 0.0
    log: str = ""


def _config(course: Path, job: Job, home: Path, report: Path, zygote=None):
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    from .bounded import BoundedExecute, LimitedKernelManager
    from .grading import load_config

    config = load_config(course)
    config.Autograde.autograde_preprocessors = [BoundedExecute, IgnorePattern, ClearMetadataPreprocessor,
                                                LimitOutput, SaveAutoGrades, AssignLatePenalties,
                                                CheckCellMetadata]
    limits = job.limits
    bounded = config.BoundedExecute
    bounded.kernel_manager_class = LimitedKernelManager
    bounded.budget_s, bounded.memory_mb = limits.budget_s, limits.memory_mb
    bounded.output_bytes, bounded.threads = limits.output_bytes, limits.threads
    bounded.kernel_home, bounded.report_path = str(home), str(report)
    bounded.expected_names = dict(job.expected_names)
    if job.sandbox:
        workdir = layout.notebook(course, "autograded", job.lesson, job.student).parent
        if zygote is not None:
            bounded.zygote_socket = str(zygote.socket)
            bounded.zygote_paths = {"writable": [str(workdir), str(home)], "readable": [str(p) for p in _readable()]}
        else:
            bounded.bwrap = sandbox.bwrap_prefix([workdir, home], _readable(), home)
    return config


def _readable() -> list[Path]:
    """What a sandboxed kernel reads besides the system: the environment, helpers, MNIST."""
    from helpers.mnist import data_root

    return [*sandbox.python_paths(), data_root()]


def _zygote(sandboxed: bool, threads: int):
    """This worker's kernel zygote (zygote.py), or None: kernels then start one by one."""
    if not sandboxed:
        return None
    from helpers.mnist import data_root

    from . import zygote

    # Bound into the zygote's sandbox when it starts, so it must exist then: MNIST may arrive later.
    data_root().mkdir(parents=True, exist_ok=True)
    return zygote.for_worker(_readable(), dict(os.environ), threads)


def _scores(db: Path, job: Job) -> tuple[dict, dict]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        submission = gb.find_submission(job.lesson, job.student)
        grades = {g.name: (None if g.auto_score is None else float(g.auto_score), float(g.max_score))
                  for nb in submission.notebooks for g in nb.grades}
        comments = {c.name: c.auto_comment for nb in submission.notebooks for c in nb.comments}
    return grades, comments


def grade_one(job: Job) -> Result:
    """Autograde and feedback of one submission, in a throwaway course directory."""
    from .grading import _api, _quiet

    start = time.monotonic()
    if job.sandbox and b"mnist" in job.source.lower():
        _ensure_mnist()
    zygote = _zygote(job.sandbox, job.limits.threads)
    # Under the zygote's folder: the only place its kernels can be given a working copy.
    scratch = None if zygote is None else zygote.root
    with tempfile.TemporaryDirectory(prefix="modulo4-nota-", dir=scratch) as tmp, _inside(tmp):
        course, home, report = Path(tmp) / "curso", Path(tmp) / "kernel", Path(tmp) / "eventos.json"
        home.mkdir()
        (home / "matplotlib").mkdir()
        source = layout.notebook(course, "source", job.lesson)
        source.parent.mkdir(parents=True)
        source.write_bytes(job.source)
        (course / "gradebook.db").write_bytes(job.template_db)
        submitted = layout.notebook(course, "submitted", job.lesson, job.student)
        submitted.parent.mkdir(parents=True)
        submitted.write_bytes(job.submission)
        if job.timestamp:
            (submitted.parent / "timestamp.txt").write_text(job.timestamp, encoding="utf-8")
        layout.notebook(course, "autograded", job.lesson, job.student).parent.mkdir(parents=True)

        api = _api(_config(course, job, home, report, zygote))
        with _quiet():
            graded = api.autograde(job.lesson, job.student, force=True, create=True)
        flags = json.loads(report.read_text(encoding="utf-8")) if report.exists() else []
        if not graded["success"]:
            flags.append({"code": "erro_correcao", "cell": None,
                          "message": "o nbgrader não conseguiu corrigir: " + _last_line(graded)})
            return Result(job.lesson, job.student, {}, {}, flags, seconds=time.monotonic() - start,
                          log=str(graded.get("log", ""))[-4000:])
        grades, comments = _scores(course / "gradebook.db", job)
        feedback = layout.notebook(course, "feedback", job.lesson, job.student).with_suffix(".html")
        if job.feedback:
            with _quiet():
                api.generate_feedback(job.lesson, job.student, force=True)
        return Result(job.lesson, job.student, grades, comments, flags,
                      autograded=layout.notebook(course, "autograded", job.lesson, job.student).read_bytes(),
                      feedback=feedback.read_bytes() if feedback.exists() else None,
                      seconds=time.monotonic() - start)


@contextlib.contextmanager
def _inside(folder: str):
    """nbgrader saves and restores the working directory, and ``os.getcwd()`` fails in a worker
    whose directory is gone: a local worker inherits the grader's, which can be a temporary
    course of nbgrader's own at that moment; a remote one may have started in a scratch folder."""
    try:
        previous = os.getcwd()
    except FileNotFoundError:
        previous = tempfile.gettempdir()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous if os.path.isdir(previous) else tempfile.gettempdir())


def _ensure_mnist() -> None:
    """In the sandbox the kernel reads MNIST from the shared cache, read-only: fill it first."""
    from helpers.mnist import ensure_mnist

    try:
        ensure_mnist()
    except Exception as err:  # the lesson's own tests will say what is missing
        print(f"aviso: MNIST indisponível para a correção ({err})", file=sys.stderr)


def warm_up(sandboxed: bool = False, threads: int = 1) -> None:
    """Run once on each worker: the imports every grading needs and the kernel zygote (seconds
    of CPU), paid while the grader is still preparing the lessons rather than by the first
    submissions."""
    import nbconvert.exporters  # noqa: F401
    import nbgrader.apps  # noqa: F401
    import nbgrader.preprocessors  # noqa: F401

    from . import bounded  # noqa: F401

    if sandboxed:
        _zygote(sandboxed, threads)


def _last_line(result: dict) -> str:
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "sem mensagem"
