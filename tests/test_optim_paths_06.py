"""helpers.optim_paths (aula 06): caminhos de otimizadores e os gráficos deles, sem tela."""

from __future__ import annotations

import pytest
import torch
from matplotlib.figure import Figure

from helpers.optim_paths import optimizer_path, plot_path_grid, plot_paths, ravine, rosenbrock

pytestmark = pytest.mark.usefixtures("quiet_plots")  # conftest.py


def test_functions_have_their_minimum_where_the_docstring_says():
    assert float(ravine(torch.zeros(2))) == 0.0
    assert float(rosenbrock(torch.ones(2))) == 0.0
    grid = torch.randn(4, 5, 2)
    assert ravine(grid).shape == (4, 5)
    assert rosenbrock(grid).shape == (4, 5)


def test_path_starts_at_start_and_follows_the_optimizer():
    path = optimizer_path(ravine, (-2.0, 1.0), lambda ps: torch.optim.SGD(ps, lr=0.05), 3)
    assert path.shape == (4, 2)
    assert path.dtype == torch.float64
    assert path[0].tolist() == [-2.0, 1.0]
    # gradiente de ravine: (x, 20 y); cada passo de SGD multiplica x por 0,95 e y por 0,0
    torch.testing.assert_close(path[1], torch.tensor([-1.9, 0.0], dtype=torch.float64))
    assert not path.requires_grad


def test_path_stops_at_the_last_finite_point_when_it_diverges():
    path = optimizer_path(ravine, (-2.0, 1.0), lambda ps: torch.optim.SGD(ps, lr=0.2), 200)
    assert len(path) < 201
    assert bool(torch.isfinite(path).all())
    assert float(path.abs().max()) <= 1e3


def test_plot_paths_draws_one_labelled_line_per_path():
    paths = {
        "a": optimizer_path(ravine, (-2.0, 1.0), lambda ps: torch.optim.SGD(ps, lr=0.05), 10),
        "b": optimizer_path(ravine, (-2.0, 1.0), lambda ps: torch.optim.Adam(ps, lr=0.1), 10),
    }
    fig = plot_paths(ravine, paths, title="t")
    assert isinstance(fig, Figure)
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert "a" in labels and "b" in labels


def test_plot_path_grid_has_one_panel_per_setting_and_marks_divergence():
    fig = plot_path_grid(ravine, (-2.0, 1.0), lrs=[0.01, 0.2], momentums=[0.0, 0.9], steps=30)
    assert len(fig.axes) == 4
    titles = [ax.get_title() for ax in fig.axes]
    assert "divergiu" in titles[1]  # lr=0.2 sem momentum
    assert "divergiu" not in titles[0]
