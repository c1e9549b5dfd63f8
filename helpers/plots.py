"""Gráficos do treino: curvas de loss e acurácia, gráfico ao vivo e grade de dígitos.

``plot_loss_curves`` e ``plot_digits`` devolvem a ``Figure`` do matplotlib: como última
expressão de uma célula ela aparece no notebook; num script, ``fig.savefig("curvas.png")``.
A figura é fechada no ``pyplot`` antes de voltar, então não aparece duas vezes nem se
acumula na memória, e numa máquina sem tela nada tenta abrir uma janela.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from helpers.progress import in_notebook

__all__ = ["plot_loss_curves", "LivePlot", "plot_digits"]


def _finite(values: Sequence[float]) -> list[float]:
    return [v if math.isfinite(v) else math.nan for v in map(float, values)]


def _plot_panel(ax, history: Mapping[str, Sequence[float]], keys: list[str], log: bool) -> None:
    for key in keys:
        values = [float(v) for v in history[key]]
        epochs = range(1, len(values) + 1)
        (line,) = ax.plot(epochs, _finite(values), marker="o", markersize=3, label=key)
        # nan/inf não têm altura: marca um "x" no topo do eixo, na época em que apareceram.
        bad = [e for e, v in zip(epochs, values) if not math.isfinite(v)]
        if bad:
            ax.plot(
                bad,
                [1.0] * len(bad),
                "x",
                color=line.get_color(),
                markersize=9,
                markeredgewidth=2,
                transform=ax.get_xaxis_transform(),
                clip_on=False,
                label=f"{key}: nan/inf",
            )
    # Escala log só com algum valor positivo: sem ele o matplotlib avisa em stderr.
    if log and any(v > 0 for key in keys for v in _finite(history[key])):
        ax.set_yscale("log")
    ax.set_xlabel("época")
    ax.grid(alpha=0.3)
    ax.legend()


def plot_loss_curves(history: Mapping[str, Sequence[float]], log_scale: bool = False) -> Figure:
    """Curvas de loss e acurácia por época, de treino e de validação; devolve a figura.

    Introduzido na aula 07 (e usado na 08 para comparar curvas). ``history`` é um dicionário de listas, uma entrada por época,
    por exemplo ``{"train_loss": [...], "val_loss": [...], "train_acc": [...],
    "val_acc": [...]}``: chaves com ``loss`` vão para o gráfico da esquerda, chaves com
    ``acc`` para o da direita. Valores nan/inf aparecem como um "x" no topo do gráfico.
    ``log_scale=True`` põe a loss em escala log.
    """
    loss_keys = [k for k in history if "loss" in k.lower()]
    acc_keys = [k for k in history if "acc" in k.lower() and k not in loss_keys]
    panels = [(k, title) for k, title in ((loss_keys, "loss"), (acc_keys, "acurácia")) if k]
    if not panels:
        raise ValueError(
            "history não tem chaves com 'loss' nem com 'acc' "
            f"(chaves recebidas: {list(history)})."
        )
    fig, axes = plt.subplots(
        1, len(panels), figsize=(5 * len(panels), 3.5), squeeze=False, layout="constrained"
    )
    for ax, (keys, title) in zip(axes[0], panels):
        _plot_panel(ax, history, keys, log=log_scale and title == "loss")
        ax.set_title(title)
    plt.close(fig)
    return fig


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


class LivePlot:
    """Curvas de ``plot_loss_curves`` redesenhadas durante o treino, no lugar, na mesma saída.

    Introduzido na aula 07::

        live = LivePlot()
        for epoch in range(epochs):
            ...
            history["train_loss"].append(loss)
            live.update(history)
        live.close()  # desenha o estado final

    Redesenha no máximo a cada ``min_interval`` segundos (desenhar custa mais que uma época
    pequena). No JupyterLab, Colab e VS Code atualiza uma única imagem (``display_id``);
    fora de um notebook (script, terminal, CI) não faz nada: não abre janela nem escreve.
    """

    def __init__(self, min_interval: float = 2.0, log_scale: bool = False):
        self.min_interval = min_interval
        self.log_scale = log_scale
        self.enabled = in_notebook()
        self._handle = None
        self._last_draw = -math.inf
        self._pending = None

    def update(self, history: Mapping[str, Sequence[float]], force: bool = False) -> None:
        """Registra o ``history`` atual e redesenha se já passou ``min_interval`` (ou ``force``)."""
        self._pending = {k: list(v) for k, v in history.items()}
        if force or time.monotonic() - self._last_draw >= self.min_interval:
            self._draw()

    def close(self) -> None:
        """Desenha o último ``history`` recebido, se ele ainda não foi desenhado."""
        if self._pending is not None:
            self._draw()

    def __enter__(self) -> LivePlot:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _draw(self) -> None:
        history, self._pending = self._pending, None
        self._last_draw = time.monotonic()
        if not self.enabled or not any(history.values()):
            return
        from IPython.display import Image, display

        # PNG em vez da Figure: funciona com qualquer backend do matplotlib no notebook.
        image = Image(data=_png(plot_loss_curves(history, log_scale=self.log_scale)))
        if self._handle is None:
            self._handle = display(image, display_id=True)
        else:
            self._handle.update(image)


def plot_digits(
    images, labels=None, predictions=None, ncols: int = 8, max_images: int = 32
) -> Figure:
    """Grade de dígitos com o rótulo (e a previsão, em vermelho quando erra); devolve a figura.

    Introduzido na aula 07. ``images`` é um tensor ``(N, 1, 28, 28)`` ou ``(N, 28, 28)``,
    normalizado ou não, na CPU ou na GPU; ``labels`` e ``predictions`` são tensores ou
    listas de inteiros. Mostra no máximo ``max_images`` imagens.
    """
    images = images.detach().cpu()[:max_images]
    if images.ndim == 4:
        images = images[:, 0]
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(1.2 * ncols, 1.45 * nrows), squeeze=False, layout="constrained"
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i].float().numpy(), cmap="gray")
        title, color = "", "black"
        if labels is not None:
            title = f"y={int(labels[i])}"
        if predictions is not None:
            title += f" p={int(predictions[i])}"
            if labels is not None and int(predictions[i]) != int(labels[i]):
                color = "red"
        ax.set_title(title, fontsize=9, color=color)
    plt.close(fig)
    return fig
