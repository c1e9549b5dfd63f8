"""Os arquivos do MNIST no disco, conferidos, e os datasets do torchvision sobre eles.

Introduzido na aula 07. Primeiro sem rede: o diretório de dados (``data_root``) guarda os
quatro ``.gz`` originais e os arquivos extraídos em ``<raiz>/MNIST/raw/``, o layout do
``torchvision.datasets.MNIST``. O que falta ou está corrompido vem, nesta ordem, de um
diretório só de leitura com os ``.gz`` (``MODULO4_MNIST_SOURCE``) ou dos espelhos do
torchvision, com os MD5 dele. Nada é escrito pela metade: tudo é preparado num diretório
temporário ao lado e só entra no lugar (``os.replace``) quando está completo e conferido.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
import tempfile
import zlib
from pathlib import Path
from unittest import mock

import platformdirs

from helpers.progress import progress

__all__ = ["MnistNotFoundError", "data_root", "ensure_mnist", "mnist_dataset"]

DATA_ENV = "MODULO4_DATA"
SOURCE_ENV = "MODULO4_MNIST_SOURCE"
COLAB_ROOT = Path("/content/data")


class MnistNotFoundError(RuntimeError):
    """O MNIST não está no disco e não pôde ser baixado (sem internet, por exemplo).

    Introduzido na aula 07.
    """


def _on_colab() -> bool:
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Diretório de dados: ``root``, senão ``$MODULO4_DATA``, senão um padrão da plataforma.

    Introduzido na aula 07. O padrão é o cache do usuário (``~/.cache/modulo4`` no Linux,
    o equivalente no macOS e no Windows, via ``platformdirs``); no Colab é ``/content/data``,
    no disco local da máquina, que é rápido e some com ela.
    """
    if root is None:
        root = os.environ.get(DATA_ENV) or None
    if root is None and _on_colab():
        root = COLAB_ROOT
    if root is None:
        root = platformdirs.user_cache_dir("modulo4", appauthor=False)
    return Path(root).expanduser()


def _torchvision():
    # Importado só quando os arquivos são conferidos ou lidos: quem só quer saber onde
    # eles ficam (data_root, como o corretor da turma) não paga os segundos do torch.
    import torchvision

    return torchvision


def _check_integrity(path: Path, md5: str) -> bool:
    return _torchvision().datasets.utils.check_integrity(path, md5)


def _resources() -> list[tuple[str, str]]:
    # Lido a cada chamada (e não copiado) para que os testes possam trocar a lista.
    return list(_torchvision().datasets.MNIST.resources)


def _matches_archive(extracted: Path, archive: Path) -> bool:
    """Confere o arquivo extraído contra o CRC32 e o tamanho gravados no fim do ``.gz``.

    O ``.gz`` já foi conferido pelo MD5 do torchvision; o rodapé dele (8 bytes) diz o
    CRC32 e o tamanho do conteúdo, então não é preciso outra tabela de checksums.
    """
    with open(archive, "rb") as f:
        f.seek(-8, os.SEEK_END)
        crc, size = struct.unpack("<II", f.read(8))
    if extracted.stat().st_size % 2**32 != size:
        return False
    checksum = 0
    with open(extracted, "rb") as f:
        while chunk := f.read(1 << 20):
            checksum = zlib.crc32(chunk, checksum)
    return checksum == crc


def _verified(raw: Path) -> list[str]:
    """Apaga o que está corrompido em ``raw`` e devolve os ``.gz`` que faltam ficar prontos."""
    missing = []
    for name, md5 in _resources():
        archive, extracted = raw / name, raw / name.removesuffix(".gz")
        if archive.exists() and not _check_integrity(archive, md5):
            archive.unlink()  # corrompido: nunca usar em silêncio
        if archive.exists() and extracted.exists() and not _matches_archive(extracted, archive):
            extracted.unlink()
        if not (archive.exists() and extracted.exists()):
            missing.append(name)
    return missing


def _not_found_message(raw: Path, source: Path | None, missing: list[str]) -> str:
    names = "\n".join(f"  {name}" for name, _ in _resources())
    tried = f" Também procurei em {source} ({SOURCE_ENV})." if source else ""
    return (
        f"Não encontrei o MNIST em {raw} e não consegui baixá-lo (sem internet?).{tried}\n"
        f"Faltam ou estão corrompidos: {', '.join(missing)}.\n"
        f"Copie os quatro arquivos originais para {raw}:\n{names}\n"
        f"ou aponte {SOURCE_ENV} para uma pasta que os tenha, ou {DATA_ENV} para outro "
        "diretório de dados. Os arquivos são conferidos pelo MD5 antes de serem usados."
    )


def ensure_mnist(
    root: str | os.PathLike | None = None, source: str | os.PathLike | None = None
) -> Path:
    """Garante os arquivos do MNIST, conferidos, em ``<raiz>/MNIST/raw/`` e devolve a raiz.

    Introduzido na aula 07. ``source`` (senão ``$MODULO4_MNIST_SOURCE``) é uma pasta só de
    leitura com os quatro ``.gz`` originais: é copiada, nunca modificada. Sem ela, baixa
    dos espelhos do torchvision, com barra de progresso. Levanta ``MnistNotFoundError``
    com instruções em português quando nada disso funciona.
    """
    root = data_root(root)
    raw = root / "MNIST" / "raw"
    missing = _verified(raw) if raw.is_dir() else [name for name, _ in _resources()]
    if not missing:
        return root
    if source is None:
        source = os.environ.get(SOURCE_ENV) or None
    source = Path(source).expanduser() if source is not None else None

    raw.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".mnist-", dir=root))
    try:
        stage_raw = stage / "MNIST" / "raw"
        stage_raw.mkdir(parents=True)
        # Os .gz bons que já temos (ou que a fonte tem) evitam o download: o torchvision
        # confere o MD5, pula o download e só extrai.
        for name, md5 in _resources():
            for candidate in (raw / name, source / name if source else None):
                if candidate is not None and _check_integrity(candidate, md5):
                    shutil.copyfile(candidate, stage_raw / name)
                    break
        try:
            # O torchvision desenha uma barra de texto em stderr; no lugar dela, a nossa:
            # widget no notebook e desligada na correção (create: caso ele a renomeie).
            torchvision = _torchvision()
            with mock.patch.object(torchvision.datasets.utils, "tqdm", progress, create=True):
                torchvision.datasets.MNIST(stage, train=False, download=True)
        except (RuntimeError, OSError) as error:
            raise MnistNotFoundError(_not_found_message(raw, source, missing)) from error
        for name in missing:
            for file in (name, name.removesuffix(".gz")):
                os.replace(stage_raw / file, raw / file)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return root


def mnist_dataset(train: bool, root: str | os.PathLike | None = None, transform=None):
    """O ``torchvision.datasets.MNIST`` de treino (``train=True``) ou de teste, sem rede.

    Introduzido na aula 07. Garante os arquivos com ``ensure_mnist(root)`` e devolve o
    dataset do torchvision, que lê os arquivos extraídos; ``transform`` é aplicado a cada
    imagem (PIL) como de costume, por exemplo ``ToTensor()`` + ``Normalize``.
    """
    root = ensure_mnist(root)
    return _torchvision().datasets.MNIST(root, train=train, transform=transform, download=False)
