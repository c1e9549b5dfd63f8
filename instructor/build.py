"""notebooks/<id>.py (jupytext, percent) -> source/<id>/<id>.ipynb (nbgrader, schema 3).

The marker convention is documented in notebooks/README.md:
``# %% exercise="name"`` is a solution cell, ``# %% test="test_name" points=2`` a graded
test cell. Everything else is a plain cell. The build is deterministic: same text in,
same bytes out.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

from .layout import LESSON_RE, REPO, notebook

ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
# Layout-only keys jupytext keeps to round-trip blank lines; they mean nothing to us.
LAYOUT_KEYS = {"lines_to_next_cell"}
SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")

RUN_ALL_GOES_ON = "raises-exception"

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}

# Injected after the title of every lesson, so the Colab install logic lives in one place.
# Colab ships torch: installing the course package there must not reinstall it, which
# holds because the package only lower-bounds torch.
SETUP_CELL = """\
# Preparação do ambiente. No Colab, instala o pacote `helpers` do curso (o torch do
# Colab é mantido); na sua máquina ele já vem do ambiente do curso.
import importlib.util, subprocess, sys

PACKAGE = "{package_url}"
if importlib.util.find_spec("helpers") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", PACKAGE], check=True)

import torch
from helpers.device import describe_device, get_device

device = get_device()  # a GPU quando houver uma
print(describe_device(device))
# Algo estranho no ambiente? Rode: from helpers.doctor import doctor; doctor()"""



def package_metadata(pyproject: Path = REPO / "pyproject.toml") -> tuple[str, str]:
    """(repository URL, version) of the course package, from its one place: pyproject.toml."""
    project = tomllib.loads(Path(pyproject).read_text(encoding="utf-8"))["project"]
    return project["urls"]["Repository"].rstrip("/"), project["version"]


def package_url() -> str:
    """What the setup cell pip-installs on Colab: the package at the tag of its version."""
    repository, version = package_metadata()
    return f"modulo4-helpers @ git+{repository}@v{version}"


def colab_url(lid: str) -> str:
    """The Colab address of a lesson's student notebook, at the same tag as the package."""
    repository, version = package_metadata()
    path = repository.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{path}/blob/v{version}/release/{lid}/{lid}.ipynb"


class BuildError(Exception):
    """A lesson file breaks the marker convention; the message names file, cell and line."""


@dataclass(frozen=True)
class Where:
    path: Path
    cell: int  # 1-based, as counted in the .py file
    line: int

    def __str__(self) -> str:
        return f"{self.path}: célula {self.cell} (linha {self.line})"


def _header_lines(text: str) -> list[int]:
    return [i for i, line in enumerate(text.splitlines(), start=1) if line.startswith("# %%")]


def regions(source: str, markers: tuple[str, str]) -> list[tuple[int, int]]:
    """Line spans of the BEGIN/END regions of a cell, in order; raises ValueError when malformed.

    A cell may hold several regions (a class whose ``__init__`` and ``forward`` are both
    the student's), as nbgrader allows; they must alternate BEGIN, END and never nest.
    """
    begin, end = markers
    lines = source.splitlines()
    loose = [line for line in lines if (begin in line or end in line) and line.strip() not in markers]
    if loose:
        raise ValueError(f"marcador mal escrito: {loose[0].strip()!r}")
    spans: list[tuple[int, int]] = []
    start = None
    for i, line in enumerate(lines):
        if line.strip() == begin:
            if start is not None:
                raise ValueError(f"{begin!r} sem o {end!r} anterior; cada região fecha antes da próxima")
            start = i
        elif line.strip() == end:
            if start is None:
                raise ValueError(f"{end!r} sem {begin!r}; use pares {begin!r} ... {end!r}, nessa ordem")
            spans.append((start, i))
            start = None
    if start is not None:
        raise ValueError(f"{begin!r} sem {end!r}; use pares {begin!r} ... {end!r}, nessa ordem")
    return spans


def without_regions(source: str, spans: list[tuple[int, int]]) -> str:
    lines = source.splitlines()
    inside = {i for a, b in spans for i in range(a, b + 1)}
    return "\n".join(line for i, line in enumerate(lines) if i not in inside)


def _ends_in_statement(source: str) -> bool:
    """nbgrader takes a trailing expression's value as the score; print(...) yields none."""
    body = ast.parse(source).body
    if not body or not isinstance(body[-1], ast.Expr):
        return True
    value = body[-1].value
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "print"


def owner_of(test_id: str, exercises: list[str]) -> str | None:
    """The exercise a test cell belongs to: the longest name it matches (contract rule)."""
    matches = [n for n in exercises if test_id == f"test_{n}" or test_id.startswith(f"test_{n}_")]
    return max(matches, key=len) if matches else None


def exercise_points(source) -> dict[str, float]:
    """{exercise: max points} in notebook order, from the instructor notebook's cells (test cells
    count for the exercise ``owner_of`` gives them, a stray one for itself)."""
    metas = [c.metadata.get("nbgrader", {}) for c in source.cells]
    names = [m["grade_id"] for m in metas if m.get("solution") and m.get("grade_id")]
    points: dict[str, float] = dict.fromkeys(names, 0.0)
    for m in metas:
        if m.get("grade") and not m.get("solution"):
            owner = owner_of(m["grade_id"], names) or m["grade_id"]
            points[owner] = points.get(owner, 0.0) + float(m.get("points", 0))
    return {name: p for name, p in points.items() if p > 0}


def _nbgrader(grade_id: str, *, solution: bool, points: float | None = None) -> dict:
    meta = {
        "grade": points is not None,
        "grade_id": grade_id,
        "locked": not solution,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return meta


def _mark_cell(cell, where: Where, seen: set[str]) -> str | None:
    """Turns the cell's markers into nbgrader metadata in place; returns its grade_id."""
    meta = {k: v for k, v in cell.metadata.items() if k not in LAYOUT_KEYS}
    if "incorrectly_encoded_metadata" in meta:
        raise BuildError(
            f"{where}: marcador mal escrito {meta['incorrectly_encoded_metadata']!r}; "
            'use exercise="nome" ou test="test_nome" points=N (valores de texto entre aspas)'
        )
    unknown = set(meta) - {"exercise", "test", "points"}
    if unknown:
        raise BuildError(f"{where}: marcador desconhecido {sorted(unknown)} (conhecidos: exercise, test, points)")
    if "exercise" in meta and "test" in meta:
        raise BuildError(f"{where}: uma célula é exercise ou test, não os dois")
    if "points" in meta and "test" not in meta:
        raise BuildError(f"{where}: points só vale em células test")
    if meta and cell.cell_type != "code":
        raise BuildError(f"{where}: exercise/test só em células de código")

    source = cell.source
    try:
        solution = regions(source, SOLUTION)
        hidden = regions(source, HIDDEN)
    except ValueError as e:
        raise BuildError(f"{where}: {e}") from None

    grade_id = meta.get("exercise", meta.get("test"))
    if grade_id is not None:
        if not isinstance(grade_id, str) or not ID_RE.match(grade_id):
            raise BuildError(f"{where}: id inválido {grade_id!r} (letras, dígitos, _ e -)")
        if grade_id in seen:
            raise BuildError(f"{where}: id repetido {grade_id!r}")
        seen.add(grade_id)

    if "exercise" in meta:
        if not solution:
            raise BuildError(f"{where}: exercício {grade_id!r} sem região {SOLUTION[0]} ... {SOLUTION[1]}")
        if hidden:
            raise BuildError(f"{where}: testes ocultos fora de uma célula test")
        cell.metadata = {"nbgrader": _nbgrader(grade_id, solution=True)}
    elif "test" in meta:
        if not grade_id.startswith("test_"):
            raise BuildError(f"{where}: o id de um teste começa com test_ ({grade_id!r})")
        points = meta.get("points")
        if points is None:
            raise BuildError(f"{where}: teste {grade_id!r} sem points")
        if isinstance(points, bool) or not isinstance(points, (int, float)) or points <= 0:
            raise BuildError(f"{where}: points deve ser um número positivo ({points!r})")
        if solution:
            raise BuildError(f"{where}: região de solução fora de uma célula exercise")
        for label, text in (("com", source), ("sem", without_regions(source, hidden))):
            try:
                ok = _ends_in_statement(text)
            except SyntaxError as e:
                raise BuildError(f"{where}: teste {grade_id!r} não é Python válido ({e.msg})") from None
            if not ok:
                raise BuildError(
                    f"{where}: teste {grade_id!r} termina numa expressão ({label} os testes ocultos); "
                    "o nbgrader usaria o valor como nota. Termine com uma instrução, p.ex. um print."
                )
        # JupyterLab's Run All stops at the first cell that raises unless it carries this tag;
        # a blank exercise's failing test must not keep the rest of the lesson from running.
        # Grading ignores the tag: a failing test still scores 0.
        cell.metadata = {"nbgrader": _nbgrader(grade_id, solution=False, points=points), "tags": [RUN_ALL_GOES_ON]}
    else:
        if solution:
            raise BuildError(f"{where}: região de solução fora de uma célula exercise")
        if hidden:
            raise BuildError(f"{where}: testes ocultos fora de uma célula test")
        cell.metadata = {}
    return grade_id


def build_notebook(path: Path) -> nbformat.NotebookNode:
    """Reads one lesson file and returns its nbgrader instructor notebook."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="py:percent")
    headers = _header_lines(text)
    # Text before the first "# %%" becomes a cell of its own with no header.
    offset = len(nb.cells) - len(headers)

    seen: set[str] = set()
    exercises: list[str] = []
    tests: list[tuple[str, Where]] = []
    for i, cell in enumerate(nb.cells):
        line = headers[i - offset] if i >= offset else 1
        where = Where(path, i + 1, line)
        grade_id = _mark_cell(cell, where, seen)
        if grade_id is None:
            continue
        if cell.metadata["nbgrader"]["solution"]:
            exercises.append(grade_id)
        else:
            tests.append((grade_id, where))

    for test_id, where in tests:
        if owner_of(test_id, exercises) is None:
            raise BuildError(f"{where}: teste {test_id!r} não pertence a nenhum exercício")
    owned = {owner_of(t, exercises) for t, _ in tests}
    for name in exercises:
        if name not in owned:
            raise BuildError(f"{path}: exercício {name!r} sem célula de teste")

    first = nb.cells[0] if nb.cells else None
    if first is None or first.cell_type != "markdown" or not first.source.lstrip().startswith("# "):
        raise BuildError(f"{path}: a aula começa com uma célula markdown de título (# Aula ...)")
    setup = nbformat.v4.new_code_cell(SETUP_CELL.format(package_url=package_url()))
    nb.cells.insert(1, setup)

    for i, cell in enumerate(nb.cells):
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.id = gid or f"cell-{i:03d}"
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    nb.nbformat, nb.nbformat_minor = 4, 5
    return nb


def lesson_id(path: Path) -> str:
    stem = Path(path).stem
    if not LESSON_RE.match(stem):
        raise BuildError(f"{path}: nome de aula inválido (esperado NN_nome, p.ex. 01_requires_grad)")
    return stem


def notebook_text(nb: nbformat.NotebookNode) -> str:
    nbformat.validate(nb)
    return nbformat.writes(nb) + "\n"


def build_lesson(path: Path, source_dir: Path) -> Path:
    """Writes source/<id>/<id>.ipynb for one lesson file and returns its path."""
    lid = lesson_id(path)
    text = notebook_text(build_notebook(path))
    out = notebook(Path(source_dir).parent, Path(source_dir).name, lid)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".ipynb.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out


# The README's lesson table is generated between these markers, so badges follow the metadata.
README_TABLE = ("<!-- aulas: gerada por `python -m instructor build` -->", "<!-- /aulas -->")
BADGE = "https://colab.research.google.com/assets/colab-badge.svg"


def lesson_title(path: Path) -> str:
    """'Aula 04 — Módulos' -> 'Módulos': the subject in the lesson's title cell."""
    first = jupytext.reads(Path(path).read_text(encoding="utf-8"), fmt="py:percent").cells[0]
    title = first.source.lstrip("# ").splitlines()[0]
    return title.split("—", 1)[-1].strip()


def readme_table(paths: list[Path]) -> str:
    rows = ["| Aula | Assunto | Abrir no Colab |", "|---|---|---|"]
    for path in paths:
        lid = lesson_id(path)
        rows.append(f"| {lid[:2]} | {lesson_title(path)} | [![Abrir no Colab]({BADGE})]({colab_url(lid)}) |")
    return "\n".join(rows)


def with_readme_table(readme: str, table: str) -> str:
    begin, end = README_TABLE
    head, _, rest = readme.partition(begin)
    _, _, tail = rest.partition(end)
    if not rest:
        raise BuildError(f"README.md sem o marcador {begin!r} da tabela de aulas")
    return f"{head}{begin}\n{table}\n{end}{tail}"
