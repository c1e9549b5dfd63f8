"""Submissions as the grader finds them, read into something it can always grade or flag.

Whatever a student hands in — a notebook under another name, a file that is not JSON, an
nbformat 3 notebook, test cells deleted or edited — becomes a ``Submission``: the notebook
normalized to nbformat 4 (or None when there is nothing gradable) and the flags that say what
was found. Nothing here runs student code, and the submitted files are only read.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import layout

# Flags that send a submission to manual review; the others only inform.
REVIEW = frozenset({"nao_json", "sem_entrega", "kernel_morreu", "tempo_esgotado", "tempo_celula", "memoria",
                    "saida_cortada", "adulteracao", "erro_correcao", "erro_interno"})


def flag(code: str, message: str, cell: str | None = None) -> dict:
    return {"code": code, "cell": cell, "message": message}


@dataclass
class Submission:
    lesson: str
    student: str
    notebook: bytes | None  # normalized nbformat 4, or None: nothing to grade
    flags: list[dict] = field(default_factory=list)
    timestamp: str | None = None
    raw: bytes = b""  # the file as handed in

    @property
    def digest(self) -> str:
        """What decides whether a regrade is needed: the file as handed in (not the normalized
        notebook: upgrading nbformat 3 draws new cell ids each time) and its timestamp."""
        h = hashlib.sha256(self.raw)
        h.update((self.timestamp or "").encode())
        return h.hexdigest()


def students(course: Path, lesson: str) -> list[str]:
    return sorted(p.parent.name for p in (Path(course) / "submitted").glob(f"*/{lesson}") if p.is_dir())


def read(course: Path, lesson: str, student: str, given: nbformat.NotebookNode) -> Submission:
    """``given`` is the student notebook as released: its test cells are the ones to find."""
    folder = layout.notebook(course, "submitted", lesson, student).parent
    timestamp = _timestamp(folder)
    path, flags = _choose_notebook(folder, lesson)
    if path is None:
        return Submission(lesson, student, None, flags, timestamp)
    raw = path.read_bytes()
    nb, read_flags = _parse(path.name, raw)
    flags += read_flags
    if nb is None:
        return Submission(lesson, student, None, flags, timestamp, raw)
    flags += _test_cell_changes(nb, given)
    return Submission(lesson, student, nbformat.writes(nb).encode("utf-8"), flags, timestamp, raw)


def _timestamp(folder: Path) -> str | None:
    stamp = folder / "timestamp.txt"
    return stamp.read_text(encoding="utf-8").strip() if stamp.is_file() else None


def _choose_notebook(folder: Path, lesson: str) -> tuple[Path | None, list[dict]]:
    expected = folder / f"{lesson}.ipynb"
    if expected.is_file():
        return expected, []
    others = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
    if not others:
        return None, [flag("sem_entrega", f"nenhum notebook em submitted/{folder.parent.name}/{lesson}/")]
    chosen = max(others, key=lambda p: (p.stat().st_mtime, p.name))
    note = f"entregue como {chosen.name}; corrigido como {expected.name}"
    if len(others) > 1:
        note += f" (o mais recente de {len(others)} notebooks)"
    return chosen, [flag("nome_errado", note)]


def _parse(name: str, data: bytes) -> tuple[nbformat.NotebookNode | None, list[dict]]:
    try:
        raw = json.loads(data.decode("utf-8"))
        version = int(raw.get("nbformat", 0)) if isinstance(raw, dict) else 0
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except (UnicodeDecodeError, ValueError, TypeError, KeyError, AttributeError) as err:
        return None, [flag("nao_json", f"{name} não é um notebook legível ({type(err).__name__}): "
                           "peça ao aluno que reenvie o .ipynb salvo pelo Jupyter")]
    flags = []
    if version < 4:
        flags.append(flag("formato_antigo", f"notebook no formato {version}; convertido para o formato 4"))
    return nb, flags


def _grade_ids(nb: nbformat.NotebookNode) -> dict[str, str]:
    """{grade_id: source} of the test cells (graded, not solutions)."""
    out = {}
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            out[meta.get("grade_id")] = cell.get("source", "")
    return out


def _test_cell_changes(nb: nbformat.NotebookNode, given: nbformat.NotebookNode) -> list[dict]:
    """nbgrader puts the instructor's test cells back; the report says it did."""
    theirs, ours = _grade_ids(nb), _grade_ids(given)
    flags = []
    deleted = sorted(set(ours) - set(theirs))
    edited = sorted(g for g in ours if g in theirs and theirs[g] != ours[g])
    if deleted:
        flags.append(flag("testes_apagados", "células de teste apagadas (restauradas na correção): "
                          + ", ".join(deleted)))
    if edited:
        flags.append(flag("testes_editados", "células de teste editadas (restauradas na correção): "
                          + ", ".join(edited)))
    return flags


def from_zip(course: Path, lesson: str, archive: Path) -> None:
    """An LMS download into submitted/<student>/<lesson>/ through ``nbgrader zip_collect``.

    The archive is copied to downloaded/<lesson>/archive/; nbgrader extracts it and reads each
    student's id from the file name with ``FileNameCollectorPlugin.named_regexp`` (nbgrader_config.py).
    """
    archive = Path(archive)
    if not zipfile.is_zipfile(archive):
        raise ValueError(f"{archive} não é um arquivo .zip")
    target = Path(course) / "downloaded" / lesson / "archive"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(archive, target / archive.name)
    from .grading import load_config

    regexp = load_config(course).FileNameCollectorPlugin.named_regexp
    command = [sys.executable, "-m", "nbgrader", "zip_collect", lesson, "--force",
               f"--CourseDirectory.root={Path(course).resolve()}", f"--FileNameCollectorPlugin.named_regexp={regexp}"]
    done = subprocess.run(command, cwd=course, capture_output=True, text=True)
    if done.returncode != 0:
        raise ValueError("nbgrader zip_collect falhou:\n" + done.stderr[-2000:])
