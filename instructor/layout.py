"""Where the course keeps each thing: the one place for the lesson-id pattern and the paths.

A lesson ``<id>`` is written in ``notebooks/<id>.py``; nbgrader's course layout puts its
notebook at ``<folder>/<id>/<id>.ipynb`` for ``source``, ``release``, and at
``<folder>/<student>/<id>/<id>.ipynb`` for ``submitted``, ``autograded``, ``feedback``.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LESSON_RE = re.compile(r"^\d\d_[a-z0-9_]+$")
LESSON_GLOB = "[0-9][0-9]_*.py"


def lesson_files(root: Path = REPO) -> list[Path]:
    """The lesson files of a course, ``notebooks/NN_name.py``, in lesson order."""
    return sorted((Path(root) / "notebooks").glob(LESSON_GLOB))


def lesson_ids(root: Path = REPO) -> list[str]:
    return [p.stem for p in lesson_files(root)]


def lesson_file(lid: str, root: Path = REPO) -> Path:
    return Path(root) / "notebooks" / f"{lid}.py"


def notebook(root: Path, folder: str, lid: str, student: str | None = None) -> Path:
    """``root/folder/[student/]lid/lid.ipynb``: nbgrader's place for one lesson's notebook."""
    base = Path(root) / folder
    if student is not None:
        base = base / student
    return base / lid / f"{lid}.ipynb"
