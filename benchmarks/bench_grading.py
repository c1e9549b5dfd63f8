"""Benchmark (não é teste): corrigir uma turma, nbgrader em série contra ``python -m instructor grade``.

A turma sintética são N cópias da aula com as soluções (tests/fixtures/submissions.py), cada
uma num aluno. Lado a lado, na mesma máquina, a mesma turma em pastas de curso separadas:

- linha de base: ``nbgrader autograde <aula>`` (todos os alunos, em série, como o nbgrader faz)
  e, em seguida, ``nbgrader generate_feedback <aula>`` (as devolutivas que este curso também faz);
- este curso, só as notas: ``python -m instructor grade <aula> --workers W --sem-devolutiva``;
- este curso, completo: ``python -m instructor grade <aula> --workers W`` (notas, devolutivas,
  planilha e histograma).

Cada medida dá o tempo de parede e o tempo de CPU (usuário + sistema, somando os kernels). Com
núcleos ocupados o tempo todo, a aceleração não passa de W × CPU(linha de base) / CPU(curso):
o que este curso gasta a mais de CPU (cluster, sandbox, verificações) sai direto dela. Nem passa
do teto da máquina: quanto dois processos independentes, só de CPU, rendem juntos contra um
(medido antes e depois; 2,0 em dois núcleos livres, menos numa máquina virtual compartilhada).

Meta (issue 11, 2 núcleos): aceleração >= 1,8 com 8 alunos, e tempo linear no número de alunos
(compare --students 4 8 16: o custo marginal por aluno é a inclinação da reta).

    python benchmarks/bench_grading.py --lesson 01_requires_grad --students 4 8 16 --workers 2
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from instructor.grading import generate_assignment, load_config  # noqa: E402
from instructor.layout import REPO  # noqa: E402
from tests.fixtures import submissions as S  # noqa: E402


@dataclass
class Run:
    wall: float
    cpu: float


def make_class(root: Path, lesson: str, students: int) -> Path:
    course = S.course_with(root, [lesson])
    generate_assignment(load_config(course), lesson)
    honest = S.honest(lesson)
    for i in range(students):
        S.place(course, lesson, f"aluno{i:03d}", honest)
    return course


def timed(command: list[str], cwd: Path) -> Run:
    """Wall and CPU time of a command and everything it started (kernels, workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Run(wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)


def full_marks(course: Path, lesson: str, students: int) -> None:
    """Both sides graded every student, and right: a fast run that failed would look like a win."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        scores = [(s.score, s.max_score) for s in gb.assignment_submissions(lesson)]
    if len(scores) != students or any(score != top for score, top in scores):
        raise SystemExit(f"{course.name}: notas erradas {scores}")


def nbgrader(step: str, lesson: str, course: Path) -> Run:
    return timed([sys.executable, "-m", "nbgrader", step, lesson, f"--config={REPO / 'nbgrader_config.py'}",
                  f"--CourseDirectory.root={course}"], course)


def ours(lesson: str, course: Path, workers: int, sandbox: str, *extra: str) -> Run:
    return timed([sys.executable, "-m", "instructor", "grade", lesson, "--course", str(course),
                  "--workers", str(workers), "--sandbox", sandbox, *extra], REPO)


SPIN = "x = 0\nfor i in range(50_000_000):\n    x += i\n"


def parallel_ceiling() -> float:
    """What this machine gives two independent CPU-bound processes at once, against one: 2.0
    on two free cores. A shared VM gives less (1.5-1.85 measured here), and no grader can beat it."""
    def spin(k: int) -> float:
        start = time.perf_counter()
        for p in [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(k)]:
            p.wait()
        return time.perf_counter() - start

    return 2 * spin(1) / spin(2)


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares seconds per student: the marginal cost, free of the fixed one."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    return sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", default="01_requires_grad")
    parser.add_argument("--students", type=int, nargs="+", default=[8])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sandbox", choices=("auto", "on", "off"), default="auto")
    args = parser.parse_args()
    lesson = args.lesson
    rows = []
    ceilings = [parallel_ceiling()]
    for n in args.students:
        with tempfile.TemporaryDirectory() as tmp:
            base, quick, full = (make_class(Path(tmp) / name, lesson, n) for name in ("base", "quick", "full"))
            # Interleaved, so a change in the machine's load hits both sides.
            autograde = nbgrader("autograde", lesson, base)
            grades_only = ours(lesson, quick, args.workers, args.sandbox, "--sem-devolutiva")
            feedback = nbgrader("generate_feedback", lesson, base)
            complete = ours(lesson, full, args.workers, args.sandbox)
            for course in (base, quick, full):
                full_marks(course, lesson, n)
        serial = Run(autograde.wall + feedback.wall, autograde.cpu + feedback.cpu)
        rows.append((n, autograde, grades_only, serial, complete))
        print(f"{n} alunos: notas {autograde.wall:.1f} s (nbgrader) / {grades_only.wall:.1f} s = "
              f"{autograde.wall / grades_only.wall:.2f}×; com devolutivas {serial.wall:.1f} s / "
              f"{complete.wall:.1f} s = {serial.wall / complete.wall:.2f}×", flush=True)

    ceilings.append(parallel_ceiling())
    print(f"\n{lesson}, {args.workers} processos, sandbox={args.sandbox}; teto da máquina para 2 processos "
          f"independentes: {ceilings[0]:.2f}× antes, {ceilings[1]:.2f}× depois")
    print("| alunos | só notas: nbgrader | instructor | aceleração | CPU nbgrader / instructor "
          "| com devolutivas: nbgrader | instructor | aceleração | CPU nbgrader / instructor |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, autograde, grades_only, serial, complete in rows:
        print(f"| {n} | {autograde.wall:.1f} s | {grades_only.wall:.1f} s | {autograde.wall / grades_only.wall:.2f}× "
              f"| {autograde.cpu:.0f} s / {grades_only.cpu:.0f} s | {serial.wall:.1f} s | {complete.wall:.1f} s "
              f"| {serial.wall / complete.wall:.2f}× | {serial.cpu:.0f} s / {complete.cpu:.0f} s |")
    if len(rows) > 1:
        for label, side in (("só notas", 1), ("com devolutivas", 3)):
            base = slope([(r[0], r[side].wall) for r in rows])
            mine = slope([(r[0], r[side + 1].wall) for r in rows])
            print(f"custo marginal por aluno ({label}): nbgrader {base:.1f} s, instructor {mine:.1f} s "
                  f"({base / mine:.2f}×)")


if __name__ == "__main__":
    main()
