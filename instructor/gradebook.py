"""The one writer of the course's grades: results go into nbgrader's gradebook one at a time.

nbgrader's SQLite gradebook takes one writer (nbgrader grades serially, jupyter/nbgrader#174), so
workers grade in throwaway copies and only this module, in the grader's process, writes the
course: the gradebook (nbgrader's own API, as its SaveAutoGrades does, manual grades left
alone), the autograded notebook and the feedback page (each replaced whole, never half-written),
and the ledger of what was graded from which file (autograded/.modulo4/<lesson>.json), which
lets a re-run skip what did not change.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from . import layout
from .collect import REVIEW
from .task import Result


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never a part of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would hide grades from a shared grader group
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def needs_review(flags: list[dict]) -> bool:
    return any(f["code"] in REVIEW for f in flags)


def record(course: Path, result: Result, timestamp: str | None) -> None:
    """Result -> gradebook. A result without scores (nothing gradable, nbgrader failed) counts
    zero and goes to review, so a failed regrade never keeps an old grade."""
    from nbgrader.api import Gradebook

    review = needs_review(result.flags)
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        gb.update_or_create_student(result.student)
        extra = {"timestamp": timestamp} if timestamp else {}
        submission = gb.update_or_create_submission(result.lesson, result.student, **extra)
        for notebook in submission.notebooks:
            notebook.flagged = review
            for grade in notebook.grades:
                auto = result.grades.get(grade.name, (0.0, None))[0] if result.grades else 0.0
                grade.auto_score = auto
                grade.needs_manual_grade = grade.manual_score is not None or auto is None or review
            for comment in notebook.comments:
                comment.auto_comment = result.comments.get(comment.name)
        gb.db.commit()


# nbgrader's exchange bookkeeping, kept beside the autograded notebook and the feedback as
# nbgrader's own autograde and generate_feedback keep it (release_feedback reads both).
BOOKKEEPING = ("timestamp.txt", "submission_secret.txt")


def store_files(course: Path, result: Result) -> None:
    """The autograded notebook and the feedback page where nbgrader keeps them; no page this
    time (a failed regrade, ``--sem-devolutiva``) removes the one an earlier grading left."""
    folders = []
    if result.autograded is not None:
        target = layout.notebook(course, "autograded", result.lesson, result.student)
        write_atomically(target, result.autograded)
        folders.append(target.parent)
    page = layout.notebook(course, "feedback", result.lesson, result.student).with_suffix(".html")
    if result.feedback is not None:
        write_atomically(page, result.feedback)
        folders.append(page.parent)
    else:  # a page from an earlier grading would tell the student a score they no longer have
        page.unlink(missing_ok=True)
    submitted = layout.notebook(course, "submitted", result.lesson, result.student).parent
    for name in BOOKKEEPING:
        if (submitted / name).is_file():
            for folder in folders:
                write_atomically(folder / name, (submitted / name).read_bytes())


# --- the ledger -----------------------------------------------------------------------------------
def ledger_path(course: Path, lesson: str) -> Path:
    return Path(course) / "autograded" / ".modulo4" / f"{lesson}.json"


def read_ledger(course: Path, lesson: str) -> dict[str, dict]:
    path = ledger_path(course, lesson)
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}  # a damaged ledger only costs a full regrade


def write_ledger(course: Path, lesson: str, ledger: dict[str, dict]) -> None:
    data = json.dumps(ledger, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
    write_atomically(ledger_path(course, lesson), data)
