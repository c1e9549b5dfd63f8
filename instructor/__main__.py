"""python -m instructor build [ids...] | grade <id> | tryout <id> <file.py> | export-student <dest>"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from .build import BuildError, build_lesson, lesson_id, readme_table, with_readme_table
from .export import ExportError, export_student, next_steps
from .grading import GradingError, autograde, generate_assignment, load_config, sandbox
from .layout import REPO, lesson_files, notebook


def lessons(ids: list[str]) -> list[Path]:
    files = lesson_files()
    if ids:
        files = [f for f in files if f.stem in ids]
        missing = set(ids) - {f.stem for f in files}
        if missing:
            raise BuildError(f"aula(s) não encontrada(s) em notebooks/: {', '.join(sorted(missing))}")
    return files


def build(ids: list[str]) -> None:
    """notebooks/ -> source/ (our build) -> release/ (nbgrader), lesson by lesson.

    The release is generated in a throwaway course directory, so authors get no
    gradebook.db in the repository; ``grade`` registers assignments in the real one.
    """
    for path in lessons(ids):
        lid = lesson_id(path)
        source = build_lesson(path, REPO / "source")
        with tempfile.TemporaryDirectory() as tmp:
            release = generate_assignment(sandbox(Path(tmp), lid, source), lid)
            target = notebook(REPO, "release", lid)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(release, target)
        print(f"{lid}: {source.relative_to(REPO)} e release/{lid}/{release.name}")
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    updated = with_readme_table(text, readme_table(lesson_files()))
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
        print("README.md: tabela de aulas atualizada")


def grade(assignment: str, course: Path = REPO) -> None:
    """Autogrades every submitted/<aluno>/<id>/ and prints the scores from the gradebook."""
    config = load_config(course)
    if not (course / "source" / assignment).is_dir():
        raise GradingError(f"não existe source/{assignment}: rode `python -m instructor build {assignment}`")
    submitted = sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}"))
    if not submitted:
        raise GradingError(
            f"nenhuma entrega em submitted/<aluno>/{assignment}/: use `nbgrader collect {assignment}` "
            "ou `nbgrader zip_collect`"
        )
    generate_assignment(config, assignment)
    print(f"{'aluno':<24} {'pontos':>7} {'máximo':>7}")
    for student in submitted:
        scores = autograde(config, assignment, student)
        got = sum(s for s, _ in scores.values())
        top = sum(m for _, m in scores.values())
        print(f"{student:<24} {got:>7g} {top:>7g}")
    print(f"\nNotas detalhadas: `nbgrader export`; devolutivas: `nbgrader generate_feedback {assignment}`.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m instructor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="gera source/ e release/ a partir de notebooks/")
    p_build.add_argument("ids", nargs="*", help="aulas (padrão: todas)")
    p_grade = sub.add_parser("grade", help="corrige as entregas de uma aula")
    p_grade.add_argument("assignment")
    p_grade.add_argument("--course", type=Path, default=REPO, help="pasta do curso (padrão: este repositório)")
    p_try = sub.add_parser("tryout", help="roda os testes de uma aula (ocultos inclusive) contra um arquivo")
    p_try.add_argument("assignment")
    p_try.add_argument("implementation", type=Path, help="arquivo .py com as funções/classes dos exercícios")
    p_export = sub.add_parser(
        "export-student", help="escreve em DEST o repositório público dos alunos (sem soluções nem testes ocultos)"
    )
    p_export.add_argument("dest", type=Path, help="pasta fora deste repositório, nova, vazia ou de uma exportação anterior")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            build(args.ids)
        elif args.command == "tryout":
            from .tryout import report

            print(report(args.assignment, args.implementation))
        elif args.command == "export-student":
            print(next_steps(args.dest, export_student(args.dest)))
        else:
            grade(args.assignment, args.course.resolve())
    except (BuildError, GradingError, ExportError) as e:
        print(f"erro: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
