"""`python -m instructor export-student DEST`: the students' public repository holds their side
of the course and no line of a solution or a hidden test."""

import shutil
import subprocess
import sys
import tomllib
import zipfile

import nbformat
import pytest

from instructor.build import HIDDEN, SOLUTION, colab_url, regions
from instructor.export import (
    MARKER,
    ExportError,
    distinctive_lines,
    export_student,
    leak_problems,
    tree_files,
)
from instructor.layout import REPO, lesson_ids

STUDENT_TOP = {
    ".gitignore", MARKER, "Makefile", "README.md", "constraints.txt", "environment.yml", "helpers", "jupyter",
    "pyproject.toml", "release", "scripts",
}
INSTRUCTOR_ONLY = {
    "source", "notebooks", "instructor", "tests", "autograded", "submitted", "feedback", "gradebook.db",
    "benchmarks", ".ci",
}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One export of this repository; tests that change it work on a copy."""
    dest = tmp_path_factory.mktemp("export") / "alunos"
    export_student(dest)
    return dest


def _first_region_line(kind: tuple[str, str]) -> str:
    """A line of the first solution (or hidden-test) region of lesson 01 that nothing public has."""
    secret = distinctive_lines()
    nb = nbformat.read(REPO / "source" / "01_requires_grad" / "01_requires_grad.ipynb", as_version=4)
    for cell in nb.cells:
        lines = cell.source.splitlines()
        for a, b in regions(cell.source, kind):
            for line in lines[a + 1 : b]:
                if line.strip() in secret:
                    return line
    raise AssertionError(f"aula 01 sem linha distintiva em {kind}")


def instructor(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "instructor", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


def test_export_holds_the_students_side_and_nothing_of_the_instructors(exported):
    assert {p.name for p in exported.iterdir()} == STUDENT_TOP | {p.name for p in REPO.glob("LICENSE*")}
    names = {part for p in exported.rglob("*") for part in p.relative_to(exported).parts}
    assert not names & INSTRUCTOR_ONLY
    assert not (exported / "nbgrader_config.py").exists()
    manifest = (exported / MARKER).read_text(encoding="utf-8").splitlines()
    assert [line for line in manifest if not line.startswith("#")] == tree_files(exported)
    for release in REPO.glob("release/*/*.ipynb"):
        assert (exported / release.relative_to(REPO)).read_bytes() == release.read_bytes()
    for module in REPO.glob("helpers/*.py"):
        assert (exported / module.relative_to(REPO)).read_bytes() == module.read_bytes()
    for script in ("ensure-env.sh", "torch-index.sh"):
        assert (exported / "scripts" / script).stat().st_mode & 0o111, f"scripts/{script} perdeu o +x"


def test_export_holds_no_solution_and_no_hidden_test_line(exported):
    assert len(distinctive_lines()) > 100  # the check has something to look for
    assert leak_problems(exported) == []


def test_the_leak_check_reports_planted_solution_and_hidden_test_lines(exported, tmp_path):
    copy = tmp_path / "alunos"
    shutil.copytree(exported, copy)
    solution, hidden = _first_region_line(SOLUTION), _first_region_line(HIDDEN)
    notebook = copy / "release" / "02_backward" / "02_backward.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"# uma dica\n{solution}"))
    nbformat.write(nb, notebook)
    with (copy / "helpers" / "checks.py").open("a", encoding="utf-8") as f:
        f.write(f"\n{hidden}\n")
    (copy / "README.md").write_text(f"texto\n{SOLUTION[0]}\n", encoding="utf-8")

    problems = "\n".join(leak_problems(copy))

    assert f"release/02_backward/02_backward.ipynb: {solution.strip()!r}" in problems
    assert f"helpers/checks.py: {hidden.strip()!r}" in problems
    assert f"README.md: {SOLUTION[0]!r}" in problems


def test_export_refuses_to_write_a_leak(tmp_path):
    course = tmp_path / "curso"
    for name in ("release", "helpers", "notebooks", "source", "scripts", "jupyter"):
        shutil.copytree(REPO / name, course / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "environment.yml", "constraints.txt", "README.md"):
        shutil.copy2(REPO / name, course / name)
    notebook = course / "release" / "01_requires_grad" / "01_requires_grad.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(_first_region_line(SOLUTION)))
    nbformat.write(nb, notebook)
    dest = tmp_path / "alunos"

    with pytest.raises(ExportError, match="nada foi escrito"):
        export_student(dest, repo=course)
    assert not dest.exists()


def test_export_into_the_course_repository_is_refused_in_portuguese():
    dest = REPO / "alunos_exportados"
    assert not dest.exists()

    result = instructor("export-student", str(dest))

    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stderr.startswith("erro: ")
    assert "fica dentro do repositório do curso" in result.stderr and "Nada foi escrito" in result.stderr
    assert not dest.exists()


@pytest.mark.parametrize("where", ["ocupada", "arquivo"])
def test_export_refuses_a_folder_it_did_not_write_and_touches_nothing(where, tmp_path, snapshot):
    dest = tmp_path / "meu_projeto"
    if where == "ocupada":
        dest.mkdir()
        (dest / "notas.txt").write_text("não apague", encoding="utf-8")
    else:
        dest.write_text("não apague", encoding="utf-8")
    before = snapshot(tmp_path)

    with pytest.raises(ExportError, match="Nada foi escrito") as refused:
        export_student(dest)

    assert {"ocupada": "não é uma exportação anterior", "arquivo": "não é uma pasta"}[where] in str(refused.value)
    assert snapshot(tmp_path) == before


def test_reexport_replaces_its_own_files_and_keeps_the_rest(tmp_path):
    dest = tmp_path / "alunos"
    first = export_student(dest)
    (dest / ".git").mkdir()
    (dest / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")
    (dest / "meus_notebooks").mkdir()
    (dest / "meus_notebooks" / "01_requires_grad.ipynb").write_text("o trabalho do aluno", encoding="utf-8")
    (dest / "README.md").write_text("editado à mão", encoding="utf-8")
    stale = dest / "release" / "99_antiga" / "99_antiga.ipynb"  # a lesson the course no longer has
    stale.parent.mkdir()
    stale.write_text("{}", encoding="utf-8")
    with (dest / MARKER).open("a", encoding="utf-8") as f:
        f.write("release/99_antiga/99_antiga.ipynb\n")

    again = export_student(dest)

    assert again == first
    assert (dest / "README.md").read_text(encoding="utf-8") != "editado à mão"
    assert not stale.parent.exists()
    assert (dest / ".git" / "HEAD").read_text(encoding="utf-8") == "ref: refs/heads/main\n"
    assert (dest / "meus_notebooks" / "01_requires_grad.ipynb").read_text(encoding="utf-8") == "o trabalho do aluno"

    # A file at one of the export's paths that no export wrote is someone else's: refused.
    lines = (dest / MARKER).read_text(encoding="utf-8").splitlines()
    (dest / MARKER).write_text("\n".join(line for line in lines if line != "Makefile") + "\n", encoding="utf-8")
    with pytest.raises(ExportError, match="não foi escrito por uma exportação anterior"):
        export_student(dest)
    assert (dest / "README.md").exists()


def test_exported_package_builds_with_only_the_students_extra(exported, tmp_path):
    source = tmp_path / "alunos"
    shutil.copytree(exported, source)  # the build writes build/ and *.egg-info beside the sources
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "--disable-pip-version-check", "-w", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("modulo4_helpers-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        metadata = z.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "helpers/checks.py" in names and "helpers/doctor.py" in names
    assert [line for line in metadata.splitlines() if line.startswith("Provides-Extra:")] == [
        "Provides-Extra: course"
    ]
    repository = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert f"Project-URL: Repository, {repository}" in metadata


def test_exported_environment_brings_only_what_students_need(exported):
    course = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    student = tomllib.loads((exported / "pyproject.toml").read_text(encoding="utf-8"))
    assert set(student["project"]["optional-dependencies"]) == {"course"}
    assert "nbgrader>=0.9.6" in student["project"]["optional-dependencies"]["course"]  # Validate
    for key in ("name", "version", "dependencies", "urls"):
        assert student["project"][key] == course["project"][key]
    assert "pytest" not in student.get("tool", {}) and "ruff" not in student.get("tool", {})
    environment = (exported / "environment.yml").read_text(encoding="utf-8")
    assert "jupytext" not in environment and "pytest" not in environment
    assert "- nbgrader>=0.9.6" in environment and "- jupyterlab>=4.0" in environment
    assert "--editable ." in environment


def _extras_installed(root, tmp_path):
    """What scripts/ensure-env.sh in ``root`` asks pip to install, with a stand-in environment."""
    venv = tmp_path / f"venv-{root.name}"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / f"pip-{root.name}.txt"
    (venv / "bin" / "python").write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    (venv / "bin" / "python").chmod(0o755)
    env = {"PATH": "/usr/bin:/bin", "VENV": str(venv), "PYTHON": sys.executable,
           "MODULO4_TORCH_CPU_INDEX": "http://127.0.0.1:9"}  # unreachable: no network wait
    subprocess.run(["bash", str(root / "scripts" / "ensure-env.sh")], env=env, check=True,
                   capture_output=True, timeout=120)
    install = next(line for line in log.read_text().splitlines() if line.startswith("-m pip install"))
    return install.split()[-1]


def test_environment_script_installs_the_extras_its_pyproject_defines(exported, tmp_path):
    assert _extras_installed(REPO, tmp_path) == ".[course,instructor,test,browser]"
    assert _extras_installed(exported, tmp_path) == ".[course]"


def test_student_makefile_and_validate_timeout(exported):
    from traitlets.config.loader import PyFileConfigLoader

    from instructor.grading import load_config

    plan = subprocess.run(["make", "-n", "-C", str(exported), "lab"], capture_output=True, text=True, check=True)
    assert "scripts/lab.py meus_notebooks" in plan.stdout
    targets = subprocess.run(["make", "-n", "-C", str(exported), "test"], capture_output=True, text=True)
    assert targets.returncode != 0  # no instructor targets
    # The students' Validate gives a cell the time the grading gives it.
    student = PyFileConfigLoader("nbgrader_config.py", path=str(exported / "jupyter" / "aluno")).load_config()
    assert student.Execute.timeout == load_config(exported).Execute.timeout > 30


def test_exported_readme_has_the_lesson_table_with_colab_links(exported):
    readme = (exported / "README.md").read_text(encoding="utf-8")
    for lid in lesson_ids():
        assert f"| {lid[:2]} |" in readme and f"({colab_url(lid)})" in readme
    assert "make lab" in readme and "conda env create -f environment.yml" in readme
    assert "Para instrutores" not in readme and "make test" not in readme and "make build" not in readme
