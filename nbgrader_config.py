"""nbgrader configuration of the course (read by every nbgrader command run from here)."""

import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "modulo4-pytorch"

# The time each cell gets: shared with the students' Validate button, so it lives in their
# configuration, which travels to the students' repository (this file does not).
load_subconfig(os.path.join(os.path.dirname(os.path.abspath(__file__)), "jupyter", "aluno", "nbgrader_config.py"))  # noqa: F821

# Stubs students see in place of the solutions. The message is what a test shows while the
# exercise is blank, so it says in Portuguese what to do and where (the traceback names the cell).
NOT_ANSWERED = "Exercício ainda não respondido: escreva a sua solução aqui, no lugar desta linha, e rode a célula."
c.ClearSolutions.code_stub = {"python": f"# SEU CÓDIGO AQUI\nraise NotImplementedError({NOT_ANSWERED!r})"}
c.ClearSolutions.text_stub = "SUA RESPOSTA AQUI"

# Any stderr output zeroes a test cell. Warnings from libraries (not from the student's
# answer being wrong) must not cost points, so autograde strips them.
# Python's warning lines read "file.py:12: UserWarning: ...".
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w+Warning: "

# A student who deletes a test cell gets it back at grading instead of a manual-grade hole.
c.OverwriteCells.add_missing_cells = True

# Lesson files and caches that must not be copied into release/ or student folders.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "data", "runs"]

# `python -m instructor grade <aula> --zip download.zip` (nbgrader zip_collect): each file's path
# names its student and lesson, e.g. ana.souza_01_requires_grad.ipynb. Adapt to your LMS's names.
c.FileNameCollectorPlugin.named_regexp = r".*/(?P<student_id>[A-Za-z0-9.\-]+)_(?P<file_id>\d\d_[a-z0-9_]+\.ipynb)$"
