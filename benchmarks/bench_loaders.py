"""Benchmark (não é teste): uma época do primeiro treino da aula 07 com três fontes de dados.

(a) o ``DataLoader`` do seed, ``ToTensor`` + ``Normalize`` imagem a imagem (``mnist_dataloaders``);
(b) o loader rápido: o split inteiro já normalizado no device (``mnist_loaders``);
(c) o piso: os mesmos batches já prontos numa lista, só o custo do treino.

Os três rodam no mesmo processo, alternados época a época, com o mesmo modelo inicial
(MLP 784-128-10), batch 64, SGD lr 0.01 e o mesmo número de threads. Metas (2 núcleos de
CPU): a/b >= 10 e b/c <= 1.25.

    python benchmarks/bench_loaders.py --epochs 3 --device cpu --threads 2
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time

import torch
from torch import nn, optim

from helpers.device import describe_device, get_device
from helpers.loaders import mnist_dataloaders, mnist_loaders


class MLP(nn.Module):
    """O modelo do seed, como está na aula."""

    def __init__(self, input_size=28 * 28, hidden_size=128, output_size=10):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        return self.fc2(self.relu(self.fc1(x)))


def sync(device: torch.device) -> None:
    # Na GPU as operações são assíncronas: sem isto mediríamos só o enfileiramento.
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def train_epoch(model, batches, device: torch.device) -> float:
    """O loop de treino do seed (aula 07); devolve os segundos da época."""
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    loss_function = nn.CrossEntropyLoss()
    model.train()
    sync(device)
    start = time.perf_counter()
    for batch_idx, (data, target) in enumerate(batches):
        data = data.view(data.size(0), -1)
        data, target = data.to(device), target.to(device)  # no-op quando já estão lá
        optimizer.zero_grad()
        loss = loss_function(model(data), target)
        loss.backward()
        optimizer.step()
        if batch_idx % 100 == 0:
            loss.item()  # o seed imprime a loss a cada 100 batches
    sync(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=1, help="épocas por variante (mediana)")
    parser.add_argument("--device", default=None, help="cuda, mps ou cpu (padrão: get_device())")
    parser.add_argument("--threads", type=int, help="threads do torch (padrão: os núcleos)")
    parser.add_argument("--root", default=None, help="diretório de dados (padrão: data_root())")
    parser.add_argument("--variants", default="abc", help="quais medir, por exemplo bc (a é lenta)")
    args = parser.parse_args()

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(args.threads or cores)
    device = get_device(args.device)
    print(f"device: {describe_device(device)} | threads do torch: {torch.get_num_threads()}")
    print(f"torch {torch.__version__}, {cores} núcleos disponíveis")

    start = time.perf_counter()
    slow_train, _ = mnist_dataloaders(batch_size=64, root=args.root)
    setup_a = time.perf_counter() - start
    start = time.perf_counter()
    fast_train, _ = mnist_loaders(batch_size=64, device=device, root=args.root, seed=0)
    sync(device)
    setup_b = time.perf_counter() - start
    prebatched = list(fast_train)  # (c): uma época já sorteada, pronta na memória
    print(f"preparo: (a) {setup_a:.2f} s, (b) {setup_b:.2f} s (uma vez por sessão)")

    torch.manual_seed(0)
    initial = MLP().to(device)
    # Aquecimento: threads, alocador e kernels prontos antes de medir qualquer variante.
    train_epoch(copy.deepcopy(initial), prebatched[:50], device)

    variants = {"a": slow_train, "b": fast_train, "c": prebatched}
    variants = {key: variants[key] for key in "abc" if key in args.variants}
    names = {"a": "DataLoader do seed", "b": "loader rápido", "c": "batches prontos (piso)"}
    times = {key: [] for key in variants}
    for epoch in range(args.epochs):
        for key, batches in variants.items():
            seconds = train_epoch(copy.deepcopy(initial), batches, device)
            times[key].append(seconds)
            print(f"  época {epoch + 1} ({key}) {names[key]}: {seconds:.3f} s", flush=True)

    median = {key: statistics.median(values) for key, values in times.items()}
    print("\nmediana por época:")
    for key in variants:
        print(f"  ({key}) {names[key]:<24} {median[key]:8.3f} s")
    if {"a", "b"} <= median.keys():
        print(f"a/b = {median['a'] / median['b']:.1f}x  (meta: >= 10)")
    if {"b", "c"} <= median.keys():
        print(f"b/c = {median['b'] / median['c']:.3f}x  (meta: <= 1.25)")


if __name__ == "__main__":
    main()
