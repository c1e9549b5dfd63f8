"""python -m instructor export-student DEST: the students' public repository, without solutions.

This repository holds the solutions and the hidden tests (``notebooks/``, ``source/``), so a
course graded for credit keeps it private and publishes only the students' side: the student
notebooks, the ``helpers`` package (Colab installs it from the public repository, at the tag of
its version), the environment files and the scripts behind ``make lab``. The export is staged in
a temporary folder, checked for leaks (no line that, in the instructor's material, only occurs
inside a solution or hidden-test region) and only then written to DEST.

DEST is refused when it lies inside the course repository or is a non-empty folder that no
earlier export wrote. Each export leaves a manifest (``MARKER``) naming the files it wrote;
exporting again removes exactly those and keeps everything else (``.git``, ``.venv``,
``meus_notebooks/``, files the instructor added).
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import tomllib
from pathlib import Path, PurePosixPath

import nbformat

from .build import HIDDEN, SOLUTION, package_metadata, readme_table, regions, with_readme_table
from .layout import REPO, lesson_files

MARKER = ".modulo4-export"
MARKER_HEADER = (
    "# Pasta gerada por `python -m instructor export-student`. Exportar de novo para cá apaga\n"
    "# os arquivos listados abaixo (e só eles) e escreve a versão nova.\n"
)
# Copied as they are: what `make lab`, the conda path and `pip install git+<repo>` use.
COPIED = (
    "release",
    "helpers",
    "constraints.txt",  # scripts/ensure-env.sh installs under these pins
    "scripts/lab.py",
    "scripts/ensure-env.sh",
    "scripts/torch-index.sh",
    "jupyter/aluno",
)
LICENSES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
# The optional-dependencies a student installs (scripts/ensure-env.sh installs those the
# pyproject.toml it finds defines); the instructor's tool settings do not travel either.
STUDENT_EXTRAS = ("course",)
INSTRUCTOR_TABLES = ("tool.pytest", "tool.ruff")
# The student README is the course README's preamble (with the lesson table) and these sections.
STUDENT_SECTIONS = ("Para estudar",)

STUDENT_MAKEFILE = """\
# Módulo 4 — PyTorch. `make lab` prepara o ambiente (só na primeira vez) e abre as aulas no
# JupyterLab. VENV escolhe onde fica o ambiente (padrão: .venv).
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)
export VENV

.PHONY: env lab

env:
\t@scripts/ensure-env.sh

lab: env
\t$(BIN)/python scripts/lab.py meus_notebooks
"""

STUDENT_GITIGNORE = """\
# O seu trabalho (meus_notebooks/) e o que o ambiente gera ficam fora do git: um `git pull`
# traz aulas novas sem conflito.
meus_notebooks/
.venv/
data/
runs/
__pycache__/
*.egg-info/
build/
.ipynb_checkpoints/
"""

STUDENT_README_END = """\
## Conteúdo

```
release/    notebooks do aluno (o `make lab` copia para meus_notebooks/)
helpers/    pacote do curso, importado pelas aulas
scripts/    preparação do ambiente e abertura do JupyterLab
jupyter/    configuração do JupyterLab do aluno
```

Versão {version}. Este repositório é gerado a partir do repositório do curso; as correções
chegam numa versão nova.
"""


class ExportError(Exception):
    """The export cannot be written safely; the message says why and what to do."""


# ---------------------------------------------------------------------------
# The destination
# ---------------------------------------------------------------------------


def check_destination(dest: Path, repo: Path) -> list[str]:
    """Refuses an unsafe DEST; returns the files a previous export wrote there (maybe none)."""
    dest, repo = Path(dest).resolve(), Path(repo).resolve()
    if dest.is_relative_to(repo):
        raise ExportError(
            f"{dest} fica dentro do repositório do curso ({repo}), que tem as soluções; "
            f"escolha uma pasta fora dele, p.ex. {repo.parent / (repo.name + '-alunos')}. Nada foi escrito."
        )
    if repo.is_relative_to(dest):
        raise ExportError(f"{dest} contém o repositório do curso; escolha uma pasta fora dele. Nada foi escrito.")
    if not dest.exists():
        return []
    if not dest.is_dir():
        raise ExportError(f"{dest} existe e não é uma pasta; escolha outro destino. Nada foi escrito.")
    if (dest / MARKER).is_file():
        return read_manifest(dest)
    if any(dest.iterdir()):
        raise ExportError(
            f"{dest} não está vazia e não é uma exportação anterior (falta o arquivo {MARKER}); "
            "escolha uma pasta nova ou vazia. Nada foi escrito nem apagado."
        )
    return []


def read_manifest(dest: Path) -> list[str]:
    """The relative paths a previous export wrote, as listed in its marker file."""
    paths = [
        line.strip()
        for line in (dest / MARKER).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for path in paths:
        pure = PurePosixPath(path)
        if pure.is_absolute() or ".." in pure.parts:
            raise ExportError(
                f"{dest / MARKER} lista {path!r}, fora da pasta: o marcador foi alterado; "
                "confira a pasta ou exporte para uma pasta nova. Nada foi escrito nem apagado."
            )
    return paths


def write_manifest(dest: Path, paths: list[str]) -> None:
    (dest / MARKER).write_text(MARKER_HEADER + "".join(f"{p}\n" for p in paths), encoding="utf-8")


def tree_files(root: Path) -> list[str]:
    """Every file under ``root``, as sorted relative POSIX paths (the marker excluded)."""
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != MARKER
    )


# ---------------------------------------------------------------------------
# The student files
# ---------------------------------------------------------------------------


def _tables(text: str) -> list[tuple[str, list[str]]]:
    """A TOML text as (table name, lines) in order; the lines before any header have name ''."""
    tables: list[tuple[str, list[str]]] = [("", [])]
    for line in text.splitlines():
        header = re.match(r"^\[([^\[\]]+)\]\s*(#.*)?$", line)
        if header:
            tables.append((header.group(1).strip(), []))
        tables[-1][1].append(line)
    return tables


def _only_extras(lines: list[str], keep: tuple[str, ...]) -> list[str]:
    """The optional-dependencies table with only the ``keep`` entries; a comment goes with
    the entry below it."""
    out, pending, keeping, depth = [lines[0]], [], True, 0
    for line in lines[1:]:
        if depth == 0:
            entry = re.match(r"\s*([A-Za-z0-9_.-]+)\s*=", line)
            if entry is None:
                pending.append(line)
                continue
            keeping = entry.group(1) in keep
            if keeping:
                out += pending
            pending = []
        depth += line.count("[") - line.count("]")
        if keeping:
            out.append(line)
    return out + pending


def student_pyproject(text: str) -> str:
    """The course pyproject.toml with only the students' extras and no instructor tool settings.

    The rewrite is textual (comments stay) and then checked against the parsed original: the
    package, its version and its repository URL must be exactly the course's.
    """
    kept = []
    for name, lines in _tables(text):
        if any(name == t or name.startswith(t + ".") for t in INSTRUCTOR_TABLES):
            continue
        kept += _only_extras(lines, STUDENT_EXTRAS) if name == "project.optional-dependencies" else lines
    result = "\n".join(kept).rstrip() + "\n"

    original, parsed = tomllib.loads(text), tomllib.loads(result)
    extras = original["project"].get("optional-dependencies", {})
    missing = [e for e in STUDENT_EXTRAS if e not in extras]
    if missing:
        raise ExportError(f"pyproject.toml sem o extra {missing[0]!r} do aluno em [project.optional-dependencies]")
    expected = dict(original, project=dict(original["project"]))
    expected["project"]["optional-dependencies"] = {e: extras[e] for e in STUDENT_EXTRAS}
    tools = {k: v for k, v in original.get("tool", {}).items() if f"tool.{k}" not in INSTRUCTOR_TABLES}
    expected.pop("tool", None)
    if tools:
        expected["tool"] = tools
    if parsed != expected:
        raise ExportError(
            "não consegui separar do pyproject.toml o que é do aluno (a reescrita mudou mais que os "
            "extras); mantenha uma entrada por extra em [project.optional-dependencies]"
        )
    return result


def _name(requirement: str) -> str:
    return re.match(r"\s*([A-Za-z0-9_.-]+)", requirement).group(1).lower().replace("_", "-")


def student_environment(environment: str, pyproject: str) -> str:
    """environment.yml without the packages that only the instructor's extras of the course's
    ``pyproject`` bring (pytest, jupytext, ...)."""
    project = tomllib.loads(pyproject)["project"]
    extras = project.get("optional-dependencies", {})
    student = {_name(r) for r in project["dependencies"]}
    student |= {_name(r) for e in STUDENT_EXTRAS for r in extras.get(e, [])}
    instructor_only = {_name(r) for reqs in extras.values() for r in reqs} - student
    lines = []
    for line in environment.splitlines():
        item = re.match(r"\s*-\s*([A-Za-z0-9_.-]+)", line)
        if item and _name(item.group(1)) in instructor_only:
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def _sections(readme: str) -> tuple[str, dict[str, str]]:
    """(text before the first '## ' heading, {heading: section text})."""
    parts = re.split(r"(?m)^(?=## )", readme)
    return parts[0], {p.splitlines()[0][3:].strip(): p for p in parts[1:]}


def student_readme(readme: str, repo: Path) -> str:
    """The course README's preamble, with the lesson table generated anew, and the student sections."""
    preamble, sections = _sections(readme)
    missing = [s for s in STUDENT_SECTIONS if s not in sections]
    if missing:
        raise ExportError(f"README.md sem a seção '## {missing[0]}', de onde sai o README dos alunos")
    _, version = package_metadata(repo / "pyproject.toml")
    parts = [with_readme_table(preamble, readme_table(lesson_files(repo))).rstrip()]
    parts += [sections[s].rstrip() for s in STUDENT_SECTIONS]
    parts.append(STUDENT_README_END.format(version=version).rstrip())
    return "\n\n".join(parts) + "\n"


def copy_course_files(repo: Path, out: Path) -> None:
    for name in COPIED + tuple(n for n in LICENSES if (repo / n).is_file()):
        source, target = repo / name, out / name
        if not source.exists():
            raise ExportError(f"falta {source}, que vai para o repositório dos alunos")
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=IGNORED)
        else:
            shutil.copy2(source, target)  # keeps the scripts executable


def write_student_files(repo: Path, out: Path) -> None:
    def write(name: str, text: str) -> None:
        (out / name).write_text(text, encoding="utf-8", newline="\n")

    pyproject = (repo / "pyproject.toml").read_text(encoding="utf-8")
    write("pyproject.toml", student_pyproject(pyproject))
    write("environment.yml", student_environment((repo / "environment.yml").read_text(encoding="utf-8"), pyproject))
    write("README.md", student_readme((repo / "README.md").read_text(encoding="utf-8"), repo))
    write("Makefile", STUDENT_MAKEFILE)
    write(".gitignore", STUDENT_GITIGNORE)


# ---------------------------------------------------------------------------
# The leak check
# ---------------------------------------------------------------------------


def _texts(repo: Path) -> list[str]:
    """The instructor's material: each cell of source/*/*.ipynb and each notebooks/*.py."""
    texts = [cell.source for p in sorted(repo.glob("source/*/*.ipynb")) for cell in nbformat.read(p, as_version=4).cells]
    return texts + [p.read_text(encoding="utf-8") for p in lesson_files(repo)]


def _split(text: str) -> tuple[list[str], list[str]]:
    """(lines inside solution and hidden-test regions, lines outside them), stripped."""
    lines, inside = text.splitlines(), set()
    for markers in (SOLUTION, HIDDEN):
        inside |= {i for a, b in regions(text, markers) for i in range(a, b + 1)}
    secret = [line.strip() for i, line in enumerate(lines) if i in inside and line.strip() not in SOLUTION + HIDDEN]
    public = [line.strip() for i, line in enumerate(lines) if i not in inside]
    return secret, public


def distinctive_lines(repo: Path = REPO) -> set[str]:
    """Lines that, in the instructor's material, only occur inside solution or hidden-test
    regions: finding one outside them is evidence of a leak. A line such as ``return out``
    that a demo cell or the helpers package also has is not."""
    secret, public = set(), set()
    for text in _texts(repo):
        inside, outside = _split(text)
        secret.update(inside)
        public.update(outside)
    for path in (repo / "helpers").rglob("*.py"):
        public.update(line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return {line for line in secret - public if line}


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def file_lines(path: Path) -> list[str]:
    """The text lines of an exported file, a notebook's cells and outputs included; none for binaries."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return []
    if path.suffix == ".ipynb":
        text = "\n".join(_strings(json.loads(text)))
    return [line.strip() for line in text.splitlines()]


def leak_problems(export_dir: Path, repo: Path = REPO) -> list[str]:
    """Every exported line that only a solution or a hidden test has, and every nbgrader marker."""
    secret = distinctive_lines(repo)
    problems = []
    for rel in tree_files(Path(export_dir)):
        for line in dict.fromkeys(file_lines(Path(export_dir) / rel)):
            if line in secret:
                problems.append(f"vazou para o repositório dos alunos: {rel}: {line!r}")
            elif any(marker in line for marker in SOLUTION + HIDDEN):
                problems.append(f"marcador do nbgrader no repositório dos alunos: {rel}: {line!r}")
    return problems


# ---------------------------------------------------------------------------
# The export
# ---------------------------------------------------------------------------


def _remove_previous(dest: Path, previous: list[str]) -> None:
    """Deletes the files a previous export wrote, then the folders that became empty."""
    root = dest.resolve()
    for rel in previous:
        target = dest / rel
        if not target.parent.resolve().is_relative_to(root):
            continue  # a symlinked folder leads out of DEST: never delete through it
        if target.is_symlink() or target.is_file():
            target.unlink()
    for rel in sorted(previous, key=lambda r: -len(PurePosixPath(r).parts)):
        for parent in (dest / rel).parents:
            if parent == dest:
                break
            if parent.is_dir() and not parent.is_symlink() and not any(parent.iterdir()):
                parent.rmdir()


def install(staged: Path, dest: Path, previous: list[str]) -> list[str]:
    """Replaces a previous export's files in DEST by the staged ones; returns what it wrote."""
    files = tree_files(staged)
    own = set(previous)
    foreign = [f for f in files if f not in own and ((dest / f).exists() or (dest / f).is_symlink())]
    if foreign:
        raise ExportError(
            f"{dest / foreign[0]} existe mas não foi escrito por uma exportação anterior; "
            "mova-o ou exporte para uma pasta nova. Nada foi escrito nem apagado."
        )
    dest.mkdir(parents=True, exist_ok=True)
    # An interruption from here on leaves a marker that covers every file of both exports.
    write_manifest(dest, sorted(own | set(files)))
    _remove_previous(dest, previous)
    for rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staged / rel, dest / rel)
    write_manifest(dest, files)
    return files


def export_student(dest: Path, repo: Path = REPO) -> list[str]:
    """Writes the students' repository to DEST; returns the relative paths written."""
    dest = Path(dest)
    previous = check_destination(dest, repo)
    with tempfile.TemporaryDirectory(prefix="modulo4-export-") as tmp:
        staged = Path(tmp) / "alunos"
        copy_course_files(repo, staged)
        write_student_files(repo, staged)
        problems = leak_problems(staged, repo)
        if problems:
            shown = "\n".join(problems[:20])
            raise ExportError(
                f"a exportação levaria soluções ou testes ocultos ({len(problems)} linha(s)); nada foi escrito:\n{shown}"
            )
        return install(staged, dest.resolve(), previous)


def next_steps(dest: Path, files: list[str], repo: Path = REPO) -> str:
    repository, version = package_metadata(repo / "pyproject.toml")
    return (
        f"Repositório dos alunos em {dest}: {len(files)} arquivos, sem soluções nem testes ocultos.\n"
        f"Publique-o em {repository} com a tag v{version} (os links do Colab e a célula de "
        "preparação das aulas usam essa tag):\n"
        f"  cd {dest}\n"
        "  git init -b main && git remote add origin <endereço>   # só na primeira vez\n"
        f'  git add -A && git commit -m "Versão {version}" && git tag v{version}\n'
        f"  git push origin main v{version}"
    )
