"""named_mistake (aula 05): names the typical mistake whose value matches the answer."""

import torch

from helpers.checks import named_mistake

REF = torch.tensor(2.0)
MISTAKES = {"soma em vez da média": REF * 8, "sinal trocado": -REF}


def test_names_the_matching_mistake():
    assert named_mistake(torch.tensor(16.0), MISTAKES) == "soma em vez da média"
    assert named_mistake(torch.tensor(-2.0, dtype=torch.float64), MISTAKES) == "sinal trocado"


def test_first_match_wins_and_tolerance_is_relative():
    both = {"a": torch.tensor(1.0), "b": torch.tensor(1.0)}
    assert named_mistake(torch.tensor(1.00001), both) == "a"


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
