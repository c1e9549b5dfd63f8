"""helpers.device: ordem CUDA -> MPS -> CPU, escolha forçada e descrição de uma linha."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from helpers import device as device_module
from helpers.device import describe_device, get_device


@pytest.fixture(autouse=True)
def no_forced_device(monkeypatch):
    monkeypatch.delenv("MODULO4_DEVICE", raising=False)


def fake_hardware(monkeypatch, cuda: bool, mps: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(device_module, "_mps_available", lambda: mps)


def test_automatic_choice_is_available_here():
    device = get_device()
    assert device.type in ("cuda", "mps", "cpu")
    if torch.cuda.is_available():
        assert device.type == "cuda"
    torch.zeros(2, device=device)  # o device escolhido funciona de verdade


@pytest.mark.parametrize(
    "cuda, mps, expected",
    [(True, True, "cuda"), (True, False, "cuda"), (False, True, "mps"), (False, False, "cpu")],
)
def test_preference_order(monkeypatch, cuda, mps, expected):
    fake_hardware(monkeypatch, cuda, mps)
    assert get_device() == torch.device(expected)


def test_env_var_forces_a_device(monkeypatch):
    fake_hardware(monkeypatch, cuda=True, mps=True)
    monkeypatch.setenv("MODULO4_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


def test_argument_wins_over_env_var(monkeypatch):
    fake_hardware(monkeypatch, cuda=True, mps=False)
    monkeypatch.setenv("MODULO4_DEVICE", "cpu")
    assert get_device("cuda:1") == torch.device("cuda:1")


@pytest.mark.parametrize("how", ["argument", "env"])
def test_forced_device_that_is_missing_is_an_error(monkeypatch, how):
    fake_hardware(monkeypatch, cuda=False, mps=False)
    if how == "env":
        monkeypatch.setenv("MODULO4_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="não está disponível") as info:
        get_device("cuda" if how == "argument" else None)
    assert "MODULO4_DEVICE" in str(info.value)
    with pytest.raises(RuntimeError, match="não está disponível"):
        get_device("mps")


def test_unknown_device_name(monkeypatch):
    monkeypatch.setenv("MODULO4_DEVICE", "gpu")
    with pytest.raises(ValueError, match="Device desconhecido"):
        get_device()


def test_works_without_torch_accelerator_and_mps_backend(monkeypatch):
    # Versões antigas do torch não têm torch.accelerator nem (bem antigas) torch.backends.mps.
    monkeypatch.delattr(torch, "accelerator", raising=False)
    monkeypatch.delattr(torch.backends, "mps", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert get_device() == torch.device("cpu")


def test_describe_cpu_is_one_line():
    text = describe_device(torch.device("cpu"))
    assert text.startswith("cpu") and "\n" not in text
    assert "threads" in text


def test_describe_gpu_has_name_and_memory(monkeypatch):
    props = SimpleNamespace(name="NVIDIA Teste", total_memory=16 * 2**30)
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda index: props)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    assert describe_device("cuda") == "cuda:0 — NVIDIA Teste, 16.0 GiB"

    monkeypatch.setattr(device_module, "_mps_available", lambda: True)
    monkeypatch.setattr(torch.mps, "recommended_max_memory", lambda: 12 * 2**30, raising=False)
    text = describe_device("mps")
    assert text.startswith("mps") and "12.0 GiB" in text


@pytest.mark.skipif(not torch.cuda.is_available(), reason="sem GPU CUDA")
def test_describe_real_gpu():
    text = describe_device(get_device("cuda"))
    assert torch.cuda.get_device_name(0) in text and "GiB" in text
