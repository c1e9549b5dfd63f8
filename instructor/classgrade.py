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

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import collect, gradebook, layout, report, sandbox, tamper
from .build import exercise_points
from .grading import GradingError, generate_assignment, load_config, new_gradebook
from .grading import sandbox as course_copy
from .task import Job, Limits, Result, grade_one, warm_up


@dataclass
class Options:
    force: bool = False
    limits: Limits = field(default_factory=Limits)
    sandbox: str = "auto"  # auto: where bubblewrap works; on: required; off: never
    scheduler: str | None = None
    workers: int | None = None
    zip: Path | None = None  # an LMS download for the one lesson given (nbgrader zip_collect)
    feedback: bool = True  # False: grades only, feedback later with nbgrader generate_feedback


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
    source = source_path.read_bytes()
    release_path = layout.notebook(course, "release", lid)
    # nbgrader's generate_assignment takes seconds; once per version of the instructor notebook.
    cached = gradebook.ledger_path(course, lid).with_name(f"{lid}-{hashlib.sha256(source).hexdigest()[:16]}.db")
    if not (cached.is_file() and release_path.is_file() and _registered(course, lid)):
        generate_assignment(load_config(course), lid)
        with tempfile.TemporaryDirectory() as tmp:
            new_gradebook(Path(tmp) / "gradebook.db", like=course / "gradebook.db")
            generate_assignment(course_copy(Path(tmp), lid, source_path), lid)
            gradebook.write_atomically(cached, (Path(tmp) / "gradebook.db").read_bytes())
    return Lesson(lid, source, release_path.read_bytes(), cached.read_bytes(), _expected_names(source))


def _registered(course: Path, lid: str) -> bool:
    from nbgrader.api import Gradebook, MissingEntry

    if not (Path(course) / "gradebook.db").is_file():
        return False
    with Gradebook(f"sqlite:///{Path(course) / 'gradebook.db'}") as gb:
        try:
            gb.find_assignment(lid)
        except MissingEntry:
            return False
    return True


def _expected_names(source: bytes) -> dict[str, str]:
    return tamper.imported_names(nbformat.reads(source.decode("utf-8"), as_version=4))


def tamper_flags(sub: collect.Submission, source: nbformat.NotebookNode) -> list[dict]:
    """The static scan: each hit names the student's cell and what it rebinds or opens."""
    if sub.notebook is None:
        return []
    hits = tamper.scan(nbformat.reads(sub.notebook.decode("utf-8"), as_version=4), source)
    return [collect.flag("adulteracao", f"linha {hit.line}: {hit.reason}", hit.where) for hit in hits]


# --- 2, 3. collect and choose ---------------------------------------------------------------------
def pending(subs: list[collect.Submission], ledger: dict[str, dict], source: bytes, force: bool):
    source_digest = hashlib.sha256(source).hexdigest()
    todo = []
    for sub in subs:
        seen = ledger.get(sub.student, {})
        if force or seen.get("submission") != sub.digest or seen.get("source") != source_digest:
            todo.append(sub)
    return todo, source_digest


# --- 4. the cluster -------------------------------------------------------------------------------
class Cluster:
    """The Dask client, started in the background while the grader prepares the lessons (a
    local cluster takes seconds to start and its workers seconds to import nbgrader)."""

    def __init__(self, options: Options, use_sandbox: bool):
        self._pool = ThreadPoolExecutor(1)
        self._client = self._pool.submit(self._start, options, use_sandbox)
        self._local = None

    def _start(self, options: Options, use_sandbox: bool):
        from distributed import Client, LocalCluster

        if options.scheduler:
            client = Client(options.scheduler)
        else:
            workers = options.workers or max(1, os.cpu_count() or 1)
            self._local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
            client = Client(self._local)
        client.run(warm_up, use_sandbox, _limits(options).threads)
        return client

    @property
    def client(self):
        return self._client.result()

    def close(self) -> None:
        try:
            client = self._client.result()
        except Exception:
            return
        client.close()
        if self._local is not None:
            self._local.close()
        self._pool.shutdown()


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
    dask = Cluster(options, use_sandbox) if any(collect.students(course, lid) for lid in lids) or options.zip else None
    try:
        return _grade(course, lids, options, dask, use_sandbox, why_not, say)
    finally:
        if dask is not None:
            dask.close()


def _grade(course: Path, lids: list[str], options: Options, dask: Cluster | None, use_sandbox: bool,
           why_not: str | None, say: Callable[[str], None]) -> dict:
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
        given, source_nb = lesson.student_notebook, lesson.notebook
        subs = [collect.read(course, lid, s, given) for s in students]
        for sub in subs:
            sub.flags += tamper_flags(sub, source_nb)
        ledgers[lid] = gradebook.read_ledger(course, lid)
        todo, source_digest = pending(subs, ledgers[lid], lesson.source, options.force)
        say(f"{lid}: {len(subs)} entrega(s), {len(todo)} para corrigir")
        for sub in todo:
            submissions[(lid, sub.student)] = (sub, source_digest)
            if sub.notebook is not None:
                jobs.append(Job(lid, sub.student, lesson.source, lesson.template_db, sub.notebook, sub.timestamp,
                                _limits(options), use_sandbox, lesson.expected_names, options.feedback))

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
        run_jobs(dask.client, jobs, on_result)
    return {lid: _report(course, lessons[lid], ledgers[lid], use_sandbox, options.feedback, say) for lid in lids}


def _limits(options: Options) -> Limits:
    workers = options.workers or os.cpu_count() or 1
    threads = max(1, (os.cpu_count() or 1) // workers) if not options.scheduler else options.limits.threads
    return Limits(options.limits.budget_s, options.limits.memory_mb, options.limits.output_bytes, threads)


def _report(course: Path, lesson: Lesson, ledger: dict, sandboxed: bool, feedback: bool, say) -> list[report.Row]:
    source_nb = lesson.notebook
    maxima = exercise_points(source_nb)
    table = report.rows(course, lesson.lid, source_nb, ledger)
    out = course / "notas"
    report.write_csv(out / f"{lesson.lid}.csv", maxima, table)
    if table:
        report.write_histogram(out / f"{lesson.lid}.png", lesson.lid, maxima, table)
    say(report.summary(lesson.lid, maxima, table, sandboxed))
    pages = (f"devolutivas: feedback/<aluno>/{lesson.lid}/" if feedback else
             f"sem devolutivas (--sem-devolutiva): `nbgrader generate_feedback {lesson.lid}` as gera")
    say(f"  planilha: notas/{lesson.lid}.csv; histograma: notas/{lesson.lid}.png; {pages}")
    return table
