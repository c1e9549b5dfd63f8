"""Fixtures compartilhadas pela suíte. Cada grupo é de uma parte do pacote."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------
# MNIST (helpers.mnist, helpers.loaders): o MNIST real de ../shared/data, arquivos IDX
# minúsculos escritos pelos próprios testes e uma rede que nunca responde.
# ---------------------------------------------------------------------------

MNIST_ENV_VARS = ("MODULO4_DATA", "MODULO4_MNIST_SOURCE", "MODULO4_DEVICE")


def _real_mnist_source() -> Path | None:
    from torchvision.datasets import MNIST

    candidates = [REPO.parent / "shared" / "data" / "MNIST" / "raw"]
    if os.environ.get("MODULO4_MNIST_SOURCE"):
        candidates.insert(0, Path(os.environ["MODULO4_MNIST_SOURCE"]))
    for folder in candidates:
        if all((folder / name).is_file() for name, _ in MNIST.resources):
            return folder
    return None


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Nome -> (tamanho, mtime) de tudo sob ``folder``: para provar que nada foi escrito."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
    }


@pytest.fixture(scope="session")
def snapshot():
    """A função ``snapshot(pasta)``: compare antes e depois para provar que nada mudou."""
    return _snapshot


@pytest.fixture(scope="session")
def mnist_source() -> Path:
    """A pasta só de leitura com os quatro .gz originais; sem ela, os testes são pulados.

    Com ``MODULO4_REQUIRE_MNIST`` definida (CI), a falta dos arquivos é uma falha.
    """
    source = _real_mnist_source()
    if source is None:
        message = "MNIST real ausente (defina MODULO4_MNIST_SOURCE ou use ../shared/data)"
        if os.environ.get("MODULO4_REQUIRE_MNIST"):
            pytest.fail(message)
        pytest.skip(message)
    return source


@pytest.fixture(scope="session")
def mnist_root(mnist_source, tmp_path_factory) -> Path:
    """Raiz de dados com o MNIST real extraído uma vez por sessão (a partir de ``mnist_source``)."""
    from helpers.mnist import ensure_mnist

    root = tmp_path_factory.mktemp("mnist-real")
    before = _snapshot(mnist_source)
    ensure_mnist(root, source=mnist_source)
    assert _snapshot(mnist_source) == before, "ensure_mnist escreveu na pasta de origem"
    return root


@pytest.fixture
def mnist_env(monkeypatch):
    """Apaga as variáveis de ambiente do pacote: cada teste diz o que quer."""
    for name in MNIST_ENV_VARS:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def no_network(monkeypatch):
    """Toda conexão falha como sem internet: nenhum teste baixa nada de verdade."""

    def offline(request, *args, **kwargs):
        raise urllib.error.URLError("sem rede nos testes")

    monkeypatch.setattr(urllib.request, "urlopen", offline)


def idx_bytes(array) -> bytes:
    """Um tensor uint8 no formato IDX do MNIST: 0, 0, tipo 0x08, nº de dimensões, tamanhos."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.numpy().tobytes()


@dataclass
class TinyMnist:
    source: Path  # pasta com os quatro .gz minúsculos
    archives: dict[str, bytes]  # nome do .gz -> conteúdo comprimido
    images: dict  # train (bool) -> tensor uint8 (N, 28, 28)
    labels: dict  # train (bool) -> tensor int64 (N,)


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch, mnist_env) -> TinyMnist:
    """MNIST de brinquedo (12 imagens de treino, 7 de teste) com MD5 trocados no torchvision."""
    import torch
    import torchvision

    generator = torch.Generator().manual_seed(0)
    archives, images, labels = {}, {}, {}
    for train, prefix, n in ((True, "train", 12), (False, "t10k", 7)):
        images[train] = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8, generator=generator)
        labels[train] = torch.randint(0, 10, (n,), generator=generator)
        # mtime=0: o mesmo conteúdo gera o mesmo .gz (e o mesmo MD5) em toda execução.
        image_bytes = idx_bytes(images[train])
        label_bytes = idx_bytes(labels[train].to(torch.uint8))
        archives[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(image_bytes, mtime=0)
        archives[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(label_bytes, mtime=0)
    source = tmp_path / "source"
    source.mkdir()
    for name, data in archives.items():
        (source / name).write_bytes(data)
    resources = [(name, hashlib.md5(data).hexdigest()) for name, data in archives.items()]
    monkeypatch.setattr(torchvision.datasets.MNIST, "resources", resources)
    return TinyMnist(source, archives, images, labels)


# ---------------------------------------------------------------------------
# Figuras (helpers.plots, helpers.optim_paths): sem tela, sem ruído.
# ---------------------------------------------------------------------------


@pytest.fixture
def quiet_plots(capfd):
    """Nenhum aviso, nada em stderr e nenhuma figura deixada aberta no pyplot: o que o aluno
    veria como ruído embaixo de um gráfico, ou memória presa a cada chamada."""
    import warnings

    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    assert capfd.readouterr().err == ""
    assert plt.get_fignums() == []
