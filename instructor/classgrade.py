"""Grade a whole class: every submission graded or flagged, in parallel, on one machine or many.

``python -m instructor grade [lessons...]`` is this pipeline, a list of small steps:

1. ``prepare``: the lesson's instructor notebook registered in the course gradebook, and an
   empty gradebook holding only the assignment for the workers' copies;
2. ``collect.read``: each student's folder read into a Submission (normalized or flagged);
3. ``pending``: only what changed since the last run (the ledger), unless ``force``;
4. ``task.grade_one`` on a Dask cluster: a local one by default, or an existing scheduler
   (``--scheduler``, e.g. one started on SLURM with dask-jobqueue), each submission in its own
   working copy with its limits and, where bubblewrap works, its sandbox;
5. ``gradebook.record``, one result at a time as they arrive (one writer), files and ledger;
6. ``report``: CSV, histogram and summary per lesson.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import collect, gradebook, layout, report, sandbox, tamper
from .grading import GradingError, generate_assignment, load_config
from .grading import sandbox as course_copy
from .task import Job, Limits, Result, grade_one


@dataclass
class Options:
    force: bool = False
    limits: Limits = field(default_factory=Limits)
    sandbox: str = "auto"  # auto: where bubblewrap works; on: required; off: never
    scheduler: str | None = None
    workers: int | None = None
    zip: Path | None = None  # an LMS download for the one lesson given (nbgrader zip_collect)


@dataclass
class Lesson:
    lid: str
    source: bytes
    release: bytes  # what students got: their test cells are compared with it
    template_db: bytes
    expected_names: dict[str, str]

    @property
    def notebook(self) -> nbformat.NotebookNode:
        return nbformat.reads(self.source.decode("utf-8"), as_version=4)

    @property
    def student_notebook(self) -> nbformat.NotebookNode:
        return nbformat.reads(self.release.decode("utf-8"), as_version=4)


# --- 1. prepare ---------------------------------------------------------------------------------
def prepare(course: Path, lid: str) -> Lesson:
    source_path = layout.notebook(course, "source", lid)
    if not source_path.is_file():
        raise GradingError(f"não existe source/{lid}: rode `python -m instructor build {lid}`")
    release = generate_assignment(load_config(course), lid).read_bytes()
    with tempfile.TemporaryDirectory() as tmp:
        generate_assignment(course_copy(Path(tmp), lid, source_path), lid)
        template = (Path(tmp) / "gradebook.db").read_bytes()
    source = source_path.read_bytes()
    if b"mnist" in source.lower():
        _ensure_mnist()
    return Lesson(lid, source, release, template, _expected_names(source))


def _expected_names(source: bytes) -> dict[str, str]:
    return tamper.imported_names(nbformat.reads(source.decode("utf-8"), as_version=4))


def tamper_flags(sub: collect.Submission, source: nbformat.NotebookNode) -> list[dict]:
    """The static scan: each hit names the student's cell and what it rebinds or opens."""
    if sub.notebook is None:
        return []
    hits = tamper.scan(nbformat.reads(sub.notebook.decode("utf-8"), as_version=4), source)
    return [collect.flag("adulteracao", f"linha {hit.line}: {hit.reason}", hit.where) for hit in hits]


def _ensure_mnist() -> None:
    """Kernels read MNIST from the shared cache, read-only in the sandbox: fill it first."""
    from helpers.mnist import ensure_mnist

    try:
        ensure_mnist()
    except Exception as err:  # the lesson's tests will say what is missing
        print(f"aviso: MNIST indisponível para a correção ({err})", file=sys.stderr)


# --- 2, 3. collect and choose ---------------------------------------------------------------------
def pending(subs: list[collect.Submission], ledger: dict[str, dict], source: bytes, force: bool):
    import hashlib

    source_digest = hashlib.sha256(source).hexdigest()
    todo = []
    for sub in subs:
        seen = ledger.get(sub.student, {})
        if force or seen.get("submission") != sub.digest or seen.get("source") != source_digest:
            todo.append(sub)
    return todo, source_digest


# --- 4. the cluster -------------------------------------------------------------------------------
@contextmanager
def cluster(options: Options):
    from distributed import Client, LocalCluster

    if options.scheduler:
        with Client(options.scheduler) as client:
            yield client
        return
    workers = options.workers or max(1, os.cpu_count() or 1)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as local, Client(local) as client:
        yield client


def sandbox_mode(options: Options) -> tuple[bool, str | None]:
    """(use the sandbox?, why not). ``on`` without bubblewrap is an error, not a silent downgrade."""
    if options.sandbox == "off":
        return False, "desligado com --sem-sandbox"
    reason = sandbox.unavailable_reason()
    if reason and options.sandbox == "on":
        raise GradingError(f"sandbox pedido, mas {reason}")
    return reason is None, reason


def run_jobs(client, jobs: list[Job], on_result: Callable[[Result], None]) -> None:
    from distributed import as_completed

    futures = {client.submit(grade_one, job, pure=False, key=f"nota-{job.lesson}-{job.student}-{id(job)}"): job
               for job in jobs}
    for future in as_completed(futures):
        job = futures[future]
        try:
            result = future.result()
        except Exception as err:  # a worker lost, an nbgrader crash: flag it, go on
            result = Result(job.lesson, job.student, {}, {}, [collect.flag(
                "erro_interno", f"a correção falhou fora do notebook ({type(err).__name__}: {err})"[:500])])
        on_result(result)


# --- the pipeline ---------------------------------------------------------------------------------
def grade(course: Path, lids: list[str], options: Options, say: Callable[[str], None] = print) -> dict:
    course = Path(course).resolve()
    lids = lids or sorted({p.parent.name for p in (course / "submitted").glob("*/*") if p.is_dir()})
    if not lids:
        raise GradingError("nenhuma entrega em submitted/<aluno>/<aula>/: use `nbgrader collect <aula>` "
                           "ou `python -m instructor grade <aula> --zip arquivo.zip`")
    use_sandbox, why_not = sandbox_mode(options)
    if not use_sandbox:
        say(f"aviso: corrigindo SEM sandbox ({why_not}): o código dos alunos roda com os seus direitos")
    lessons = {lid: prepare(course, lid) for lid in lids}
    if options.zip:
        if len(lids) != 1:
            raise GradingError("--zip precisa de exatamente uma aula: python -m instructor grade 01_requires_grad --zip x.zip")
        try:
            collect.from_zip(course, lids[0], options.zip)
        except ValueError as err:
            raise GradingError(str(err)) from None
    ledgers, submissions, jobs = {}, {}, []
    for lid, lesson in lessons.items():
        students = collect.students(course, lid)
        if not students:
            raise GradingError(f"nenhuma entrega em submitted/<aluno>/{lid}/: use `nbgrader collect {lid}` "
                               "ou `nbgrader zip_collect`")
        given = lesson.student_notebook
        subs = [collect.read(course, lid, s, given) for s in students]
        for sub in subs:
            sub.flags += tamper_flags(sub, lesson.notebook)
        ledgers[lid] = gradebook.read_ledger(course, lid)
        todo, source_digest = pending(subs, ledgers[lid], lesson.source, options.force)
        say(f"{lid}: {len(subs)} entrega(s), {len(todo)} para corrigir")
        for sub in todo:
            submissions[(lid, sub.student)] = (sub, source_digest)
            if sub.notebook is not None:
                jobs.append(Job(lid, sub.student, lesson.source, lesson.template_db, sub.notebook, sub.timestamp,
                                _limits(options), use_sandbox, lesson.expected_names))

    def on_result(result: Result) -> None:
        sub, source_digest = submissions[(result.lesson, result.student)]
        flags = sub.flags + result.flags + ([] if use_sandbox else [collect.flag("sem_sandbox", why_not or "")])
        result.flags = flags
        gradebook.record(course, result, sub.timestamp)
        gradebook.store_files(course, result)
        ledgers[result.lesson][result.student] = {"submission": sub.digest, "source": source_digest,
                                                  "flags": flags, "seconds": round(result.seconds, 1),
                                                  **({"log": result.log[-3000:]} if result.log else {})}
        gradebook.write_ledger(course, result.lesson, ledgers[result.lesson])

    for (lid, student), (sub, _) in submissions.items():
        if sub.notebook is None:
            on_result(Result(lid, student, {}, {}, []))
    if jobs:
        with cluster(options) as client:
            run_jobs(client, jobs, on_result)
    return {lid: _report(course, lessons[lid], ledgers[lid], use_sandbox, say) for lid in lids}


def _limits(options: Options) -> Limits:
    workers = options.workers or os.cpu_count() or 1
    threads = max(1, (os.cpu_count() or 1) // workers) if not options.scheduler else options.limits.threads
    return Limits(options.limits.budget_s, options.limits.memory_mb, options.limits.output_bytes, threads)


def _report(course: Path, lesson: Lesson, ledger: dict, sandboxed: bool, say) -> list[report.Row]:
    source_nb = lesson.notebook
    maxima = report.exercises(source_nb)
    table = report.rows(course, lesson.lid, source_nb, ledger)
    out = course / "notas"
    report.write_csv(out / f"{lesson.lid}.csv", maxima, table)
    if table:
        report.write_histogram(out / f"{lesson.lid}.png", lesson.lid, maxima, table)
    say(report.summary(lesson.lid, maxima, table, sandboxed))
    say(f"  planilha: notas/{lesson.lid}.csv; histograma: notas/{lesson.lid}.png; "
        f"devolutivas: feedback/<aluno>/{lesson.lid}/")
    return table
