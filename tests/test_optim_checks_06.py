"""helpers.checks, bloco da aula 06: assert_optimizer_matches aceita o certo e recusa o errado."""

from __future__ import annotations

import pytest
import torch

from helpers.checks import OptimNet, assert_minimize_matches, assert_optimizer_matches, reseed


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


def test_optim_net_has_a_late_an_early_and_an_unused_layer():
    net = OptimNet()
    x = torch.randn(4, 5, dtype=torch.float64)
    net(x).sum().backward()
    assert net.late.weight.grad is None and net.unused.weight.grad is None
    assert net.early.weight.grad is None
    net(x, use_early=True).sum().backward()
    assert net.early.weight.grad is not None
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
    with pytest.raises(AssertionError, match="passo 3, depois do zero_grad.. que a sua classe "
                                             "redefine, o parâmetro 'fc1.weight'"):
        assert_optimizer_matches(KeepsGrads, torch.optim.SGD, {"lr": 0.1}, steps=3)


class MomentumSGD(torch.optim.Optimizer):
    """SGD com momentum, certo por padrão; cada flag liga um erro conhecido."""

    def __init__(self, params, lr, momentum=0.0, coast=False, alias=False, float32=False):
        super().__init__(params, {"lr": lr, "momentum": momentum})
        self.coast, self.alias, self.float32 = coast, alias, float32

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                if p.grad is None:
                    if self.coast and "v" in state:  # errado: segue com o v guardado
                        p.sub_(group["lr"] * group["momentum"] * state["v"])
                    continue
                if "v" not in state:
                    if self.alias:
                        state["v"] = p.grad  # errado: é o próprio .grad
                    else:
                        state["v"] = torch.zeros(p.shape) if self.float32 else p.grad.clone()
                        if self.float32:
                            state["v"].add_(p.grad)
                else:
                    state["v"].mul_(group["momentum"]).add_(p.grad)
                p.sub_(group["lr"] * state["v"])


@pytest.mark.parametrize("drop_from", [None, 4])
def test_a_correct_momentum_optimizer_passes(drop_from):
    reseed(0)
    assert_optimizer_matches(MomentumSGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9},
                             late_from=3, drop_from=drop_from, as_list=True)


def test_moving_a_parameter_whose_grad_went_back_to_none_is_named():
    reseed(0)
    with pytest.raises(AssertionError, match=r"passo 6 de 20, o parâmetro 'early.weight'.*"
                                             r"até o passo 5 e agora tem .grad None"):
        assert_optimizer_matches(lambda ps, lr, momentum: MomentumSGD(ps, lr, momentum, coast=True),
                                 torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, drop_from=6)


def test_a_state_that_is_the_grad_itself_is_named():
    reseed(0)
    with pytest.raises(AssertionError, match=r"passo 2 de 20.*o próprio tensor p.grad"):
        assert_optimizer_matches(lambda ps, lr, momentum: MomentumSGD(ps, lr, momentum, alias=True),
                                 torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, hint="dica")


def test_a_float32_state_is_named_without_the_hint():
    reseed(0)
    with pytest.raises(AssertionError, match=r"está em float32, mas o parâmetro é float64") as err:
        assert_optimizer_matches(lambda ps, lr, momentum: MomentumSGD(ps, lr, momentum, float32=True),
                                 torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, hint="dica")
    assert "dica" not in str(err.value)


def test_late_hint_only_for_the_late_parameter():
    class GlobalStepAdam(torch.optim.Adam):
        pass

    reseed(0)
    wrong_lr = lambda ps, lr: torch.optim.Adam(ps, lr=2 * lr)  # noqa: E731
    with pytest.raises(AssertionError, match=r"'fc1.weight'.*geral$"):
        assert_optimizer_matches(wrong_lr, torch.optim.Adam, {"lr": 0.01}, late_from=3,
                                 hint="geral", late_hint="tardio")

    def late_only_wrong(ps, lr):
        ps = list(ps)
        return torch.optim.Adam([{"params": ps[:-4]}, {"params": ps[-4:], "lr": 2 * lr}], lr=lr)

    reseed(0)
    with pytest.raises(AssertionError, match=r"'late.weight'.*no passo 3\. tardio$"):
        assert_optimizer_matches(late_only_wrong, torch.optim.Adam, {"lr": 0.01}, late_from=3,
                                 hint="geral", late_hint="tardio")


def _square(x):
    return (x**2).sum()


def _run(make, x0, steps, zero=True):
    x = x0.detach().clone().requires_grad_(True)
    opt = make([x])
    for _ in range(steps):
        if zero:
            opt.zero_grad()
        _square(x).backward()
        opt.step()
    return x.detach()


@pytest.mark.parametrize(
    ("optimizer", "wrong", "message"),
    [
        ("sgd", lambda x0: _run(lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9), x0, 3),
         "momentum=0.9"),
        ("sgd", lambda x0: _run(lambda ps: torch.optim.SGD(ps, lr=0.1, weight_decay=1e-4), x0, 3),
         "weight_decay=0.0001"),
        ("sgd", lambda x0: _run(lambda ps: torch.optim.SGD(ps, lr=0.1), x0, 3, zero=False),
         "não são zerados"),
        ("sgd", lambda x0: _run(lambda ps: torch.optim.SGD(ps, lr=0.1), x0, 2), "2 passos, não 3"),
        ("sgd", lambda x0: _run(lambda ps: torch.optim.Adam(ps, lr=0.1), x0, 3),
         "confere com torch.optim.Adam"),
        ("adam", lambda x0: _run(lambda ps: torch.optim.Adam(ps), x0, 3), "lr padrão"),
        ("adam", lambda x0: _run(lambda ps: torch.optim.AdamW(ps, lr=0.1), x0, 3), "AdamW"),
        ("sgd", lambda x0: _run(lambda ps: torch.optim.SGD(ps, lr=0.1), x0.float(), 3),
         "dtype float32"),
        ("sgd", lambda x0: x0 * 0.5, "neutra"),
    ],
)
def test_minimize_mistakes_are_named_only_when_they_match(optimizer, wrong, message):
    reseed(0)
    x0 = torch.randn(4, dtype=torch.float64)
    cls = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer]
    expected = _run(lambda ps: cls(ps, lr=0.1), x0, 3)
    assert_minimize_matches(expected, expected, _square, x0, optimizer, 0.1, 3)
    with pytest.raises(AssertionError, match=message) as err:
        assert_minimize_matches(wrong(x0), expected, _square, x0, optimizer, 0.1, 3,
                                hint="neutra")
    assert ("neutra" in str(err.value)) == (message == "neutra")
