"""helpers.plots sem tela: figuras devolvidas, nada em stderr; e o gráfico ao vivo num kernel."""

from __future__ import annotations

import math

import pytest
import torch
from matplotlib.figure import Figure

from helpers import plots
from helpers.plots import LivePlot, plot_digits, plot_loss_curves

HISTORY = {
    "train_loss": [2.3, 1.1, 0.7, 0.5],
    "val_loss": [2.2, 1.2, 0.8, 0.6],
    "train_acc": [0.2, 0.6, 0.8, 0.9],
    "val_acc": [0.25, 0.55, 0.75, 0.85],
}


pytestmark = pytest.mark.usefixtures("quiet_plots")  # conftest.py


def test_loss_curves_returns_figure_with_two_panels():
    fig = plot_loss_curves(HISTORY)
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    assert [line.get_label() for line in loss_ax.get_lines()] == ["train_loss", "val_loss"]
    assert [line.get_label() for line in acc_ax.get_lines()] == ["train_acc", "val_acc"]
    assert list(loss_ax.get_lines()[0].get_xdata()) == [1, 2, 3, 4]  # épocas a partir de 1
    fig.savefig(__import__("io").BytesIO(), format="png")  # desenha de verdade, sem tela


def test_loss_only_history_has_one_panel_and_accepts_tensors():
    fig = plot_loss_curves({"loss": [torch.tensor(1.0), torch.tensor(0.5)]})
    assert len(fig.axes) == 1


def test_history_without_loss_or_acc_is_an_error():
    with pytest.raises(ValueError, match="loss"):
        plot_loss_curves({"lr": [0.1, 0.01]})


def test_nan_and_inf_are_marked():
    fig = plot_loss_curves({"train_loss": [1.0, math.nan, 0.5, math.inf], "val_loss": [1, 1, 1, 1]})
    marks = [line for line in fig.axes[0].get_lines() if "nan/inf" in line.get_label()]
    assert len(marks) == 1
    assert list(marks[0].get_xdata()) == [2, 4]
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert "train_loss: nan/inf" in legend


def test_log_scale_applies_to_loss_only():
    fig = plot_loss_curves(HISTORY, log_scale=True)
    assert fig.axes[0].get_yscale() == "log"
    assert fig.axes[1].get_yscale() == "linear"


def test_log_scale_with_nothing_positive_does_not_warn():
    fig = plot_loss_curves({"loss": [math.nan, math.inf]}, log_scale=True)
    fig.savefig(__import__("io").BytesIO(), format="png")


@pytest.mark.parametrize("shape", [(10, 1, 28, 28), (10, 28, 28)])
def test_digit_grid_with_labels_and_predictions(shape):
    images = torch.rand(shape) * 2 - 1
    labels = torch.arange(10)
    predictions = labels.clone()
    predictions[3] = 5
    fig = plot_digits(images, labels, predictions, ncols=5)
    assert isinstance(fig, Figure)
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == 10
    assert titled[3].get_title() == "y=3 p=5" and titled[3].title.get_color() == "red"
    assert titled[0].title.get_color() == "black"


def test_digit_grid_limits_images_and_needs_no_labels():
    fig = plot_digits(torch.rand(100, 1, 28, 28), max_images=12)
    assert sum(1 for ax in fig.axes if ax.images) == 12


def test_live_plot_outside_notebook_does_nothing():
    with LivePlot(min_interval=0) as live:
        history = {"train_loss": []}
        for value in (1.0, 0.5):
            history["train_loss"].append(value)
            live.update(history)


class FakeHandle:
    def __init__(self, calls):
        self.calls = calls

    def update(self, obj):
        self.calls.append(("update", obj))


def test_live_plot_in_notebook_redraws_at_most_every_interval(monkeypatch):
    import IPython.display

    calls = []

    def display(obj, display_id=None):
        calls.append(("display", obj))
        return FakeHandle(calls)

    monkeypatch.setattr(plots, "in_notebook", lambda: True)
    monkeypatch.setattr(IPython.display, "display", display)
    clock = [100.0]
    monkeypatch.setattr(plots.time, "monotonic", lambda: clock[0])

    live = LivePlot(min_interval=5)
    history = {"train_loss": [1.0]}
    live.update(history)  # primeira: desenha
    history["train_loss"].append(0.8)
    clock[0] += 1
    live.update(history)  # 1 s depois: espera
    assert [kind for kind, _ in calls] == ["display"]
    clock[0] += 5
    history["train_loss"].append(0.6)
    live.update(history)  # 6 s depois: redesenha no mesmo lugar
    history["train_loss"].append(0.5)
    live.update(history)
    live.close()  # o último estado sempre aparece
    live.close()  # e só uma vez
    assert [kind for kind, _ in calls] == ["display", "update", "update"]
    assert all(isinstance(obj, IPython.display.Image) for _, obj in calls)


# --- num kernel Jupyter de verdade (como JupyterLab, Colab e VS Code) ---------

KERNEL_CELLS = [
    "import os\nos.environ.pop('NBGRADER_EXECUTION', None)\n"
    "from helpers.plots import LivePlot, plot_loss_curves\n"
    "from helpers.progress import progress, in_notebook, interactive\n"
    "print(in_notebook(), interactive())",
    "plot_loss_curves({'train_loss': [1.0, 0.5], 'val_loss': [1.1, float('nan')]})",
    "live = LivePlot(min_interval=0)\nh = {'train_loss': []}\n"
    "for i in range(3):\n    h['train_loss'].append(1 / (i + 1))\n    live.update(h)\nlive.close()",
    "for _ in progress(range(3)):\n    pass",
    "os.environ['NBGRADER_EXECUTION'] = 'autograde'\nfor _ in progress(range(3)):\n    pass",
]


def test_in_a_real_kernel_one_image_per_plot_and_nothing_on_stderr(capfd):
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from pathlib import Path

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in KERNEL_CELLS]
    repo = Path(__file__).resolve().parents[1]
    from instructor.kernelwait import notebook_client

    client = notebook_client(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(repo)}}
    )
    client.execute()
    # O stderr do kernel chega como saída das células (conferida abaixo); o que sobra no
    # stderr deste processo é o log do próprio processo do kernel, não do nosso código.
    capfd.readouterr()
    outputs = [cell.outputs for cell in notebook.cells]
    for cell_outputs in outputs:
        assert not [o for o in cell_outputs if o.get("name") == "stderr"], cell_outputs
    assert outputs[0][0]["text"].strip() == "True True"
    images = lambda cell: [o for o in cell if "image/png" in o.get("data", {})]  # noqa: E731
    assert len(images(outputs[1])) == 1  # a figura devolvida aparece uma vez só
    assert len(images(outputs[2])) == 1  # o gráfico ao vivo se atualiza no mesmo lugar
    assert outputs[3] and all(o.output_type == "display_data" for o in outputs[3])  # widget
    assert outputs[4] == []  # na correção, a barra de progresso não aparece
