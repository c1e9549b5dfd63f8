"""Escolha do device (CUDA, Apple MPS ou CPU) e uma descrição de uma linha dele.

Introduzido na aula 01: a célula de preparação de toda aula chama ``get_device()``.
Não usa ``torch.accelerator``, que só existe nas versões mais novas do torch.
"""

from __future__ import annotations

import os
import platform

import torch

__all__ = ["get_device", "describe_device"]

DEVICE_ENV = "MODULO4_DEVICE"
KNOWN = ("cuda", "mps", "cpu")


def _mps_available() -> bool:
    # torch.backends.mps só existe a partir do torch 1.12; aqui basta não quebrar.
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _available(kind: str) -> bool:
    if kind == "cuda":
        return torch.cuda.is_available()
    if kind == "mps":
        return _mps_available()
    return True


def get_device(prefer: str | None = None) -> torch.device:
    """Devolve o device de treino: CUDA, senão Apple MPS, senão CPU.

    Introduzido na aula 01. ``prefer`` (``"cuda"``, ``"cuda:1"``, ``"mps"`` ou ``"cpu"``)
    ou, sem ele, a variável de ambiente ``MODULO4_DEVICE`` força a escolha; um device
    forçado que não existe nesta máquina é um erro, não uma troca silenciosa por outro.
    """
    choice = prefer or os.environ.get(DEVICE_ENV, "").strip()
    if not choice:
        for kind in KNOWN:
            if _available(kind):
                return torch.device(kind)
    try:
        device = torch.device(choice)
    except RuntimeError:
        device = None
    if device is None or device.type not in KNOWN:
        raise ValueError(
            f"Device desconhecido: {choice!r}. Use um de {', '.join(KNOWN)} "
            f"(no argumento de get_device ou na variável {DEVICE_ENV})."
        )
    if not _available(device.type):
        raise RuntimeError(
            f"O device {choice!r} foi pedido, mas não está disponível nesta máquina "
            f"(torch {torch.__version__}). Peça outro ou apague a variável {DEVICE_ENV} "
            "para a escolha automática."
        )
    return device


def describe_device(device: torch.device | str) -> str:
    """Uma linha dizendo qual device é, com nome e memória da GPU quando há uma.

    Introduzido na aula 01 (célula de preparação), por exemplo
    ``"cuda:0 — NVIDIA T4, 14.7 GiB"`` ou ``"cpu — x86_64, 2 threads do torch"``.
    """
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        return f"cuda:{index} — {props.name}, {props.total_memory / 2**30:.1f} GiB"
    if device.type == "mps":
        # A GPU da Apple divide a memória com a CPU; torch >= 2.3 diz quanto ela pode usar.
        limit = getattr(torch.mps, "recommended_max_memory", None)
        memory = f" (até {limit() / 2**30:.1f} GiB)" if limit and _mps_available() else ""
        return f"mps — GPU Apple ({platform.machine()}), memória compartilhada com a CPU{memory}"
    threads = torch.get_num_threads()
    return f"{device.type} — {platform.machine() or 'CPU'}, {threads} threads do torch"
