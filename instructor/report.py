"""How the class did: per exercise, from the gradebook (what ``nbgrader export`` reads), never
from the autograder's scores alone (a manual grade overrides them).

For each lesson: ``notas/<lesson>.csv`` (one row per student, one column per exercise, totals
and flags), ``notas/<lesson>.png`` (the histogram of each exercise's scores, so the exercise most
of the class missed shows) and a summary in Portuguese.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .build import exercise_points, owner_of
from .collect import REVIEW
from .gradebook import write_atomically


@dataclass
class Row:
    student: str
    scores: dict[str, float]  # exercise: points (manual grade where there is one)
    flags: list[dict]

    @property
    def total(self) -> float:
        return sum(self.scores.values())

    @property
    def review(self) -> bool:
        return any(f["code"] in REVIEW for f in self.flags)


def rows(course: Path, lesson: str, source: nbformat.NotebookNode, ledger: dict[str, dict]) -> list[Row]:
    from nbgrader.api import Gradebook, MissingEntry

    names = list(exercise_points(source))
    out = []
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        for student in sorted(ledger):
            try:
                submission = gb.find_submission(lesson, student)
            except MissingEntry:
                continue
            scores = dict.fromkeys(names, 0.0)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    owner = owner_of(grade.name, names) or grade.name
                    scores[owner] = scores.get(owner, 0.0) + float(grade.score or 0.0)
            out.append(Row(student, scores, ledger[student].get("flags", [])))
    return out


def flags_text(flags: list[dict]) -> str:
    return "; ".join(f"{f['code']}" + (f" ({f['cell']})" if f.get("cell") else "") + f": {f['message']}"
                     for f in flags)


def write_csv(path: Path, maxima: dict[str, float], table: list[Row]) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["aluno", *maxima, "total", "maximo", "revisar", "sinais"])
    for row in table:
        writer.writerow([row.student, *(f"{row.scores.get(e, 0.0):g}" for e in maxima), f"{row.total:g}",
                         f"{sum(maxima.values()):g}", "sim" if row.review else "nao", flags_text(row.flags)])
    write_atomically(path, out.getvalue().encode("utf-8"))


def write_histogram(path: Path, lesson: str, maxima: dict[str, float], table: list[Row]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(maxima), figsize=(3.2 * len(maxima), 3), squeeze=False)
    for ax, (name, top) in zip(axes[0], maxima.items()):
        values = [row.scores.get(name, 0.0) for row in table]
        ax.hist(values, bins=[i * top / 8 for i in range(9)], range=(0, top), color="tab:blue", edgecolor="white")
        mean = sum(values) / len(values) if values else 0.0
        ax.set_title(f"{name}\nmédia {mean:.2g} de {top:g}", fontsize=9)
        ax.set_xlabel("pontos")
        ax.set_xlim(0, top)
    axes[0][0].set_ylabel("alunos")
    fig.suptitle(f"{lesson}: pontos por exercício ({len(table)} alunos)")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_atomically(path, buffer.getvalue())


def summary(lesson: str, maxima: dict[str, float], table: list[Row], sandboxed: bool) -> str:
    if not table:
        return f"{lesson}: nenhuma entrega corrigida."
    top = sum(maxima.values())
    lines = [f"{lesson}: {len(table)} aluno(s), média {sum(r.total for r in table) / len(table):.3g} de {top:g}"
             + ("" if sandboxed else " — SEM sandbox: o código dos alunos rodou com os seus direitos")]
    width = max(len(r.student) for r in table)
    for row in table:
        mark = "  ← revisar" if row.review else ""
        lines.append(f"  {row.student:<{width}} {row.total:>5g} / {top:g}{mark}")
    means = {name: sum(r.scores.get(name, 0.0) for r in table) / len(table) / m for name, m in maxima.items() if m}
    if means:
        worst = min(means, key=means.get)
        lines.append(f"  exercício com menor aproveitamento: {worst} ({100 * means[worst]:.0f}% dos pontos)")
    flagged = [r for r in table if r.flags]
    if flagged:
        lines.append("  sinais:")
        for row in flagged:
            lines.append(f"    {row.student}: {flags_text(row.flags)}")
    return "\n".join(lines)
