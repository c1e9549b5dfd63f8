"""Runs nbgrader on a course directory and reads the results where they can be trusted.

nbgrader's exit codes say nothing about tests (see nbgrader-notes.md beside this module): scores
come from the gradebook, pass/fail from the Validator API.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import io
import logging
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import nbformat
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from . import layout
from .layout import REPO


class GradingError(Exception):
    """nbgrader could not process an assignment (metadata error, dead kernel, ...)."""


def load_config(root: Path, config_file: Path = REPO / "nbgrader_config.py") -> Config:
    """The course's nbgrader configuration, pointed at course directory ``root``."""
    config = PyFileConfigLoader(config_file.name, path=str(config_file.parent)).load_config()
    root = Path(root).resolve()
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    return config


@contextlib.contextmanager
def _quiet():
    """nbgrader logs to stderr at INFO; keep test output readable."""
    logger = logging.getLogger("traitlets")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _tools_on_path() -> None:
    """nbgrader runs `alembic` by name: it must find the one of this environment even
    when the environment was not activated (``.venv/bin/python -m instructor``)."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def _api(config: Config):
    _tools_on_path()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def _check(result: dict, what: str) -> None:
    if not result["success"]:
        raise GradingError(f"{what} falhou:\n{result.get('error', '')}\n{result.get('log', '')}")


@functools.cache
def _alembic_head() -> str:
    from nbgrader.api import get_alembic_version

    _tools_on_path()
    return get_alembic_version()


def new_gradebook(target: Path, like: Path | None = None) -> None:
    """An empty gradebook at the schema version of ``like`` (an existing gradebook) or of this
    nbgrader. For every new gradebook nbgrader asks ``alembic heads`` in a subprocess (4-5 s of
    CPU); an ``alembic_version`` table already there is what it checks instead
    (``nbgrader.api.Gradebook``), so here the question is asked once per process at most."""
    if like is not None and Path(like).is_file():
        with contextlib.closing(sqlite3.connect(like)) as db:
            (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
    else:
        version = _alembic_head()
    with contextlib.closing(sqlite3.connect(target)) as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (version,))
        db.commit()


def generate_assignment(config: Config, assignment: str) -> Path:
    """source/<a> -> release/<a> with nbgrader, also registering it in the gradebook."""
    db = Path(config.CourseDirectory.root) / "gradebook.db"
    if not db.exists():
        new_gradebook(db)
    with _quiet():
        _check(_api(config).generate_assignment(assignment, force=True, create=True), "generate_assignment")
    return layout.notebook(config.CourseDirectory.root, "release", assignment)


def validate(config: Config, notebook: Path, *, validate_all: bool = False) -> dict:
    """Runs a notebook and returns nbgrader's verdict: ``{}`` when it is clean.

    ``validate_all=True`` also fails on errors and stderr in ungraded code cells.
    """
    from nbgrader.validator import Validator

    validator = Validator(config=config)
    validator.validate_all = validate_all
    validator.stream = io.StringIO()
    with _quiet():
        return validator.validate(str(notebook))


def not_answered_message(config: Config) -> str:
    """The message of the stub nbgrader puts in a blank exercise (``nbgrader_config.py``)."""
    stub = config.ClearSolutions.code_stub["python"]
    return ast.literal_eval(stub[stub.index("(") + 1 : stub.rindex(")")])


def run_as_student(notebook: Path) -> nbformat.NotebookNode:
    """Runs a notebook top to bottom the way JupyterLab's Run All does: it stops at the first
    cell that raises unless the cell is tagged ``raises-exception``. Demos shrink as under
    nbgrader (``NBGRADER_EXECUTION``); where it stopped is in ``metadata["run_all_stopped"]``."""
    from nbclient.exceptions import CellExecutionError

    from .kernelwait import notebook_client

    nb = nbformat.read(notebook, as_version=4)
    client = notebook_client(nb, timeout=600, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(Path(notebook).parent)}})
    previous = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "validate"
    try:
        client.execute()
    except CellExecutionError as err:
        nb.metadata["run_all_stopped"] = str(err).strip().splitlines()[-1][:300]
    finally:
        if previous is None:
            del os.environ["NBGRADER_EXECUTION"]
        else:
            os.environ["NBGRADER_EXECUTION"] = previous
    return nb


def sandbox(root: Path, assignment: str, source_notebook: Path) -> Config:
    """A throwaway course directory holding one assignment's instructor notebook."""
    target = layout.notebook(root, "source", assignment)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source_notebook, target)
    return load_config(root)

