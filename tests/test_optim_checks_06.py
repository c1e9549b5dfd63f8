"""helpers.checks, bloco da aula 06: assert_optimizer_matches aceita o certo e recusa o errado."""

from __future__ import annotations

import pytest
import torch

from helpers.checks import OptimNet, assert_optimizer_matches, reseed


class PlainSGD(torch.optim.Optimizer):
    def __init__(self, params, lr, skip_none=True):
        super().__init__(params, {"lr": lr})
        self.skip_none = skip_none

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    if self.skip_none:
                        continue
                    p.mul_(0.99)  # "weight decay" mesmo sem gradiente: errado
                    continue
                p.add_(p.grad, alpha=-group["lr"])


def test_optim_net_has_a_late_and_an_unused_layer():
    net = OptimNet()
    x = torch.randn(4, 5, dtype=torch.float64)
    net(x).sum().backward()
    assert net.late.weight.grad is None and net.unused.weight.grad is None
    net(x, use_late=True).sum().backward()
    assert net.late.weight.grad is not None and net.unused.weight.grad is None


@pytest.mark.parametrize("as_list", [False, True])
def test_a_correct_optimizer_passes(as_list):
    reseed(0)
    assert_optimizer_matches(PlainSGD, torch.optim.SGD, {"lr": 0.1}, as_list=as_list, late_from=4)


def test_wrong_learning_rate_fails_at_step_one_naming_the_parameter():
    reseed(0)
    class DoubleStep(PlainSGD):
        def __init__(self, params, lr):
            super().__init__(params, 2 * lr)

    with pytest.raises(AssertionError, match=r"DoubleStep\(lr=0.1\): depois do passo 1 de 20.*'fc1.weight'.*dica"):
        assert_optimizer_matches(DoubleStep, torch.optim.SGD, {"lr": 0.1}, hint="dica")


def test_touching_a_parameter_without_gradient_is_named():
    reseed(0)
    with pytest.raises(AssertionError, match="unused.*pulá-lo|late.*pulá-lo"):
        assert_optimizer_matches(lambda ps, lr: PlainSGD(ps, lr, skip_none=False), torch.optim.SGD,
                                 {"lr": 0.1})


def test_not_an_optimizer_fails():
    reseed(0)
    with pytest.raises(AssertionError, match="torch.optim.Optimizer"):
        assert_optimizer_matches(lambda ps, lr: object(), torch.optim.SGD, {"lr": 0.1})


def test_update_outside_no_grad_fails_with_the_torch_message():
    class NoNoGrad(PlainSGD):
        def step(self, closure=None):
            for p in self.param_groups[0]["params"]:
                if p.grad is not None:
                    p -= 0.1 * p.grad

    reseed(0)
    with pytest.raises(AssertionError, match="in-place operation. As atualizações"):
        assert_optimizer_matches(NoNoGrad, torch.optim.SGD, {"lr": 0.1})


def test_stub_not_implemented_passes_through():
    def blank(ps, lr):
        raise NotImplementedError("Exercício ainda não respondido")

    with pytest.raises(NotImplementedError):
        assert_optimizer_matches(blank, torch.optim.SGD, {"lr": 0.1})


def test_broken_zero_grad_fails():
    class KeepsGrads(PlainSGD):
        def zero_grad(self, set_to_none=True):
            pass

    reseed(0)
    with pytest.raises(AssertionError):
        assert_optimizer_matches(KeepsGrads, torch.optim.SGD, {"lr": 0.1}, steps=3)
