"""python -m instructor build [ids...] | grade [ids...] | tryout <id> <file.py> | export-student <dest>"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from .build import BuildError, build_lesson, lesson_id, readme_table, with_readme_table
from .export import ExportError, export_student, next_steps
from .grading import GradingError, generate_assignment, sandbox
from .layout import REPO, lesson_files, notebook
from .task import Limits


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


def grade_class(args) -> None:
    from .classgrade import Options, grade

    limits = Limits(budget_s=args.tempo, memory_mb=args.memoria, output_bytes=args.saida)
    options = Options(force=args.force, limits=limits, sandbox=args.sandbox, scheduler=args.scheduler,
                      workers=args.workers, zip=args.zip, feedback=args.feedback)
    grade(args.course.resolve(), args.assignments, options)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m instructor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_build = sub.add_parser("build", help="gera source/ e release/ a partir de notebooks/")
    p_build.add_argument("ids", nargs="*", help="aulas (padrão: todas)")
    p_grade = sub.add_parser("grade", help="corrige as entregas de uma, várias ou todas as aulas")
    p_grade.add_argument("assignments", nargs="*", help="aulas (padrão: todas as que têm entregas)")
    p_grade.add_argument("--course", type=Path, default=REPO, help="pasta do curso (padrão: este repositório)")
    p_grade.add_argument("--zip", type=Path, help="arquivo .zip baixado do AVA (nbgrader zip_collect)")
    p_grade.add_argument("--force", action="store_true", help="corrige de novo até o que não mudou")
    p_grade.add_argument("--scheduler", help="endereço de um cluster Dask existente (padrão: um local)")
    p_grade.add_argument("--workers", type=int, help="processos do cluster local (padrão: um por núcleo)")
    p_grade.add_argument("--tempo", type=int, default=Limits.budget_s, help="segundos por entrega (notebook inteiro)")
    p_grade.add_argument("--memoria", type=int, default=Limits.memory_mb, help="MiB de memória por kernel")
    p_grade.add_argument("--saida", type=int, default=Limits.output_bytes, help="bytes de saída por entrega")
    p_grade.add_argument("--sandbox", choices=("auto", "on", "off"), default="auto",
                         help="isola cada kernel com bubblewrap (auto: onde funciona)")
    p_grade.add_argument("--sem-devolutiva", dest="feedback", action="store_false",
                         help="só as notas, mais rápido; as devolutivas depois, com nbgrader generate_feedback")
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
            grade_class(args)
    except (BuildError, GradingError, ExportError) as e:
        print(f"erro: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
