"""The tamper report flags attacks on the grader, and never a correct answer.

instructor/tamper.py reads the student's cells; helpers/integrity.py checks, inside the grading
kernel, that the checkers are still the originals. The cases (correct variants, attacks) are in
tests/tamper_cases.py.
"""

from __future__ import annotations

import copy
import functools
import importlib
import os
import sys
from pathlib import Path

import nbformat
import pytest
import torch
from tamper_cases import ATTACKS, VARIANTS

import helpers.checks
import helpers.integrity
from instructor import tamper
from instructor.layout import REPO

LESSONS = sorted(p.parent.name for p in (REPO / "source").glob("*/*.ipynb"))


@functools.cache
def _read(lid: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / "source" / lid / f"{lid}.ipynb", as_version=4)


def _source(lid: str) -> nbformat.NotebookNode:
    return copy.deepcopy(_read(lid))


def _index(nb: nbformat.NotebookNode, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _submission(lid: str, answers: dict) -> nbformat.NotebookNode:
    """The instructor notebook with some answer cells rewritten and scratch cells ("+") appended."""
    nb = _source(lid)
    for grade_id, code in answers.items():
        if grade_id == "+":
            nb.cells += [nbformat.v4.new_code_cell(c) for c in code]
        else:
            nb.cells[_index(nb, grade_id)].source = code
    return nb


# ---- correct answers are never flagged ------------------------------------------------------


def test_every_lesson_is_covered():
    assert LESSONS == sorted(VARIANTS) and len(LESSONS) == 8
    assert all(len(v) >= 3 for v in VARIANTS.values())


@pytest.mark.parametrize("lid", LESSONS)
def test_reference_solutions_are_not_flagged(lid):
    source = _source(lid)
    assert tamper.student_cells(source, source), "the solution cells are the student's own cells"
    assert tamper.scan(source, source) == []


@pytest.mark.parametrize("lid", LESSONS)
def test_correct_variants_are_not_flagged(lid):
    for answers in VARIANTS[lid]:
        submission = _submission(lid, answers)
        assert tamper.scan(submission, _source(lid)) == [], answers


@pytest.mark.parametrize("lid", LESSONS)
def test_edited_demo_cells_are_not_flagged(lid):
    """A student who changes a demo cell makes it theirs: scanned, and still clean. Only the setup
    cell (it runs pip through subprocess) is flagged once edited."""
    source = _source(lid)
    submission = copy.deepcopy(source)
    demo = [i for i, c in enumerate(submission.cells) if c.cell_type == "code" and not c.metadata.get("nbgrader")]
    for i in demo:
        submission.cells[i].source += "\n# mudei aqui"
    assert set(demo) <= set(tamper.student_cells(submission, source))
    assert {h.cell for h in tamper.scan(submission, source)} == {demo[0]}


# ---- attacks are flagged in the cell that holds them ----------------------------------------


@pytest.mark.parametrize(("name", "lid", "where", "code", "says"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attack_is_flagged_in_its_cell(name, lid, where, code, says):
    submission = _submission(lid, {where: [code] if where == "+" else code})
    cell = len(submission.cells) - 1 if where == "+" else _index(submission, where)
    hits = tamper.scan(submission, _source(lid))
    assert [h.cell for h in hits] and {h.cell for h in hits} == {cell}, hits
    assert any(says in h.reason for h in hits), hits
    assert all(h.where == (where if where != "+" else f"célula {cell + 1}") for h in hits)


def test_a_cell_that_does_not_parse_is_not_a_hit():
    submission = _submission("01_requires_grad", {"linear": "def linear(x, W, b)\n    torch.equal = f\n"})
    assert tamper.scan(submission, _source("01_requires_grad")) == []


def test_test_cells_are_not_scanned_because_nbgrader_restores_them():
    """An attack written into a test cell never runs: nbgrader puts the source's cell back. A new
    cell claiming a grade_id that source does not lock is scanned like any other."""
    lid = "01_requires_grad"
    submission = _submission(lid, {"test_linear": "torch.equal = max\n", "+": ["torch.allclose = max\n"]})
    submission.cells[-1].metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "my_test",
                                                 "locked": True, "points": 1, "schema_version": 3}
    hits = tamper.scan(submission, _source(lid))
    assert [(h.cell, h.where) for h in hits] == [(len(submission.cells) - 1, "my_test")]


def test_hit_says_where_and_what():
    submission = _submission("01_requires_grad", {"make_params": (
        "def make_params(n_in, n_out):\n    W = torch.zeros(n_out, n_in, requires_grad=True)\n"
        "    torch.testing.assert_close = print\n    return W, torch.zeros(n_out, requires_grad=True)\n")})
    hits = tamper.scan(submission, _source("01_requires_grad"))
    assert tamper.report(hits) == "célula make_params, linha 3: reatribui torch.testing.assert_close"
    assert tamper.report([]) == ""


def test_imported_names_are_what_the_tests_import():
    names = tamper.imported_names(_source("01_requires_grad"))
    assert names["assert_close"] == "helpers.checks.assert_close"
    assert names["torch"] == "torch" and names["F"] == "torch.nn.functional" and names["nn"] == "torch.nn"
    assert "plt" not in names  # a demo cell's matplotlib is not something a test relies on


# ---- helpers.integrity: the checkers are still the originals --------------------------------


@pytest.fixture
def integrity(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # the grading kernel runs in the student's folder, not in the course
    helpers.integrity.install()
    return helpers.integrity


EXPECTED = {"assert_close": "helpers.checks.assert_close", "torch": "torch", "F": "torch.nn.functional"}


def _namespace() -> dict:
    return {"assert_close": helpers.checks.assert_close, "torch": torch, "F": torch.nn.functional, "x": 1}


def test_integrity_is_clean_after_install(integrity):
    assert integrity.report(_namespace(), EXPECTED) == []


@pytest.mark.parametrize(("owner", "attr", "name"), [
    (torch.testing, "assert_close", "torch.testing.assert_close"),
    (torch, "allclose", "torch.allclose"),
    (torch, "equal", "torch.equal"),
    (torch, "isclose", "torch.isclose"),
    (torch, "testing", "torch.testing"),
    (torch.autograd, "grad", "torch.autograd.grad"),
    (torch.Tensor, "backward", "torch.Tensor.backward"),
    (helpers.checks, "assert_close", "helpers.checks.assert_close"),
    (helpers.checks, "expect", "helpers.checks.expect"),
    (helpers.checks, "ForwardRecorder", "helpers.checks.ForwardRecorder"),
    (__import__("builtins"), "abs", "builtins.abs"),
])
def test_integrity_names_each_rebound_checker(integrity, monkeypatch, owner, attr, name):
    monkeypatch.setattr(owner, attr, lambda *a, **k: None)
    problems = integrity.report(_namespace(), EXPECTED)
    assert any(p.startswith(f"{name} foi trocado") for p in problems), problems


def test_integrity_names_a_deleted_checker(integrity, monkeypatch):
    monkeypatch.delattr(helpers.checks, "expect")
    assert "helpers.checks.expect foi apagado." in integrity.report(_namespace(), EXPECTED)


def test_integrity_names_a_replaced_module(integrity, monkeypatch):
    monkeypatch.setitem(sys.modules, "helpers.checks", type(sys)("helpers.checks"))
    problems = integrity.report(_namespace(), EXPECTED)
    assert any("sys.modules['helpers.checks']" in p for p in problems), problems


def test_integrity_names_shadowing_in_the_notebook(integrity):
    ns = {**_namespace(), "assert_close": lambda *a, **k: None, "len": lambda x: 3}
    problems = integrity.report(ns, EXPECTED)
    assert "O nome assert_close no notebook não é mais helpers.checks.assert_close: foi redefinido." in problems
    assert "O nome len no notebook esconde a função embutida original." in problems
    assert len(problems) == 2


def test_integrity_names_a_reimported_module(integrity, monkeypatch):
    monkeypatch.delitem(sys.modules, "helpers.integrity")
    fresh = importlib.import_module("helpers.integrity")
    assert fresh is not integrity
    problems = fresh.report(_namespace(), EXPECTED)
    assert len(problems) == 1 and "reiniciada" in problems[0]


def test_integrity_names_a_package_handed_in_beside_the_notebook(monkeypatch):
    """Measured: ipykernel puts the working folder on sys.path before site-packages, so a
    ``helpers/`` handed in with the notebook would be the one imported. Here the course's own
    folder plays the student's."""
    monkeypatch.chdir(Path(helpers.__file__).parent.parent)
    helpers.integrity.install()
    problems = helpers.integrity.report(_namespace(), EXPECTED)
    assert any(p.startswith("helpers foi importado da pasta do aluno") for p in problems), problems


# ---- the grading kernel: user_expressions bypass input transformers -------------------------


def _execute(kc, code: str, expressions: dict | None = None) -> tuple[str, dict, list[str]]:
    """Runs ``code``; (reply status, user_expressions, names of the errors shown)."""
    msg_id = kc.execute(code, user_expressions=expressions or {})
    errors = []
    while True:
        msg = kc.get_iopub_msg(timeout=60)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "error":
            errors.append(msg["content"]["ename"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=60)
    return reply["content"]["status"], reply["content"]["user_expressions"], errors


def _report_of(expressions: dict) -> list[str]:
    import ast

    assert expressions["r"]["status"] == "ok", expressions
    return ast.literal_eval(expressions["r"]["data"]["text/plain"])


def test_user_expressions_are_not_passed_through_input_transformers(tmp_path):
    """Measured on ipykernel 7 / IPython 9. An input transformer that turns every cell into
    ``pass`` makes a failing test pass, but the report, sent as a user_expression, still runs and
    names it. Two limits the grader must handle: after a cell whose reply is an error the kernel
    evaluates no user_expressions at all, and a patched showtraceback makes a failing cell an
    error without an error output (nbgrader would see no failure). An empty cell with the report
    as user_expression is never transformed and always answers."""
    from jupyter_client import KernelManager

    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(tmp_path))
    kc = km.client()
    kc.start_channels()
    report = {"r": "__import__('helpers.integrity', fromlist=['report']).report(globals(), "
                   "{'assert_close': 'helpers.checks.assert_close'})"}
    try:
        kc.wait_for_ready(timeout=120)
        assert _execute(kc, "import helpers.integrity as _i; _i.install()")[0] == "ok"
        status, expressions, _ = _execute(
            kc, "%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 2]); plt.show()", report)
        assert status == "ok" and _report_of(expressions) == []  # Jupyter's own hooks are not tampering
        assert _execute(kc, "assert False", report) == ("error", {}, ["AssertionError"])

        _execute(kc, "get_ipython().input_transformers_post.append("
                     "lambda lines: lines if lines[0].startswith('#ok') else ['pass\\n'])")
        status, expressions, errors = _execute(kc, "assert False", report)
        assert (status, errors) == ("ok", [])  # the failing test now "passes"...
        assert _report_of(expressions) == ["get_ipython().input_transformers_post ganhou __main__.<lambda>."]

        _execute(kc, "#ok: the transformer lets this cell through\n"
                     "get_ipython().input_transformers_post.clear()\n"
                     "get_ipython().showtraceback = lambda *a, **k: None")
        assert _execute(kc, "assert False", report) == ("error", {}, [])  # failure with no error shown
        status, expressions, _ = _execute(kc, "", report)
        assert status == "ok" and "get_ipython().showtraceback foi trocado." in _report_of(expressions)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
