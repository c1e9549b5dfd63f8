"""Grading a class: every submission graded or flagged, honest students unharmed, re-runs safe.

One class of lesson 01, built from the real notebooks (tests/fixtures/submissions.py), is graded
once by ``python -m instructor grade`` on a local Dask cluster; each broken submission's score
and flag is asserted, and the honest students graded after it get full marks. Later tests
re-run the command on the same course (nothing changed, a resubmission, a manual grade).
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

from instructor import collect, sandbox
from instructor.classgrade import Options, grade
from instructor.layout import REPO, notebook
from instructor.task import Limits
from tests.fixtures import submissions as S

LID = "01_requires_grad"
BUDGET_S = 90  # per notebook; an honest lesson 01 runs in 10-40 s on a loaded 2-core machine
OUTPUT_BYTES = 1_000_000


def _class(course: Path) -> dict[str, tuple[float, set[str], set[str]]]:
    """{student: (expected score, flags that must be there, flags that must not)}."""
    h = S.honest(LID)
    ex = S.solution_ids(LID)  # in notebook order: linear 2, make_params 3, frozen_copy 2, gets_grad 3
    first_three = 7
    loop = "def {name}(*args, **kwargs):\n    while True:\n        pass\n"
    cases = {
        "ana": (h, {}, 10, set()),
        "bruno": (S.release(LID), {}, 0, set()),
        "carla": (S.replace_solution(h, ex[3], "import os\nos._exit(1)"), {}, first_three, {"kernel_morreu"}),
        "davi": (b"isto nao e um notebook {", {}, 0, {"nao_json"}),
        "eva": (h, {"name": "01_requires_grad (1).ipynb"}, 10, {"nome_errado"}),
        "fabio": (h, {"version": 3}, 10, {"formato_antigo"}),
        "gil": (S.add_cell(h, "for _ in range(50):\n    print('x' * 1_000_000)"), {}, 10, {"saida_cortada"}),
        "hugo": (S.add_cell(h, "import torch\nbig = torch.ones(3 * 2**30 // 4)"), {}, 10, {"memoria"}),
        "igor": (S.replace_solution(h, ex[3], loop.format(name=ex[3])), {}, first_three, {"tempo_esgotado"}),
        "julia": (S.add_cell(h, "while True:\n    pass", before=ex[0]), {}, 0, {"tempo_esgotado"}),
        "kleber": (S.without_tests(h), {}, 10, {"testes_apagados"}),
        "lara": (S.tests_replaced(S.release(LID)), {}, 0, {"testes_editados"}),
        "marcos": (S.add_cell(S.add_cell(h, "print('rascunho')\nx = 1"), "x + 1", before=ex[1]), {}, 10, set()),
        "nina": (None, {}, 0, {"sem_entrega"}),
        "otto": (h, {}, 10, set()),
    }
    expected = {}
    for student, (nb, how, score, flags) in cases.items():
        S.place(course, LID, student, nb, **how)
        expected[student] = (score, flags)
    return expected


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = S.course_with(tmp_path_factory.mktemp("turma"), [LID])
    expected = _class(course)
    said: list[str] = []
    start = time.monotonic()
    tables = grade(course, [LID], Options(limits=Limits(budget_s=BUDGET_S, output_bytes=OUTPUT_BYTES), workers=2),
                   say=said.append)
    print(f"\n{len(expected)} entregas corrigidas em {time.monotonic() - start:.0f} s")
    return course, expected, {row.student: row for row in tables[LID]}, "\n".join(said)


def test_every_submission_gets_its_score_and_flags(graded):
    _, expected, rows, summary = graded
    assert set(rows) == set(expected), summary
    for student, (score, flags) in expected.items():
        row = rows[student]
        codes = {f["code"] for f in row.flags}
        assert row.total == score, f"{student}: {row.total} != {score}; {row.flags}"
        assert flags <= codes, f"{student}: sinais {codes}, esperados {flags}"
        assert row.review == bool(flags & collect.REVIEW), f"{student}: revisar={row.review} com {codes}"


def test_honest_students_graded_after_broken_ones_get_full_marks(graded):
    _, _, rows, _ = graded
    assert rows["otto"].total == 10 and rows["ana"].total == 10
    assert rows["otto"].flags == [] and rows["ana"].flags == []


def test_the_crash_keeps_earlier_points_and_says_where(graded):
    _, _, rows, _ = graded
    crash = next(f for f in rows["carla"].flags if f["code"] == "kernel_morreu")
    assert crash["cell"] == S.solution_ids(LID)[3]


def test_output_is_capped_in_bytes(graded):
    course, _, _, _ = graded
    autograded = notebook(course, "autograded", LID, "gil")
    assert autograded.stat().st_size < OUTPUT_BYTES + 1_000_000  # the notebook itself is ~120 kB
    assert "saída cortada" in autograded.read_text(encoding="utf-8")


def test_summary_csv_and_histogram(graded):
    course, expected, rows, summary = graded
    assert "exercício com menor aproveitamento" in summary
    for student in ("carla", "davi", "igor"):
        assert f"{student}:" in summary.split("sinais:")[1]
    with open(course / "notas" / f"{LID}.csv", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["aluno"] for r in table] == sorted(expected)
    assert set(table[0]) >= {"linear", "make_params", "frozen_copy", "gets_grad", "total", "revisar", "sinais"}
    by_student = {r["aluno"]: r for r in table}
    assert float(by_student["carla"]["total"]) == 7 and by_student["carla"]["revisar"] == "sim"
    assert float(by_student["carla"]["gets_grad"]) == 0 and float(by_student["carla"]["make_params"]) == 3
    assert (course / "notas" / f"{LID}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (notebook(course, "feedback", LID, "ana").with_suffix(".html")).stat().st_size > 0


def test_the_table_agrees_with_nbgrader_export(graded):
    course, _, rows, _ = graded
    out = course / "export.csv"
    subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--to={out}", f"--CourseDirectory.root={course}"],
                   cwd=course, check=True, capture_output=True)
    with open(out, encoding="utf-8") as f:
        exported = {r["student_id"]: float(r["score"]) for r in csv.DictReader(f) if r["assignment"] == LID}
    assert exported == {s: r.total for s, r in rows.items()}


def test_a_rerun_grades_nothing_unchanged_and_gives_the_same_scores(graded):
    course, _, rows, _ = graded
    said: list[str] = []
    again = grade(course, [LID], Options(workers=1), say=said.append)
    assert f"{LID}: {len(rows)} entrega(s), 0 para corrigir" in said
    assert {r.student: r.total for r in again[LID]} == {s: r.total for s, r in rows.items()}


def test_a_failed_regrade_replaces_the_old_grade_and_manual_grades_stay(graded):
    from nbgrader.api import Gradebook

    course, _, _, _ = graded
    db = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db) as gb:
        gb.find_grade("test_linear", LID, LID, "otto").manual_score = 0.5
        gb.db.commit()
    page = notebook(course, "feedback", LID, "otto").with_suffix(".html")
    assert page.is_file()  # the 10/10 of the first grading
    S.place(course, LID, "otto", b"corrompido")
    said: list[str] = []
    tables = grade(course, [LID], Options(workers=1), say=said.append)
    assert f"{LID}: 15 entrega(s), 1 para corrigir" in said
    otto = next(r for r in tables[LID] if r.student == "otto")
    assert otto.review and {f["code"] for f in otto.flags} == {"nao_json"}
    with Gradebook(db) as gb:
        grade_ = gb.find_grade("test_linear", LID, LID, "otto")
        assert grade_.manual_score == 0.5 and grade_.auto_score == 0 and grade_.needs_manual_grade
        assert gb.find_submission(LID, "otto").score == 0.5  # the manual grade, not the old 10
        assert gb.find_submission_notebook(LID, LID, "otto").flagged
    assert not page.exists()  # it would still say 10/10


def test_zip_from_an_lms_is_collected_and_graded(tmp_path):
    course = S.course_with(tmp_path / "curso", [LID])
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"entregas/ana.souza_{LID}.ipynb", nbformat.writes(S.honest(LID, only=["linear"])))
    tables = grade(course, [LID], Options(workers=1, zip=archive), say=lambda _: None)
    assert [(r.student, r.total) for r in tables[LID]] == [("ana.souza", 2)]


def test_grades_without_feedback_pages_say_how_to_make_them(tmp_path):
    course = S.course_with(tmp_path / "curso", [LID])
    S.place(course, LID, "ana", S.honest(LID, only=["linear"]))
    said: list[str] = []
    tables = grade(course, [LID], Options(workers=1, feedback=False), say=said.append)
    assert [(r.student, r.total) for r in tables[LID]] == [("ana", 2)]
    assert notebook(course, "autograded", LID, "ana").is_file()
    assert not (course / "feedback").exists()
    assert any(f"nbgrader generate_feedback {LID}" in line for line in said)


def test_a_dask_scheduler_with_two_worker_processes(tmp_path):
    """--scheduler ADDRESS: the way a cluster started elsewhere (dask-jobqueue on SLURM) is used."""
    course = S.course_with(tmp_path / "curso", [LID])
    S.place(course, LID, "ana", S.honest(LID))
    S.place(course, LID, "bruno", S.honest(LID, only=["linear", "frozen_copy"]))
    scheduler_file = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the workers import instructor.task
    # Workers whose working directory is gone by the time they grade (a scratch folder on a
    # cluster; locally, a temporary course that nbgrader was in when the worker started).
    gone = tmp_path / "scratch"
    gone.mkdir()
    bindir = Path(sys.executable).parent
    procs = [subprocess.Popen([bindir / "dask", "scheduler", "--scheduler-file", scheduler_file, "--port", "0",
                               "--no-dashboard"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        for _ in range(2):
            procs.append(subprocess.Popen([bindir / "dask", "worker", "--scheduler-file", scheduler_file,
                                           "--nthreads", "1", "--nworkers", "1", "--no-dashboard"], env=env,
                                          cwd=gone, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(scheduler_file=str(scheduler_file), timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            address = client.scheduler.address
            workers_seen = len(client.scheduler_info()["workers"])
        gone.rmdir()
        tables = grade(course, [LID], Options(scheduler=address), say=lambda _: None)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    assert workers_seen == 2
    assert {r.student: r.total for r in tables[LID]} == {"ana": 10, "bruno": 4}


def test_unsandboxed_runs_are_said_and_flagged(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "bubblewrap não está instalado (teste)")
    course = S.course_with(tmp_path / "curso", [LID])
    S.place(course, LID, "ana", b"{")
    said: list[str] = []
    tables = grade(course, [LID], Options(workers=1), say=said.append)
    assert any("SEM sandbox" in line and "bubblewrap não está instalado" in line for line in said)
    assert "sem_sandbox" in {f["code"] for f in tables[LID][0].flags}
    with pytest.raises(Exception, match="sandbox pedido"):
        grade(course, [LID], Options(workers=1, sandbox="on"), say=said.append)
