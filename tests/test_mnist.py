"""helpers.mnist: diretório de dados, cópia da origem, checksums, download e erro sem rede."""

from __future__ import annotations

import gzip
import io
import urllib.request
from pathlib import Path

import pytest
import torch
import torchvision

from helpers import mnist
from helpers.mnist import MnistNotFoundError, data_root, ensure_mnist, mnist_dataset

pytestmark = pytest.mark.usefixtures("mnist_env", "no_network")

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def raw_dir(root: Path) -> Path:
    return root / "MNIST" / "raw"


def leftovers(root: Path) -> list[str]:
    """Diretórios temporários de preparação que sobraram na raiz."""
    return [p.name for p in root.iterdir() if p.name.startswith(".mnist-")]


def check_dataset(ds, tiny, train: bool) -> None:
    assert isinstance(ds, torchvision.datasets.MNIST)
    assert torch.equal(ds.data, tiny.images[train])
    assert torch.equal(ds.targets, tiny.labels[train])


# --- diretório de dados ------------------------------------------------------


def test_data_root_argument_then_env_then_platform_default(monkeypatch, tmp_path):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    default = data_root()
    assert default.name == "modulo4" or "modulo4" in default.parts
    monkeypatch.setenv("MODULO4_DATA", str(tmp_path / "env"))
    assert data_root() == tmp_path / "env"
    assert data_root(tmp_path / "arg") == tmp_path / "arg"


def test_data_root_on_colab_is_local_folder(monkeypatch):
    monkeypatch.setenv("COLAB_RELEASE_TAG", "teste")
    assert data_root() == Path("/content/data")


# --- cópia da pasta de origem ------------------------------------------------


def test_seeds_from_source_without_touching_it(tiny_mnist, tmp_path, snapshot):
    before = snapshot(tiny_mnist.source)
    root = ensure_mnist(tmp_path / "data", source=tiny_mnist.source)
    assert root == tmp_path / "data"
    for train in (True, False):
        check_dataset(mnist_dataset(train, root), tiny_mnist, train)
    assert snapshot(tiny_mnist.source) == before
    assert leftovers(root) == []


def test_source_from_env_var(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("MODULO4_MNIST_SOURCE", str(tiny_mnist.source))
    monkeypatch.setenv("MODULO4_DATA", str(tmp_path / "data"))
    check_dataset(mnist_dataset(True), tiny_mnist, True)
    assert (tmp_path / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file()


def test_verified_cache_needs_neither_source_nor_network(tiny_mnist, tmp_path, snapshot):
    root = ensure_mnist(tmp_path, source=tiny_mnist.source)
    before = snapshot(root)
    ensure_mnist(tmp_path)  # sem fonte e sem rede (no_network): tem de bastar o cache
    assert snapshot(root) == before


# --- arquivos corrompidos ----------------------------------------------------


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:-10] + bytes(10), id="gz-bytes-trocados"),
        pytest.param(lambda b: b[: len(b) // 2], id="gz-truncado"),
    ],
)
def test_corrupted_archive_is_replaced(tiny_mnist, tmp_path, damage):
    root = ensure_mnist(tmp_path, source=tiny_mnist.source)
    archive = raw_dir(root) / "train-labels-idx1-ubyte.gz"
    archive.write_bytes(damage(archive.read_bytes()))
    ensure_mnist(root, source=tiny_mnist.source)
    assert archive.read_bytes() == tiny_mnist.archives[archive.name]
    check_dataset(mnist_dataset(True, root), tiny_mnist, True)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda b: b[:100] + bytes([b[100] ^ 0xFF]) + b[101:], id="um-byte"),
        pytest.param(lambda b: b[:-1], id="truncado"),
    ],
)
def test_corrupted_extracted_file_is_replaced(tiny_mnist, tmp_path, damage):
    root = ensure_mnist(tmp_path, source=tiny_mnist.source)
    extracted = raw_dir(root) / "t10k-images-idx3-ubyte"
    extracted.write_bytes(damage(extracted.read_bytes()))
    ensure_mnist(root)  # o .gz guardado basta: nem fonte nem rede
    assert extracted.read_bytes() == gzip.decompress(tiny_mnist.archives[extracted.name + ".gz"])
    check_dataset(mnist_dataset(False, root), tiny_mnist, False)


def test_corrupted_file_in_source_is_not_used(tiny_mnist, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    source = tmp_path / "bad-source"
    source.mkdir()
    for other, data in tiny_mnist.archives.items():
        (source / other).write_bytes(data if other != name else data[:-3] + b"xyz")
    with pytest.raises(MnistNotFoundError, match=name):
        ensure_mnist(tmp_path / "data", source=source)
    assert not (raw_dir(tmp_path / "data") / name).exists()


# --- sem rede ----------------------------------------------------------------


def test_missing_file_offline_fails_with_portuguese_instructions(tiny_mnist, tmp_path):
    (tiny_mnist.source / "train-images-idx3-ubyte.gz").unlink()
    root = tmp_path / "data"
    with pytest.raises(MnistNotFoundError) as info:
        ensure_mnist(root, source=tiny_mnist.source)
    message = str(info.value)
    assert "Não encontrei o MNIST" in message
    assert str(raw_dir(root)) in message
    for name in tiny_mnist.archives:
        assert name in message
    assert "MODULO4_MNIST_SOURCE" in message and "MODULO4_DATA" in message
    assert isinstance(info.value, RuntimeError)
    assert leftovers(root) == []
    # Os três arquivos bons não entram pela metade: nada é movido quando falta um.
    assert not (raw_dir(root) / "train-images-idx3-ubyte").exists()


# --- download (rede simulada: nada sai da máquina) ---------------------------


class FakeResponse(io.BytesIO):
    """Resposta HTTP mínima para o torchvision: ``url``, ``length`` e ``read``."""

    def __init__(self, url: str, data: bytes, fail_after: int | None = None):
        super().__init__(data)
        self.url, self.length, self.fail_after = url, len(data), fail_after

    def read(self, size=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise KeyboardInterrupt  # o aluno apertou "interromper" no meio do download
        if self.fail_after is not None:
            size = self.fail_after - self.tell()
        return super().read(size)


def fake_mirror(monkeypatch, archives: dict[str, bytes], fail_after: int | None = None):
    """Troca a rede por um espelho em memória; devolve as URLs pedidas."""
    requested = []

    def urlopen(request, *args, **kwargs):
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        requested.append(url)
        return FakeResponse(url, archives[url.rsplit("/", 1)[-1]], fail_after)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return requested


def test_download_uses_torchvision_mirrors_and_checksums(tiny_mnist, tmp_path, monkeypatch, capfd):
    requested = fake_mirror(monkeypatch, tiny_mnist.archives)
    root = ensure_mnist(tmp_path / "data")
    for train in (True, False):
        check_dataset(mnist_dataset(train, root), tiny_mnist, train)
    assert any(url.startswith(torchvision.datasets.MNIST.mirrors[0]) for url in requested)
    assert leftovers(root) == []
    assert capfd.readouterr().err == ""  # sem terminal: a barra de progresso fica desligada


def test_download_skips_archives_already_verified(tiny_mnist, tmp_path, monkeypatch):
    root = ensure_mnist(tmp_path, source=tiny_mnist.source)
    (raw_dir(root) / "t10k-labels-idx1-ubyte.gz").unlink()
    (raw_dir(root) / "t10k-labels-idx1-ubyte").unlink()
    requested = fake_mirror(monkeypatch, tiny_mnist.archives)
    ensure_mnist(root)
    assert {url.rsplit("/", 1)[-1] for url in requested} == {"t10k-labels-idx1-ubyte.gz"}
    check_dataset(mnist_dataset(False, root), tiny_mnist, False)


def test_interrupted_download_leaves_no_partial_file(tiny_mnist, tmp_path, monkeypatch):
    fake_mirror(monkeypatch, tiny_mnist.archives, fail_after=40)
    root = tmp_path / "data"
    with pytest.raises(KeyboardInterrupt):
        ensure_mnist(root)
    assert list(raw_dir(root).iterdir()) == []
    assert leftovers(root) == []
    # Depois, com a rede de volta, tudo se completa normalmente.
    fake_mirror(monkeypatch, tiny_mnist.archives)
    check_dataset(mnist_dataset(True, root), tiny_mnist, True)


def test_offline_message_names_the_real_default_directory(tiny_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("MODULO4_DATA", str(tmp_path / "padrão"))
    with pytest.raises(MnistNotFoundError, match="padrão"):
        mnist_dataset(True)


# --- MNIST real (../shared/data ou MODULO4_MNIST_SOURCE) ---------------------


@pytest.mark.parametrize("train, counts", [(True, TRAIN_COUNTS), (False, TEST_COUNTS)])
def test_real_mnist_shapes_dtypes_and_label_counts(mnist_root, train, counts):
    ds = mnist_dataset(train, mnist_root)
    n = sum(counts)
    assert ds.data.shape == (n, 28, 28) and ds.data.dtype == torch.uint8
    assert ds.targets.shape == (n,) and ds.targets.dtype == torch.int64
    assert torch.bincount(ds.targets, minlength=10).tolist() == counts


def test_real_mnist_archives_match_torchvision_checksums(mnist_root):
    for name, md5 in torchvision.datasets.MNIST.resources:
        archive = raw_dir(mnist_root) / name
        assert torchvision.datasets.utils.check_integrity(archive, md5), name
        assert mnist._matches_archive(raw_dir(mnist_root) / name.removesuffix(".gz"), archive)


def test_real_source_is_left_untouched(mnist_source, mnist_root, snapshot):
    # mnist_root já comparou a pasta antes e depois de extrair; aqui, uma segunda raiz.
    names = {name for name, _ in torchvision.datasets.MNIST.resources}
    assert names <= {p.name for p in mnist_source.iterdir()}
    before = snapshot(mnist_source)
    ensure_mnist(mnist_root, source=mnist_source)
    assert snapshot(mnist_source) == before
