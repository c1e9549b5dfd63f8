"""Leitura dos arquivos de eventos do TensorBoard de volta para o Python.

Introduzido na aula 08: o ``SummaryWriter`` escreve, e ``read_scalars`` lê com o leitor do
próprio TensorBoard (``EventAccumulator``) o que foi escrito, para conferir o registro sem
abrir o navegador.
"""

from __future__ import annotations

import os

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.util import tensor_util

__all__ = ["read_scalars"]


def read_scalars(logdir: str | os.PathLike) -> dict[str, list[tuple[int, float]]]:
    """Os escalares gravados em ``logdir``: ``{tag: [(global_step, valor), ...]}``.

    Introduzido na aula 08. Lê os arquivos ``events.out.tfevents.*`` do próprio ``logdir``
    (não das subpastas: ``add_scalars`` grava nelas, com outras tags), na ordem em que
    foram escritos. Aceita os dois formatos do ``add_scalar`` (``simple_value`` e, com
    ``new_style=True``, tensor). Chame ``writer.flush()`` ou ``writer.close()`` antes.
    """
    # size_guidance 0 = guardar todos os valores (o padrão amostra quando há muitos).
    accumulator = event_accumulator.EventAccumulator(
        str(logdir),
        size_guidance={event_accumulator.SCALARS: 0, event_accumulator.TENSORS: 0},
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    scalars = {
        tag: [(event.step, float(event.value)) for event in accumulator.Scalars(tag)]
        for tag in tags.get(event_accumulator.SCALARS, [])
    }
    for tag in tags.get(event_accumulator.TENSORS, []):
        # Texto e outros plugins também viram tensores: só os do plugin de escalares contam.
        if accumulator.SummaryMetadata(tag).plugin_data.plugin_name != "scalars":
            continue
        scalars.setdefault(tag, []).extend(
            (event.step, float(tensor_util.make_ndarray(event.tensor_proto).reshape(())))
            for event in accumulator.Tensors(tag)
        )
    return scalars
