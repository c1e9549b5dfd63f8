"""helpers.checks, bloco da aula 07: LossRecorder, StepRecorder, ImageClassifier, substitute,
mnist_test_accuracy e UnmovedTensor (unmoved, expect_moved)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from helpers.checks import (
    ImageClassifier,
    LossRecorder,
    StepRecorder,
    UnmovedTensor,
    expect_moved,
    mnist_test_accuracy,
    substitute,
    unmoved,
)


def _batches(sizes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(n, 1, 4, 4, generator=g), torch.randint(0, 3, (n,), generator=g)) for n in sizes]


def _epoch(model, batches, loss_fn, optimizer, zero=True):
    for x, y in batches:
        if zero:
            optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()


def test_loss_recorder_records_values_sizes_and_fresh_gradients():
    torch.manual_seed(0)
    model = ImageClassifier()
    loss_fn = LossRecorder(nn.CrossEntropyLoss(), model.parameters())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with StepRecorder(optimizer) as steps:
        _epoch(model, _batches([4, 4, 2]), loss_fn, optimizer)
    assert loss_fn.sizes == [4, 4, 2]
    assert len(loss_fn.values) == 3 and all(isinstance(v, float) for v in loss_fn.values)
    assert len(steps.grads) == 3
    for seen, fresh in zip(steps.grads, loss_fn.grads):
        for g, f in zip(seen, fresh):
            torch.testing.assert_close(g, f)


def test_step_recorder_sees_accumulated_gradients_without_zero_grad():
    torch.manual_seed(0)
    model = ImageClassifier()
    loss_fn = LossRecorder(nn.CrossEntropyLoss(), model.parameters())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: o gradiente não muda
    with StepRecorder(optimizer) as steps:
        _epoch(model, _batches([4, 4]), loss_fn, optimizer, zero=False)
    summed = [a + b for a, b in zip(*loss_fn.grads)]
    for g, s in zip(steps.grads[1], summed):
        torch.testing.assert_close(g, s)
    assert "step" not in vars(optimizer)  # o step original volta


def test_loss_recorder_without_params_and_without_grad():
    loss_fn = LossRecorder(nn.CrossEntropyLoss())
    with torch.no_grad():
        loss = loss_fn(torch.randn(5, 3), torch.randint(0, 3, (5,)))
    assert loss.dim() == 0 and loss_fn.sizes == [5] and loss_fn.grads == [None]


def test_image_classifier_rejects_flattened_batches_in_portuguese():
    model = ImageClassifier(batchnorm=True, dropout=0.5)
    assert model(torch.randn(6, 1, 4, 4)).shape == (6, 3)
    with pytest.raises(AssertionError, match="achatar é trabalho do modelo"):
        model(torch.randn(6, 16))
    assert any(isinstance(m, nn.BatchNorm1d) for m in model.modules())
    assert any(isinstance(m, nn.Dropout) for m in model.modules())


def test_substitute_restores_names_even_on_failure():
    namespace = {"a": 1}
    with pytest.raises(RuntimeError):
        with substitute(namespace, a=2, b=3):
            assert namespace == {"a": 2, "b": 3}
            raise RuntimeError
    assert namespace == {"a": 1}


@pytest.mark.usefixtures("mnist_env", "no_network")
def test_mnist_test_accuracy_is_computed_once_per_model(mnist_root, monkeypatch):
    monkeypatch.setenv("MODULO4_DATA", str(mnist_root))
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    calls = []
    model.register_forward_hook(lambda *args: calls.append(1))
    accuracy = mnist_test_accuracy(model)
    assert 0.0 <= accuracy <= 1.0 and len(calls) == 10  # 10.000 imagens em batches de 1000
    assert not model.training
    assert mnist_test_accuracy(model) == accuracy and len(calls) == 10
    other = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    mnist_test_accuracy(other)
    assert len(calls) == 10  # o outro modelo não usa o hook deste


def test_mnist_test_accuracy_rejects_wrong_output_shape(monkeypatch):
    import helpers.loaders

    monkeypatch.setattr(
        helpers.loaders, "mnist_tensors", lambda train, device: (torch.zeros(3, 1, 28, 28), torch.zeros(3, dtype=torch.int64))
    )
    with pytest.raises(AssertionError, match=r"\(N, 10\)"):
        mnist_test_accuracy(nn.Sequential(nn.Flatten(), nn.Linear(784, 5)))


def test_mnist_test_accuracy_explains_a_model_that_expects_flattened_input(monkeypatch):
    import helpers.loaders

    monkeypatch.setattr(
        helpers.loaders, "mnist_tensors", lambda train, device: (torch.zeros(3, 1, 28, 28), torch.zeros(3, dtype=torch.int64))
    )
    with pytest.raises(AssertionError, match=r"RuntimeError: mat1 and mat2.*nn\.Flatten\(\)"):
        mnist_test_accuracy(nn.Linear(784, 10))


@pytest.mark.parametrize(
    "move",
    [
        lambda t, d: t.to(d),
        lambda t, d: t.to(d, non_blocking=True),
        lambda t, d: t.to(device=d),
        lambda t, d: t.to("cpu"),
        lambda t, d: t.float().to(d),
    ],
)
def test_unmoved_tensor_becomes_a_plain_tensor_after_any_to(move):
    x = unmoved(torch.randn(2, 1, 4, 4))
    assert isinstance(x, UnmovedTensor) and isinstance(x * 2, UnmovedTensor) and len(x) == 2
    moved = move(x, torch.device("cpu"))
    assert type(moved) is torch.Tensor and torch.equal(moved, x.as_subclass(torch.Tensor))
    expect_moved(moved, "x")


def test_unmoved_batches_fail_in_the_model_and_in_the_loss():
    model = ImageClassifier()
    x, y = unmoved(torch.randn(4, 1, 4, 4)), unmoved(torch.randint(0, 3, (4,)))
    with pytest.raises(AssertionError, match=r"sem passar por \.to\(device\)"):
        model(x)
    loss_fn = LossRecorder(nn.CrossEntropyLoss(), model.parameters())
    with pytest.raises(AssertionError, match="rótulos"):
        loss_fn(model(x.to("cpu")), y)
    xs, ys = [t.to("cpu") for t in (x, y)]
    loss_fn(model(xs), ys).backward()
    assert loss_fn.sizes == [4]
