"""Runs a lesson's graded tests, hidden ones included, against an implementation file.

    python -m instructor tryout 05_losses minha_versao.py

For reviewing a grader the way students will meet it: write implementations (right ones in
unusual styles, and typical mistakes) in a file, and see which test cells pass and what each
failing one says, without reading the tests. The file's top-level ``def``/``class`` of an
exercise's name replace that exercise's solution cell; any other top-level code in the file
runs first (imports, helpers). Only the setup cell, the exercise cells, the plain cells that
use an exercise (``model = train_mnist(device)``) and the test cells run, under
``NBGRADER_EXECUTION`` as in grading.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .layout import REPO, notebook


@dataclass
class Verdict:
    test: str
    passed: bool
    message: str  # the last line of the error, "" when the cell passed


def _split(code: str, exercises: set[str]) -> tuple[dict[str, str], str]:
    """{exercise: source} of the file's top-level defs and classes named after an exercise,
    and the rest of the file (imports, helper functions), in order."""
    tree = ast.parse(code)
    lines = code.splitlines()
    answers, rest = {}, []
    for node in tree.body:
        start = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno) - 1
        text = "\n".join(lines[start : node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in exercises:
            answers[node.name] = text
        else:
            rest.append(text)
    return answers, "\n".join(rest)


def _imports(source: str) -> str:
    """The top-level import statements of a cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ""
    return "\n".join(ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))


def _uses(source: str, names: set[str]) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(tree))


def tryout_notebook(lid: str, code: str, root: Path = REPO) -> nbformat.NotebookNode:
    """The instructor notebook cut down to what grading needs, with ``code``'s answers in it."""
    nb = nbformat.read(notebook(root, "source", lid), as_version=4)
    exercises = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    named, preamble = _split(code, exercises)
    # The lesson's own imports (its demo cells are left out, their imports are not).
    imports = "\n".join(_imports(c.source) for c in nb.cells[2:]
                        if c.cell_type == "code" and not c.metadata.get("nbgrader"))
    cells = [nb.cells[1], nbformat.v4.new_code_cell(imports), nbformat.v4.new_code_cell(preamble)]
    for cell in nb.cells[2:]:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        if meta.get("solution"):
            cell.source = named.get(meta["grade_id"], cell.source)
            cells.append(cell)
        elif meta.get("grade") or _uses(cell.source, exercises):
            cells.append(cell)
    nb.cells = cells
    nb.metadata["tryout_answered"] = sorted(named)
    return nb


def tryout(lid: str, code: str, root: Path = REPO) -> list[Verdict]:
    """Runs the cut-down notebook and returns one verdict per graded test cell."""
    from .kernelwait import notebook_client

    nb = tryout_notebook(lid, code, root)
    workdir = notebook(root, "source", lid).parent
    previous = os.environ.get("NBGRADER_EXECUTION")
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    try:
        notebook_client(nb, timeout=600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        if previous is None:
            del os.environ["NBGRADER_EXECUTION"]
        else:
            os.environ["NBGRADER_EXECUTION"] = previous
    verdicts = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if not meta.get("grade"):
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        stderr = [o for o in cell.outputs if o.output_type == "stream" and o.name == "stderr"]
        if errors:
            verdicts.append(Verdict(meta["grade_id"], False, f"{errors[0].ename}: {errors[0].evalue}"))
        elif stderr:
            verdicts.append(Verdict(meta["grade_id"], False, "saída em stderr (zera a célula): "
                                    + stderr[0].text.strip().splitlines()[-1][:200]))
        else:
            verdicts.append(Verdict(meta["grade_id"], True, ""))
    return verdicts


def report(lid: str, path: Path) -> str:
    code = Path(path).read_text(encoding="utf-8")
    answered = tryout_notebook(lid, code).metadata["tryout_answered"]
    lines = [f"exercícios respondidos pelo arquivo: {', '.join(answered) or 'nenhum'}"]
    lines += [f"{'OK   ' if v.passed else 'FALHA'} {v.test}" + (f": {v.message}" if v.message else "")
              for v in tryout(lid, code)]
    return "\n".join(lines)
