"""Caminhos de otimizadores em funções de duas variáveis: o que a taxa de aprendizado e o momentum fazem.

Introduzido na aula 06. ``optimizer_path`` registra os pontos visitados por um otimizador do
``torch.optim`` e ``plot_paths`` / ``plot_path_grid`` desenham esses caminhos sobre as curvas
de nível da função. Como em ``helpers.plots``, as figuras são fechadas no ``pyplot`` antes de
voltar: como última expressão de uma célula aparecem uma vez, e sem tela nada abre janela.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure

__all__ = ["ravine", "rosenbrock", "optimizer_path", "plot_paths", "plot_path_grid"]

# um caminho que passa disto já divergiu: parar evita inf/nan (e avisos) no gráfico
_FAR = 1e3


def ravine(p: torch.Tensor) -> torch.Tensor:
    """Vale estreito ``(x² + 20 y²) / 2``: 20× mais curvo em y do que em x; mínimo em (0, 0).

    Introduzido na aula 06. ``p`` tem shape ``(..., 2)`` (um ponto ou uma grade de pontos).
    """
    return 0.5 * (p[..., 0] ** 2 + 20 * p[..., 1] ** 2)


def rosenbrock(p: torch.Tensor) -> torch.Tensor:
    """Função de Rosenbrock ``(1 − x)² + 100 (y − x²)²``: vale curvo, mínimo em (1, 1).

    Introduzido na aula 06. ``p`` tem shape ``(..., 2)``.
    """
    return (1 - p[..., 0]) ** 2 + 100 * (p[..., 1] - p[..., 0] ** 2) ** 2


def optimizer_path(
    f: Callable[[torch.Tensor], torch.Tensor],
    start: Sequence[float],
    make_optimizer: Callable,
    steps: int,
) -> torch.Tensor:
    """Pontos ``(k + 1, 2)`` visitados por ``make_optimizer([p])`` minimizando ``f`` a partir de ``start``.

    Introduzido na aula 06. ``k = steps``, ou menos quando o caminho diverge (sai de um raio
    de 1000 ou vira nan): aí ele para no último ponto finito.
    """
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([p])
    points = [p.detach().clone()]
    for _ in range(steps):
        optimizer.zero_grad()
        f(p).backward()
        optimizer.step()
        point = p.detach().clone()
        if not bool(torch.isfinite(point).all()) or float(point.abs().max()) > _FAR:
            break
        points.append(point)
    return torch.stack(points)


def _draw(ax, f, paths: Mapping[str, torch.Tensor], xlim, ylim, minimum) -> None:
    xs = torch.linspace(*xlim, 200, dtype=torch.float64)
    ys = torch.linspace(*ylim, 200, dtype=torch.float64)
    grid = torch.stack(torch.meshgrid(xs, ys, indexing="xy"), dim=-1)
    z = f(grid)
    # níveis em escala log: vales rasos e paredes íngremes aparecem ao mesmo tempo
    levels = torch.logspace(-3, float(torch.log10(z.max())), 20).tolist()
    ax.contour(xs.numpy(), ys.numpy(), z.numpy(), levels=levels, cmap="Greys", linewidths=0.6)
    for label, path in paths.items():
        (line,) = ax.plot(path[:, 0].numpy(), path[:, 1].numpy(), ".-", markersize=3,
                          linewidth=1, label=label)
        ax.plot(path[0, 0], path[0, 1], "o", color=line.get_color())
    if minimum is not None:
        ax.plot(*minimum, "*", color="red", markersize=12)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)


def plot_paths(
    f: Callable[[torch.Tensor], torch.Tensor],
    paths: Mapping[str, torch.Tensor],
    *,
    xlim: tuple[float, float] = (-2.5, 2.5),
    ylim: tuple[float, float] = (-1.5, 1.5),
    minimum: tuple[float, float] | None = (0.0, 0.0),
    title: str = "",
) -> Figure:
    """Curvas de nível de ``f`` com um ou mais caminhos (rótulo -> pontos ``(k, 2)``); devolve a figura.

    Introduzido na aula 06. ``minimum`` marca o mínimo com uma estrela (None: sem estrela).
    """
    fig, ax = plt.subplots(figsize=(6, 4))
    _draw(ax, f, paths, xlim, ylim, minimum)
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize=8)
    plt.close(fig)
    return fig


def plot_path_grid(
    f: Callable[[torch.Tensor], torch.Tensor],
    start: Sequence[float],
    lrs: Sequence[float],
    momentums: Sequence[float],
    steps: int = 50,
    *,
    xlim: tuple[float, float] = (-2.5, 2.5),
    ylim: tuple[float, float] = (-1.5, 1.5),
    minimum: tuple[float, float] | None = (0.0, 0.0),
) -> Figure:
    """Grade de caminhos de ``torch.optim.SGD``: uma linha por momentum, uma coluna por taxa de aprendizado.

    Introduzido na aula 06: é a versão estática do explorador com widgets. O título de cada
    quadro dá ``f`` no último ponto (ou diz que o caminho divergiu).
    """
    fig, axes = plt.subplots(len(momentums), len(lrs), figsize=(3.2 * len(lrs), 2.4 * len(momentums)),
                             squeeze=False, sharex=True, sharey=True)
    for row, momentum in zip(axes, momentums):
        for ax, lr in zip(row, lrs):
            path = optimizer_path(
                f, start, lambda ps, lr=lr, m=momentum: torch.optim.SGD(ps, lr=lr, momentum=m), steps
            )
            _draw(ax, f, {"": path}, xlim, ylim, minimum)
            end = "divergiu" if len(path) < steps + 1 else f"f = {float(f(path[-1])):.2g}"
            ax.set_title(f"lr={lr:g}, momentum={momentum:g}\n{end}", fontsize=8)
    fig.tight_layout()
    plt.close(fig)
    return fig
