"""Benchmark (não é teste): corrigir uma turma, nbgrader em série contra ``python -m instructor grade``.

A turma sintética são N cópias da aula com as soluções (tests/fixtures/submissions.py), cada
uma num aluno. Lado a lado, na mesma máquina, a mesma turma em duas pastas de curso:

- linha de base: ``nbgrader autograde <aula>`` (todos os alunos, em série, como o nbgrader faz);
- este curso: ``python -m instructor grade <aula> --workers W`` (Dask local, um kernel por
  processo, limites e sandbox onde houver bubblewrap), que também gera as devolutivas e a
  planilha — trabalho a mais que a linha de base não faz.

Meta (issue 11, 2 núcleos): tempo(nbgrader) / tempo(instructor) >= 1,8 com 8 alunos, e o tempo
linear no número de alunos (compare --students 4 e 8).

    python benchmarks/bench_grading.py --lesson 01_requires_grad --students 8 --workers 2
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from instructor.grading import generate_assignment, load_config  # noqa: E402
from instructor.layout import REPO  # noqa: E402
from tests.fixtures import submissions as S  # noqa: E402


def make_class(root: Path, lesson: str, students: int) -> Path:
    course = S.course_with(root, [lesson])
    generate_assignment(load_config(course), lesson)
    honest = S.honest(lesson)
    for i in range(students):
        S.place(course, lesson, f"aluno{i:03d}", honest)
    return course


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="01_requires_grad")
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sandbox", choices=("auto", "on", "off"), default="auto")
    args = parser.parse_args()
    config = [f"--config={REPO / 'nbgrader_config.py'}"]
    with tempfile.TemporaryDirectory() as tmp:
        base = make_class(Path(tmp) / "nbgrader", args.lesson, args.students)
        ours = make_class(Path(tmp) / "instructor", args.lesson, args.students)
        serial = timed([sys.executable, "-m", "nbgrader", "autograde", args.lesson, *config,
                        f"--CourseDirectory.root={base}"], base)
        parallel = timed([sys.executable, "-m", "instructor", "grade", args.lesson, "--course", str(ours),
                          "--workers", str(args.workers), "--sandbox", args.sandbox], REPO)
    print(f"{args.lesson}, {args.students} alunos: nbgrader em série {serial:.1f} s "
          f"({serial / args.students:.1f} s/aluno); instructor grade ({args.workers} processos, "
          f"sandbox={args.sandbox}) {parallel:.1f} s ({parallel / args.students:.1f} s/aluno); "
          f"aceleração {serial / parallel:.2f}×")


if __name__ == "__main__":
    main()
