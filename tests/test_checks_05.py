"""named_mistake (aula 05): names the typical mistake whose value matches the answer."""

import torch

from helpers.checks import named_mistake

REF = torch.tensor(2.0)
MISTAKES = {"soma em vez da média": REF * 8, "sinal trocado": -REF}


def test_names_the_matching_mistake():
    assert named_mistake(torch.tensor(16.0), MISTAKES) == "soma em vez da média"
    assert named_mistake(torch.tensor(-2.0, dtype=torch.float64), MISTAKES) == "sinal trocado"


def test_tolerance_is_tight_and_relative():
    big = {"x1000": torch.tensor(1000.0)}
    assert named_mistake(torch.tensor(1000.001), big) == "x1000"
    # close, but not the mistake's value: an answer a little off must not get its hint
    assert named_mistake(torch.tensor(1000.1), big) == ""
    assert named_mistake(torch.tensor(2.0 + 1e-4), MISTAKES | {"ref": REF}) == ""


def test_two_mistakes_that_match_give_no_hint():
    # with N = C, "divided by C" and "divided by N" are the same number: say neither
    both = {"a": torch.tensor(1.0), "b": torch.tensor(1.0)}
    assert named_mistake(torch.tensor(1.0), both) == ""
    same_message = {"a": torch.tensor(1.0)}
    assert named_mistake(torch.tensor(1.0), same_message) == "a"


def test_mistakes_that_equal_the_reference_are_ignored():
    # N = 1: the summed loss IS the mean, so an answer a little off from the reference
    # (an eps inside the log) must not be told it summed instead of averaging
    expected = torch.tensor([0.25, -0.25])
    mistakes = {"soma em vez da média": expected * 1, "sinal trocado": -expected}
    off = expected + torch.tensor([1e-6, 0.0])
    assert named_mistake(off, mistakes) == "soma em vez da média"
    assert named_mistake(off, mistakes, expected=expected) == ""
    assert named_mistake(-expected, mistakes, expected=expected) == "sinal trocado"


def test_nothing_when_no_mistake_matches():
    assert named_mistake(torch.tensor(3.0), MISTAKES) == ""


def test_nothing_for_non_tensors_other_shapes_and_nan():
    assert named_mistake(16.0, MISTAKES) == ""
    assert named_mistake(torch.tensor([16.0]), MISTAKES) == ""
    assert named_mistake(torch.tensor(float("nan")), {"x": torch.tensor(float("nan"))}) == ""


def test_works_on_tensors_with_grad():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert named_mistake(x * 2, {"dobro": torch.tensor([2.0, 4.0])}) == "dobro"


def test_every_forbidden_path_exists_in_the_installed_torch():
    # forbid() skips paths it cannot resolve, so a typo would silently allow the shortcut.
    from helpers.checks import CROSS_ENTROPY_SHORTCUTS, _resolve

    for path in CROSS_ENTROPY_SHORTCUTS:
        owner, attr = _resolve(path)
        assert hasattr(owner, attr), path


def test_forbid_blocks_the_whole_cross_entropy_family():
    import pytest
    from torch import nn
    from torch.nn import functional as F

    from helpers.checks import CROSS_ENTROPY_SHORTCUTS, forbid

    z, y = torch.randn(3, 4), torch.tensor([0, 3, 1])
    calls = [
        lambda: torch.softmax(z, 1), lambda: F.softmax(z, 1), lambda: z.softmax(1),
        lambda: torch.special.softmax(z, 1), lambda: nn.Softmax(1)(z),
        lambda: torch.log_softmax(z, 1), lambda: F.log_softmax(z, 1), lambda: z.log_softmax(1),
        lambda: torch.special.log_softmax(z, 1), lambda: nn.LogSoftmax(1)(z),
        lambda: F.cross_entropy(z, y), lambda: nn.CrossEntropyLoss()(z, y),
        lambda: F.nll_loss(z, y), lambda: nn.NLLLoss()(z, y),
    ]
    with forbid(*CROSS_ENTROPY_SHORTCUTS):
        for call in calls:
            with pytest.raises(AssertionError, match="sem usar"):
                call()
        torch.logsumexp(z, 1)  # allowed
    for call in calls:  # everything restored afterwards
        call()
