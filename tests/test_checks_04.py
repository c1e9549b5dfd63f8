"""helpers.checks, aula 04: camadas não registradas e as camadas Linear de um modelo."""

import pytest
import torch
from torch import nn

from helpers.checks import assert_linear_layers, construct, unregistered_modules


class PlainList(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = [nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])]


class Registered(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.same_layers = list(self.layers)  # uma lista comum de camadas já registradas


class Nested(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Module()
        self.block.extra = {"scale": nn.Parameter(torch.ones(2)), "fc": nn.Linear(2, 2)}
        self.head = nn.Linear(2, 1)


def test_plain_list_is_reported_by_path():
    assert unregistered_modules(PlainList([4, 3, 2])) == ["layers[0]", "layers[1]"]


def test_registered_layers_and_plain_references_to_them_are_fine():
    assert unregistered_modules(Registered([4, 3, 2])) == []
    assert unregistered_modules(nn.Sequential(nn.Flatten(), nn.Linear(4, 2), nn.ReLU())) == []


def test_hidden_dict_inside_a_submodule_names_the_submodule():
    assert unregistered_modules(Nested()) == ["block.extra['scale']", "block.extra['fc']"]


def test_assert_linear_layers_returns_them_in_order():
    model = Registered([5, 4, 3, 2])
    layers = assert_linear_layers(model, [5, 4, 3, 2], "m")
    assert layers == list(model.layers)


def test_assert_linear_layers_names_the_plain_list():
    with pytest.raises(AssertionError, match=r"layers\[0\].*nn.ModuleList"):
        assert_linear_layers(PlainList([4, 3, 2]), [4, 3, 2], "m")


def test_assert_linear_layers_reports_wrong_sizes():
    with pytest.raises(AssertionError, match=r"\[\(4, 3\)\].*\[\(4, 3\), \(3, 2\)\]"):
        assert_linear_layers(Registered([4, 3]), [4, 3, 2], "m")


class Pops(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.first = nn.Linear(sizes.pop(0), sizes[0])


class Breaks(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, [][0])


def test_construct_returns_the_model_and_leaves_lists_alone():
    sizes = [4, 3, 2]
    model = construct(Registered, sizes)
    assert isinstance(model, Registered) and sizes == [4, 3, 2]


def test_construct_reports_a_modified_list_with_the_original_call():
    with pytest.raises(AssertionError, match=r"Pops\(\[4, 3\]\) modificou a lista.*\[3\]"):
        construct(Pops, [4, 3])


def test_construct_explains_errors_in_the_constructor():
    with pytest.raises(AssertionError, match=r"Breaks\(5\): IndexError: .*dica"):
        construct(Breaks, 5, hint="dica")
