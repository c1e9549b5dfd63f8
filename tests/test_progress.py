"""helpers.progress: barras do tqdm.auto, desligadas na correção e fora de sessões interativas."""

from __future__ import annotations

import io

import pytest

from helpers import progress as progress_module
from helpers.progress import in_notebook, interactive, progress


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def test_plain_python_is_not_a_notebook():
    assert not in_notebook()


def test_off_without_terminal(capfd):
    # O pytest captura stderr: não é um terminal, então ninguém veria a barra.
    assert not interactive()
    assert list(progress(range(3), desc="época")) == [0, 1, 2]
    assert capfd.readouterr().err == ""


def test_off_when_grading_even_in_a_notebook(monkeypatch, capfd):
    monkeypatch.setattr(progress_module, "in_notebook", lambda: True)
    assert interactive()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert not interactive()
    bar = progress(range(3))
    assert bar.disable
    assert list(bar) == [0, 1, 2]
    assert capfd.readouterr().err == ""


def test_on_in_a_notebook(monkeypatch):
    monkeypatch.setattr(progress_module, "in_notebook", lambda: True)
    bar = progress(total=10, file=io.StringIO())  # aqui não há widget: só o estado importa
    assert not bar.disable
    bar.close()


def test_explicit_disable_wins(monkeypatch):
    monkeypatch.setattr(progress_module, "in_notebook", lambda: True)
    assert progress(range(2), disable=True).disable


def test_works_as_tqdm_without_iterable(capfd):
    # É assim que o download do torchvision a chama (no lugar do tqdm dele).
    with progress(total=100, unit="B", unit_scale=True) as bar:
        bar.update(50)
    assert capfd.readouterr().err == ""
