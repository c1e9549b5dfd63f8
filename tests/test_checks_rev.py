"""helpers.checks, bloco da revisão das aulas 01-03: autograd_grads."""

import torch

from helpers import checks


def test_autograd_grads_gives_one_gradient_per_input():
    x = torch.tensor([1.0, -2.0], dtype=torch.float64)
    y = torch.tensor([0.5, 3.0], dtype=torch.float64)
    dx, dy = checks.autograd_grads(lambda a, b: 2 * a**2 + 3 * b**3, x, y)
    torch.testing.assert_close(dx, 4 * x)
    torch.testing.assert_close(dy, 9 * y**2)


def test_autograd_grads_leaves_inputs_untouched_and_works_under_no_grad():
    x = torch.randn(3, requires_grad=True)
    with torch.no_grad():
        (dx,) = checks.autograd_grads(lambda t: (t**2).sum(), x)
    torch.testing.assert_close(dx, 2 * x.detach())
    assert x.grad is None
    assert dx.grad_fn is None


def test_autograd_grads_gives_zeros_for_an_unused_input():
    x, y = torch.ones(2), torch.ones(3)
    dx, dy = checks.autograd_grads(lambda a, b: a * 2, x, y)
    torch.testing.assert_close(dx, torch.full((2,), 2.0))
    torch.testing.assert_close(dy, torch.zeros(3))


def test_autograd_grads_is_public():
    assert "autograd_grads" in checks.__all__


def test_factor_hint_names_the_matching_factor_only():
    e = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64)
    causes = {10: "N", 2: "dois", -1: "sinal"}
    assert checks.factor_hint(10 * e, e, causes) == "N"
    assert checks.factor_hint(-e, e, causes) == "sinal"
    assert checks.factor_hint(e + 1, e, causes, default="outro") == "outro"
    assert checks.factor_hint(torch.zeros(2), e, causes, default="d") == "d"  # shapes diferentes
    assert checks.factor_hint(None, e, causes, default="d") == "d"
    assert checks.factor_hint(torch.tensor(20.0), torch.tensor(2.0), causes) == "N"
