"""helpers.tensorboard (aula 08): ler de volta o que o SummaryWriter escreveu, e o servidor
real do TensorBoard mostrando os mesmos valores pelas rotas que o navegador usa."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

import pytest
import torch
from torch.utils.tensorboard import SummaryWriter

from helpers.tensorboard import read_scalars

HISTORY = {
    "train_loss": [2.1, 1.2, 0.8, 0.6],
    "val_loss": [2.0, 1.3, 1.0, 0.9],
    "val_acc": [0.3, 0.6, 0.7, 0.75],
}
TAGS = {"train_loss": "Loss/train", "val_loss": "Loss/val", "val_acc": "Accuracy/val"}


def write_history(logdir, history=HISTORY) -> None:
    """Grava como a aula 08: uma tag por métrica, global_step = época a partir de 0."""
    writer = SummaryWriter(str(logdir))
    for epoch in range(len(history["train_loss"])):
        for key, tag in TAGS.items():
            writer.add_scalar(tag, history[key][epoch], epoch)
    writer.close()


@pytest.fixture(autouse=True)
def quiet(capfd):
    """Nenhum aviso nem nada em stderr: numa célula do notebook isso zeraria a nota."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    assert capfd.readouterr().err == ""


def test_reads_back_each_tag_with_steps_and_values(tmp_path):
    write_history(tmp_path)
    scalars = read_scalars(tmp_path)
    assert set(scalars) == set(TAGS.values())
    for key, tag in TAGS.items():
        steps = [step for step, _ in scalars[tag]]
        assert steps == [0, 1, 2, 3]
        values = torch.tensor([value for _, value in scalars[tag]])
        torch.testing.assert_close(values, torch.tensor(HISTORY[key]))  # float32 no arquivo
        assert all(isinstance(v, float) and isinstance(s, int) for s, v in scalars[tag])


def test_accepts_str_and_path_and_an_empty_folder(tmp_path):
    assert read_scalars(tmp_path) == {}
    write_history(tmp_path)
    assert read_scalars(str(tmp_path)) == read_scalars(tmp_path)


def test_new_style_scalars_and_tensors_as_values_are_read(tmp_path):
    writer = SummaryWriter(str(tmp_path))
    writer.add_scalar("Loss/train", torch.tensor(0.5), 0)
    writer.add_scalar("Loss/train", 0.25, 1, new_style=True)
    writer.add_text("notes", "não é escalar", 0)
    writer.close()
    assert read_scalars(tmp_path) == {"Loss/train": [(0, 0.5), (1, 0.25)]}


def test_add_scalars_goes_to_subfolders_with_other_tags(tmp_path):
    writer = SummaryWriter(str(tmp_path))
    writer.add_scalars("Loss", {"train": 1.0, "val": 2.0}, 0)
    writer.close()
    assert "Loss/train" not in read_scalars(tmp_path)
    assert read_scalars(tmp_path / "Loss_train") == {"Loss": [(0, 1.0)]}


def test_steps_in_the_order_written(tmp_path):
    writer = SummaryWriter(str(tmp_path))
    for step in (0, 2, 1):
        writer.add_scalar("x", float(step), step)
    writer.close()
    assert read_scalars(tmp_path)["x"] == [(0, 0.0), (2, 2.0), (1, 1.0)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def test_real_tensorboard_server_shows_the_logged_scalars(tmp_path):
    run = "mnist_mlp"
    write_history(tmp_path / run)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", str(tmp_path),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,  # o aviso "TensorFlow installation not found" vai para cá
    )
    try:
        tags, deadline = {}, time.monotonic() + 60
        while run not in tags and time.monotonic() < deadline:
            assert server.poll() is None, "o TensorBoard terminou antes de responder"
            try:
                tags = _get_json(f"{base}/data/plugin/scalars/tags")
            except (urllib.error.URLError, ConnectionError):
                pass
            if run not in tags:
                time.sleep(0.5)  # ainda subindo, ou ainda lendo os arquivos de eventos
        assert run in tags, f"o TensorBoard não listou o run em 60 s: {tags}"
        assert set(tags[run]) == set(TAGS.values())

        query = urllib.parse.urlencode({"tag": "Loss/train", "run": run})
        points = _get_json(f"{base}/data/plugin/scalars/scalars?{query}")
        assert [step for _, step, _ in points] == [0, 1, 2, 3]
        torch.testing.assert_close(
            torch.tensor([value for _, _, value in points]), torch.tensor(HISTORY["train_loss"])
        )
    finally:
        server.kill()
        server.communicate(timeout=30)
