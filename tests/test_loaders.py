"""helpers.loaders: TensorLoader, tensores normalizados do MNIST e o caminho DataLoader."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader
from torchvision import transforms

from helpers.loaders import (
    TensorLoader,
    mnist_dataloaders,
    mnist_loaders,
    mnist_tensors,
    mnist_transform,
)
from helpers.mnist import mnist_dataset

pytestmark = pytest.mark.usefixtures("mnist_env", "no_network")

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="sem GPU CUDA")


def epoch(loader) -> torch.Tensor:
    """Os índices na ordem em que uma época os entrega (o primeiro tensor é arange)."""
    return torch.cat([batch[0].cpu() for batch in loader])


# --- TensorLoader -------------------------------------------------------------


@pytest.mark.parametrize("drop_last, sizes", [(False, [3, 3, 3, 1]), (True, [3, 3, 3])])
@pytest.mark.parametrize("shuffle", [False, True])
def test_len_and_batch_sizes_like_dataloader(drop_last, sizes, shuffle):
    x, y = torch.arange(10), torch.arange(10) * 2
    loader = TensorLoader(x, y, batch_size=3, shuffle=shuffle, drop_last=drop_last, seed=0)
    reference = DataLoader(list(zip(x, y)), batch_size=3, drop_last=drop_last)
    assert len(loader) == len(reference) == len(sizes)
    assert len(loader.dataset) == 10
    batches = list(loader)
    assert [len(xb) for xb, _ in batches] == sizes
    for xb, yb in batches:
        assert torch.equal(yb, xb * 2)  # x e y continuam pareados depois de embaralhar
    seen = torch.cat([xb for xb, _ in batches])
    if drop_last:
        assert len(set(seen.tolist())) == 9
    else:
        assert sorted(seen.tolist()) == list(range(10))


def test_without_shuffle_keeps_order_and_returns_views():
    x = torch.arange(10)
    loader = TensorLoader(x, batch_size=4)
    assert torch.equal(epoch(loader), x)
    assert next(iter(loader))[0].data_ptr() == x.data_ptr()  # fatia, sem cópia


def test_shuffle_differs_between_epochs_and_repeats_with_seed():
    x = torch.arange(1000)
    a = TensorLoader(x, batch_size=64, shuffle=True, seed=7)
    b = TensorLoader(x, batch_size=64, shuffle=True, seed=7)
    c = TensorLoader(x, batch_size=64, shuffle=True, seed=8)
    epochs_a = [epoch(a) for _ in range(3)]
    epochs_b = [epoch(b) for _ in range(3)]
    assert not torch.equal(epochs_a[0], epochs_a[1])
    assert not torch.equal(epochs_a[1], epochs_a[2])
    for ea, eb in zip(epochs_a, epochs_b):
        assert torch.equal(ea, eb)
    assert not torch.equal(epochs_a[0], epoch(c))


def test_without_seed_each_loader_draws_its_own_order():
    x = torch.arange(1000)
    first = epoch(TensorLoader(x, shuffle=True))
    second = epoch(TensorLoader(x, shuffle=True))
    assert not torch.equal(first, second)


def test_rejects_tensors_of_different_lengths_or_devices():
    with pytest.raises(ValueError, match="mesmo tamanho"):
        TensorLoader(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="mesmo device"):
        TensorLoader(torch.zeros(3), torch.zeros(3, device="meta"))


@cuda
def test_on_cuda_same_order_as_cpu():
    x = torch.arange(500)
    cpu = TensorLoader(x, x * 2, batch_size=50, shuffle=True, seed=3)
    gpu = TensorLoader(x.cuda(), (x * 2).cuda(), batch_size=50, shuffle=True, seed=3)
    for (xc, yc), (xg, yg) in zip(cpu, gpu):
        assert xg.is_cuda and yg.is_cuda
        assert torch.equal(xc, xg.cpu()) and torch.equal(yc, yg.cpu())


# --- MNIST de brinquedo ---------------------------------------------------------


def reference_pipeline(images: torch.Tensor) -> torch.Tensor:
    """A transformação da aula, imagem por imagem, pelo caminho PIL do torchvision."""
    dataset = [transforms.functional.to_pil_image(img.numpy(), mode="L") for img in images]
    return torch.stack([mnist_transform()(img) for img in dataset])


def test_mnist_tensors_on_tiny_data(tiny_mnist, tmp_path):
    from helpers.mnist import ensure_mnist

    root = ensure_mnist(tmp_path, source=tiny_mnist.source)
    for train in (True, False):
        x, y = mnist_tensors(train, device="cpu", root=root)
        n = len(tiny_mnist.labels[train])
        assert x.shape == (n, 1, 28, 28) and x.dtype == torch.float32
        assert y.shape == (n,) and y.dtype == torch.int64
        assert torch.equal(x, reference_pipeline(tiny_mnist.images[train]))
        assert torch.equal(y, tiny_mnist.labels[train])
        assert x.min() >= -1 and x.max() <= 1


def test_mnist_loaders_on_tiny_data(tiny_mnist, tmp_path):
    from helpers.mnist import ensure_mnist

    root = ensure_mnist(tmp_path, source=tiny_mnist.source)
    train, test = mnist_loaders(batch_size=5, device="cpu", root=root, seed=0)
    assert (len(train), len(test)) == (3, 2)  # 12 e 7 imagens
    assert torch.equal(torch.cat([y for _, y in test]), tiny_mnist.labels[False])  # teste em ordem
    shuffled = torch.cat([y for _, y in train])
    assert not torch.equal(epoch(train), epoch(train))
    assert sorted(shuffled.tolist()) == sorted(tiny_mnist.labels[True].tolist())

    train, test = mnist_loaders(batch_size=4, device="cpu", root=root, subset=6, drop_last=True)
    assert (len(train.dataset), len(test.dataset)) == (6, 6)
    assert [len(x) for x, _ in train] == [4]


def test_dataloader_path_matches_fast_path(tiny_mnist, tmp_path):
    from helpers.mnist import ensure_mnist

    root = ensure_mnist(tmp_path, source=tiny_mnist.source)
    train, test = mnist_dataloaders(batch_size=4, root=root)
    assert isinstance(train, DataLoader) and train.num_workers == 0
    assert len(train) == 3 and len(test) == 2
    x_slow = torch.cat([x for x, _ in test])
    x_fast, _ = mnist_tensors(False, device="cpu", root=root)
    assert torch.equal(x_slow, x_fast)


# --- MNIST real -----------------------------------------------------------------


@pytest.mark.parametrize("train", [True, False], ids=["train", "test"])
def test_real_normalization_bit_identical_to_torchvision(mnist_root, train):
    """As 70 000 imagens pelo ToTensor + Normalize do torchvision, e 500 pelo caminho PIL."""
    x, y = mnist_tensors(train, device="cpu", root=mnist_root)
    dataset = mnist_dataset(train, mnist_root, transform=mnist_transform())
    # As mesmas funções do torchvision, de uma vez: um array HxWxN vira um tensor NxHxW.
    all_at_once = mnist_transform()(np.ascontiguousarray(dataset.data.numpy().transpose(1, 2, 0)))
    assert torch.equal(x[:, 0], all_at_once)
    # E o caminho exato do DataLoader (uint8 -> PIL -> tensor) numa amostra sorteada.
    sample = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))[:500]
    images, labels = zip(*(dataset[int(i)] for i in sample))
    assert torch.equal(x[sample], torch.stack(images))
    assert torch.equal(y[sample], torch.tensor(labels))


def test_real_mnist_loaders(mnist_root):
    train, test = mnist_loaders(batch_size=64, device="cpu", root=mnist_root, seed=0)
    assert (len(train), len(test)) == (938, 157)
    assert (len(train.dataset), len(test.dataset)) == (60000, 10000)
    xb, yb = next(iter(train))
    assert xb.shape == (64, 1, 28, 28) and xb.dtype == torch.float32
    assert yb.shape == (64,) and yb.dtype == torch.int64
    again, _ = mnist_loaders(batch_size=64, device="cpu", root=mnist_root, seed=0)
    assert torch.equal(next(iter(again))[1], yb)  # mesma semente, mesma primeira época


@cuda
def test_real_mnist_loaders_on_gpu(mnist_root):
    train, _ = mnist_loaders(batch_size=64, device="cuda", root=mnist_root)
    xb, yb = next(iter(train))
    assert xb.is_cuda and yb.is_cuda
    x_cpu, _ = mnist_tensors(True, device="cpu", root=mnist_root)
    x_gpu, _ = mnist_tensors(True, device="cuda", root=mnist_root)
    assert torch.equal(x_gpu.cpu(), x_cpu)
