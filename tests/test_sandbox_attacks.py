"""A dishonest student against the class grader: every attack gains nothing and is flagged.

The attacks of issue 12, each a real submission of lesson 01 graded next to honest students:
copying the solutions from source/, rewriting the gradebook, writing helpers/checks.py,
rebinding the checkers and torch's comparisons, and an IPython input transformer that turns
every test cell into ``pass``. Each attack is scored against what the same student earns
without it (their own answers: blank or wrong), must be flagged for review with the cell that
did it, and the honest students around it keep full marks. Needs bubblewrap (the sandbox);
skipped with the reason where it cannot run.
"""

from __future__ import annotations

import os
import sqlite3

import nbformat
import pytest

from instructor import sandbox
from instructor.classgrade import Options, grade
from instructor.layout import REPO, notebook
from tests.fixtures import submissions as S

LID = "01_requires_grad"

# CI sets MODULO4_REQUIRE_SANDBOX: there a missing bubblewrap is a failure, not a skip.
if sandbox.unavailable_reason() is not None and os.environ.get("MODULO4_REQUIRE_SANDBOX"):
    raise RuntimeError(f"MODULO4_REQUIRE_SANDBOX está definido, mas {sandbox.unavailable_reason()}")
pytestmark = pytest.mark.skipif(sandbox.unavailable_reason() is not None,
                                reason=f"sem sandbox: {sandbox.unavailable_reason()}")

WRONG_LINEAR = "def linear(x, W, b):\n    return x @ W.T\n"  # forgets the bias

# The first instructor notebook it can read among ``paths``: every solution cell run here.
RUN_SOLUTIONS = """for path in paths:
    try:
        instructor = json.load(open(path))
    except OSError:
        continue
    for cell in instructor["cells"]:
        if cell["metadata"].get("nbgrader", {{}}).get("solution"):
            exec("".join(cell["source"]))
    break
"""

COPY_SOLUTIONS = """import json
paths = ["{course}/source/01_requires_grad/01_requires_grad.ipynb",
         "../../../source/01_requires_grad/01_requires_grad.ipynb",
         "{repo}/source/01_requires_grad/01_requires_grad.ipynb"]
""" + RUN_SOLUTIONS

# Through another process's root: the grader's (the course), the worker's, another kernel's.
COPY_THROUGH_PROC = """import glob, json, os
scratch = os.getcwd().split("/modulo4-nota-")[0]
paths = []
for pattern in ["{course}/source/01_requires_grad/01_requires_grad.ipynb",
                "{repo}/source/01_requires_grad/01_requires_grad.ipynb",
                scratch + "/*/curso/source/01_requires_grad/01_requires_grad.ipynb"]:
    paths += glob.glob("/proc/*/root" + pattern)
""" + RUN_SOLUTIONS

REWRITE_GRADEBOOK = """import os
import sqlite3
for path in ["{course}/gradebook.db", "../../../gradebook.db"]:
    try:
        db = sqlite3.connect("file:" + path + "?mode=rw", uri=True)
        db.execute("UPDATE grade SET auto_score = 0")
        db.commit()
    except sqlite3.Error:
        pass
"""

# Opens for append and writes nothing: proves write access without changing the file.
WRITE_CHECKS = """import helpers.checks
try:
    open(helpers.checks.__file__, "a").close()
    print("ESCRITA PERMITIDA")
except OSError:
    print("escrita bloqueada")
"""

REBIND_CHECKERS = """import torch, helpers.checks
torch.testing.assert_close = lambda *args, **kwargs: None
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
for name in dir(helpers.checks):
    if callable(getattr(helpers.checks, name)) and not name.startswith("_"):
        setattr(helpers.checks, name, lambda *args, **kwargs: None)
"""

TRANSFORMER = """get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"])"""


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    course = S.course_with(tmp_path_factory.mktemp("turma"), [LID])
    ex = S.solution_ids(LID)
    blank, honest = S.release(LID), S.honest(LID)
    wrong = S.replace_solution(honest, "linear", WRONG_LINEAR)
    students = {
        "ana": honest,
        "copia": S.replace_solution(blank, ex[0], COPY_SOLUTIONS.format(course=course, repo=REPO)),
        "proc": S.replace_solution(blank, ex[0], COPY_THROUGH_PROC.format(course=course, repo=REPO)),
        "banco": S.add_cell(blank, REWRITE_GRADEBOOK.format(course=course)),
        "escreve": S.add_cell(blank, WRITE_CHECKS),
        "errado": wrong,
        "troca": S.add_cell(wrong, REBIND_CHECKERS, before=ex[0]),
        "transforma": S.add_cell(blank, TRANSFORMER, before=ex[0]),
        "zeca": honest,
    }
    for student, nb in students.items():
        S.place(course, LID, student, nb)
    tables = grade(course, [LID], Options(workers=2, sandbox="on"), say=lambda _: None)
    return course, {row.student: row for row in tables[LID]}


def _tamper_cells(row) -> set[str]:
    return {f["cell"] for f in row.flags if f["code"] == "adulteracao"}


def test_honest_students_keep_full_marks_and_no_flag(attacked):
    course, rows = attacked
    for student in ("ana", "zeca"):
        assert rows[student].total == 10 and not rows[student].review, rows[student].flags
    with sqlite3.connect(course / "gradebook.db") as db:  # the attack wrote nothing here
        assert db.execute("SELECT count(*) FROM grade WHERE auto_score > 0").fetchone()[0] >= 20


def test_copying_the_solutions_from_source_gains_nothing(attacked):
    _, rows = attacked
    assert rows["copia"].total == 0 and rows["copia"].review
    assert S.solution_ids(LID)[0] in _tamper_cells(rows["copia"])


def test_copying_the_solutions_through_proc_gains_nothing(attacked):
    """/proc/PID/root of a process outside the sandbox shows its whole filesystem: the kernel
    must see no such process (its own pid namespace) and no dumpable zygote."""
    _, rows = attacked
    assert rows["proc"].total == 0 and rows["proc"].review
    assert S.solution_ids(LID)[0] in _tamper_cells(rows["proc"])


def test_rewriting_the_gradebook_gains_nothing(attacked):
    _, rows = attacked
    assert rows["banco"].total == 0 and rows["banco"].review and _tamper_cells(rows["banco"])


def test_helpers_are_read_only_in_the_kernel(attacked):
    course, rows = attacked
    nb = nbformat.read(notebook(course, "autograded", LID, "escreve"), as_version=4)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "escrita bloqueada" in printed and "ESCRITA PERMITIDA" not in printed
    assert rows["escreve"].review and _tamper_cells(rows["escreve"])


def test_rebinding_the_checkers_gains_nothing(attacked):
    _, rows = attacked
    assert rows["errado"].total < 10  # the wrong answer alone loses points...
    assert rows["troca"].total <= rows["errado"].total  # ...and the rebinding wins none back
    assert rows["troca"].review
    codes = {(f["code"], f["cell"]) for f in rows["troca"].flags}
    assert any(code == "adulteracao" and cell.startswith("test_") for code, cell in codes)  # caught at run time
    assert any(code == "adulteracao" and cell.startswith("célula") for code, cell in codes)  # and in the scan


def test_an_input_transformer_that_empties_the_tests_gains_nothing(attacked):
    _, rows = attacked
    assert rows["transforma"].total == 0 and rows["transforma"].review
    assert any(cell.startswith("test_") for cell in _tamper_cells(rows["transforma"]))
