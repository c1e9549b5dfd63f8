"""helpers.doctor: reads the environment, names each problem with its fix, changes nothing."""

import torch

from helpers import doctor as doctor_module
from helpers.doctor import doctor


def test_a_complete_environment_reports_no_problem(mnist_root, monkeypatch, snapshot):
    monkeypatch.setenv("MODULO4_DATA", str(mnist_root))
    monkeypatch.setenv("MODULO4_DEVICE", "cpu")
    before = snapshot(mnist_root)
    report = doctor(show=False)
    assert report.ok, str(report)
    assert report.facts["torch"] == torch.__version__
    assert "pronto" in report.facts["MNIST"]
    assert snapshot(mnist_root) == before  # only reads


def test_missing_mnist_says_where_to_put_it(tmp_path, monkeypatch, mnist_env):
    monkeypatch.setenv("MODULO4_DATA", str(tmp_path))
    report = doctor(show=False)
    assert any("MODULO4_MNIST_SOURCE" in p and str(tmp_path) in p for p in report.problems)
    assert list(tmp_path.iterdir()) == []  # nothing downloaded or created


def test_an_old_package_is_named_with_the_command_that_fixes_it(monkeypatch, tmp_path):
    monkeypatch.setenv("MODULO4_DATA", str(tmp_path))
    monkeypatch.setitem(doctor_module.MINIMUM, "torch", (99, 0))
    report = doctor(show=False)
    assert any("torch" in p and "pip install -U 'torch>=99.0'" in p for p in report.problems)


def test_colab_without_gpu_says_how_to_get_one(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COLAB_RELEASE_TAG", "teste")
    monkeypatch.setenv("MODULO4_DATA", str(tmp_path))
    monkeypatch.delenv("MODULO4_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    report = doctor()
    assert report.facts["plataforma"] == "Google Colab"
    assert any("Alterar o tipo de ambiente de execução" in p for p in report.problems)
    assert "Problemas encontrados" in capsys.readouterr().out


def test_a_gpu_hidden_by_a_forced_cpu_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("MODULO4_DATA", str(tmp_path))
    monkeypatch.setenv("MODULO4_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    report = doctor(show=False)
    assert any("MODULO4_DEVICE=cpu" in p for p in report.problems)
