"""Loaders do MNIST: o caminho rápido (tensores já no device) e o caminho padrão do PyTorch.

Introduzido na aula 07. O ``DataLoader`` padrão converte imagem por imagem (PIL ->
``ToTensor`` -> ``Normalize``) a cada época, e isso custa mais que o próprio treino de um
MLP pequeno. ``mnist_loaders`` faz a mesma conta uma vez só, com os mesmos valores bit a
bit, guarda o split inteiro no device (na GPU, quando há uma) e só sorteia índices a cada
época. Nenhum dos dois usa processos auxiliares (``num_workers=0``): no Windows eles são
lentos ou quebram.
"""

from __future__ import annotations

import math
import os

import torch
from torch.utils.data import DataLoader, TensorDataset
from torchvision import transforms

from helpers.device import get_device
from helpers.mnist import mnist_dataset

__all__ = [
    "TensorLoader",
    "mnist_tensors",
    "mnist_loaders",
    "mnist_transform",
    "mnist_dataloaders",
    "MEAN",
    "STD",
]

# Os mesmos números do Normalize((0.5,), (0.5,)) da aula: pixels em [-1, 1].
MEAN, STD = 0.5, 0.5


class TensorLoader:
    """Percorre tensores já carregados em mini-batches, como um ``DataLoader``.

    Introduzido na aula 07. ``len(loader)`` é o número de batches, ``for x, y in loader``
    devolve os batches no device dos tensores, ``loader.dataset`` tem o ``len`` do
    dataset. Com ``shuffle=True`` cada época (cada ``iter``) sorteia uma ordem nova a partir
    de um gerador com semente ``seed``: a sequência de épocas se repete com a mesma semente,
    e é a mesma na CPU e na GPU, porque a permutação é sorteada na CPU.
    """

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int = 64,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ):
        if not tensors or any(len(t) != len(tensors[0]) for t in tensors):
            raise ValueError("TensorLoader precisa de tensores com o mesmo tamanho na dimensão 0.")
        if any(t.device != tensors[0].device for t in tensors):
            raise ValueError("TensorLoader precisa de todos os tensores no mesmo device.")
        if batch_size < 1:
            raise ValueError(f"batch_size deve ser pelo menos 1, não {batch_size}.")
        self.tensors = tensors
        self.dataset = TensorDataset(*tensors)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        size = self.batch_size
        stop = len(self) * size  # sem o batch incompleto quando drop_last
        if not self.shuffle:
            for start in range(0, stop, size):
                yield tuple(t[start : start + size] for t in self.tensors)
            return
        # Sorteio na CPU (mesma ordem em qualquer device), copiado uma vez por época.
        order = torch.randperm(len(self.dataset), generator=self.generator)[:stop]
        for index in order.to(self.tensors[0].device).split(size):
            # index_select copia linhas inteiras: bem mais rápido que t[index] aqui.
            yield tuple(t.index_select(0, index) for t in self.tensors)


def mnist_tensors(
    train: bool, device: torch.device | str | None = None, root: str | os.PathLike | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """O split inteiro em dois tensores: ``x`` float32 ``(N, 1, 28, 28)`` e ``y`` int64 ``(N,)``.

    Introduzido na aula 07. Os valores de ``x`` são idênticos, bit a bit, aos de
    ``ToTensor()`` seguido de ``Normalize((0.5,), (0.5,))``: mesmas operações em float32,
    na mesma ordem, feitas na CPU (como no ``DataLoader``) e só então copiadas para
    ``device`` (padrão: ``get_device()``).
    """
    dataset = mnist_dataset(train, root)
    # ToTensor: uint8 -> float32, depois divide por 255; Normalize: (x - mean) / std.
    x = dataset.data.unsqueeze(1).to(torch.float32).div_(255).sub_(MEAN).div_(STD)
    device = get_device() if device is None else torch.device(device)
    return x.to(device), dataset.targets.to(device)


def mnist_loaders(
    batch_size: int = 64,
    device: torch.device | str | None = None,
    root: str | os.PathLike | None = None,
    subset: int | None = None,
    seed: int = 0,
    drop_last: bool = False,
) -> tuple[TensorLoader, TensorLoader]:
    """``(train_loader, test_loader)`` rápidos do MNIST, com os dados inteiros no device.

    Introduzido na aula 07. O de treino embaralha a cada época (semente ``seed``); o de
    teste não. ``subset=n`` usa só as ``n`` primeiras imagens de cada split, para rodadas
    rápidas. ``drop_last`` vale para o treino, como no ``DataLoader``.
    """
    device = get_device() if device is None else torch.device(device)
    splits = []
    for train in (True, False):
        x, y = mnist_tensors(train, device=device, root=root)
        if subset is not None:
            x, y = x[:subset], y[:subset]
        splits.append((x, y))
    (x_train, y_train), (x_test, y_test) = splits
    train_loader = TensorLoader(
        x_train, y_train, batch_size=batch_size, shuffle=True, drop_last=drop_last, seed=seed
    )
    test_loader = TensorLoader(x_test, y_test, batch_size=batch_size)
    return train_loader, test_loader


def mnist_transform() -> transforms.Compose:
    """``ToTensor()`` + ``Normalize((0.5,), (0.5,))``, a transformação de cada imagem na aula 07."""
    return transforms.Compose([transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))])


def mnist_dataloaders(
    batch_size: int = 64, root: str | os.PathLike | None = None
) -> tuple[DataLoader, DataLoader]:
    """``(train_loader, test_loader)`` do jeito padrão: ``Dataset`` + ``DataLoader``.

    Introduzido na aula 07, que ensina este caminho: cada imagem passa por
    ``mnist_transform()`` quando é pedida, o treino embaralha e o teste não. Sem processos
    auxiliares (``num_workers=0``). Os batches ficam na CPU: mova-os para o device no loop.
    """
    transform = mnist_transform()
    train = mnist_dataset(True, root, transform=transform)
    test = mnist_dataset(False, root, transform=transform)
    return (
        DataLoader(train, batch_size=batch_size, shuffle=True, num_workers=0),
        DataLoader(test, batch_size=batch_size, shuffle=False, num_workers=0),
    )
