"""Barras de progresso (``tqdm.auto``) que se desligam sozinhas quando ninguém as vê.

Introduzido na aula 07. No Jupyter, Colab e VS Code a barra é um widget; num terminal, é
texto. Ela fica desligada na correção automática (``NBGRADER_EXECUTION`` definida: uma
linha em stderr zeraria a nota da célula) e quando a saída não é interativa (script com
saída redirecionada, CI, pytest).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from tqdm.auto import tqdm

__all__ = ["in_notebook", "interactive", "progress"]


def in_notebook() -> bool:
    """Diz se o código roda num kernel Jupyter (JupyterLab, Colab, VS Code).

    Introduzido na aula 07 (usado também pelo gráfico ao vivo).
    """
    ipython = sys.modules.get("IPython")  # sem importar o IPython quando ninguém o usa
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def interactive() -> bool:
    """Diz se vale a pena mostrar progresso: fora da correção e com alguém olhando.

    Introduzido na aula 07.
    """
    if os.environ.get("NBGRADER_EXECUTION"):
        return False
    if in_notebook():
        return True
    return sys.stderr is not None and sys.stderr.isatty()


def progress(iterable: Iterable | None = None, **kwargs) -> tqdm:
    """``tqdm.auto.tqdm`` que some quando a sessão não é interativa (veja ``interactive``).

    Introduzido na aula 07, por exemplo ``for epoch in progress(range(5), desc="época")``.
    Aceita os mesmos argumentos do ``tqdm``; passar ``disable=`` explicitamente vence a
    escolha automática.
    """
    kwargs.setdefault("disable", not interactive())
    return tqdm(iterable, **kwargs)
