"""Um diagnóstico do ambiente do aluno: versões, device, MNIST e plataforma, com o que fazer.

Introduzido na aula 01: ``from helpers.doctor import doctor; doctor()`` numa célula. Cada
problema vem com a correção, em português. Só lê: não baixa, não apaga, não instala nada.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
from dataclasses import dataclass, field

__all__ = ["Report", "doctor"]

# O que o pacote exige (pyproject.toml); abaixo disso as aulas não foram testadas.
MINIMUM = {"torch": (2, 2), "torchvision": (0, 17), "matplotlib": (3, 7), "ipywidgets": (8, 0),
           "tensorboard": (2, 14), "tqdm": (4, 66)}


@dataclass
class Report:
    """O resultado de ``doctor()``: fatos (``facts``) e problemas com a correção (``problems``).

    Introduzido na aula 01. ``str(report)`` é o texto que ``doctor()`` imprime.
    """

    facts: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        width = max(map(len, self.facts), default=0)
        lines = [f"{k:<{width}}  {v}" for k, v in self.facts.items()]
        if self.problems:
            lines += ["", "Problemas encontrados:"] + [f"- {p}" for p in self.problems]
        else:
            lines += ["", "Nenhum problema encontrado: tudo pronto para as aulas."]
        return "\n".join(lines)


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _release(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _platform() -> str:
    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
        return "Google Colab"
    if "VSCODE_PID" in os.environ or os.environ.get("TERM_PROGRAM") == "vscode":
        where = "VS Code"
    elif "JPY_SESSION_NAME" in os.environ or "JUPYTER_SERVER_ROOT" in os.environ:
        where = "JupyterLab"
    else:
        where = "Python"
    system = "Windows" if os.name == "nt" else platform.system() or "?"
    return f"{where} em {system}"


def _check_versions(report: Report) -> None:
    report.facts["Python"] = platform.python_version()
    for dist, minimum in MINIMUM.items():
        version = _version(dist)
        report.facts[dist] = version or "não instalado"
        wanted = ".".join(map(str, minimum))
        if version is None:
            report.problems.append(f"{dist} não está instalado: pip install '{dist}>={wanted}'.")
        elif _release(version) < minimum:
            report.problems.append(f"{dist} {version} é antigo demais: pip install -U '{dist}>={wanted}'.")
    report.facts["helpers"] = _version("modulo4-helpers") or "não instalado (importado da pasta do curso)"


def _check_device(report: Report) -> None:
    import torch

    from helpers.device import DEVICE_ENV, describe_device, get_device

    report.facts["torch"] = torch.__version__  # with the build tag: +cpu, +cu121, ...
    try:
        device = get_device()
    except (RuntimeError, ValueError) as err:
        report.facts["device"] = "erro"
        report.problems.append(str(err))
        return
    report.facts["device"] = describe_device(device)
    forced = os.environ.get(DEVICE_ENV)
    if forced and device.type == "cpu" and torch.cuda.is_available():
        report.problems.append(f"Há uma GPU, mas {DEVICE_ENV}={forced} força a CPU: apague a variável para usá-la.")
    if device.type == "cpu" and "Colab" in report.facts.get("plataforma", ""):
        report.problems.append(
            "Sem GPU neste Colab: Ambiente de execução → Alterar o tipo de ambiente de execução → "
            "GPU (as aulas rodam na CPU também, só mais devagar)."
        )


def _check_mnist(report: Report) -> None:
    from torchvision.datasets import MNIST
    from torchvision.datasets.utils import check_integrity

    from helpers.mnist import SOURCE_ENV, data_root

    raw = data_root() / "MNIST" / "raw"
    ready = [name for name, md5 in MNIST.resources if check_integrity(raw / name, md5)]
    if len(ready) == len(MNIST.resources):
        report.facts["MNIST"] = f"pronto em {raw}"
        return
    report.facts["MNIST"] = f"{len(ready)} de {len(MNIST.resources)} arquivos em {raw}"
    source = os.environ.get(SOURCE_ENV)
    if source:
        report.facts["MNIST"] += f" (será copiado de {source})"
    else:
        report.problems.append(
            "O MNIST ainda não está no disco (aulas 07 e 08): ele é baixado na primeira vez, com "
            f"checksum. Sem internet, copie os quatro .gz originais para {raw} ou aponte "
            f"{SOURCE_ENV} para uma pasta com eles."
        )


def _check_widgets(report: Report) -> None:
    if "VS Code" in report.facts["plataforma"] and _version("ipywidgets"):
        report.facts["widgets"] = "ipywidgets instalado (no VS Code, use a extensão Jupyter atualizada)"


def doctor(show: bool = True) -> Report:
    """Confere o ambiente e imprime o que encontrou, cada problema com a correção.

    Introduzido na aula 01. Devolve o ``Report`` (``report.ok`` diz se está tudo certo);
    ``show=False`` só devolve.
    """
    report = Report()
    report.facts["plataforma"] = _platform()
    _check_versions(report)
    if _version("torch") and _version("torchvision"):
        _check_device(report)
        _check_mnist(report)
    _check_widgets(report)
    if show:
        print(report)
    return report
