"""helpers.checks: the messages students read, and the guards the graded tests rely on."""

import pytest
import torch
import torch.nn.functional as F

from helpers import checks


def test_assert_close_passes_equal_values_and_names_the_factor_error():
    x = torch.tensor([1.0, -2.0, 3.0])
    checks.assert_close(x.clone(), x, "g")
    with pytest.raises(AssertionError, match="exatamente 2× o esperado"):
        checks.assert_close(2 * x, x, "g")
    with pytest.raises(AssertionError, match="1/3 do esperado"):
        checks.assert_close(x / 3, x, "g")
    with pytest.raises(AssertionError, match="sinal trocado"):
        checks.assert_close(-x, x, "g")
    with pytest.raises(AssertionError, match="nan ou inf"):
        checks.assert_close(torch.tensor([1.0, float("nan"), 3.0]), x, "g")


def test_assert_close_reports_shape_and_adds_the_hint():
    with pytest.raises(AssertionError, match="shape \\(3, 2\\).*\\(2, 3\\).*transpostas"):
        checks.assert_close(torch.zeros(3, 2), torch.zeros(2, 3), "W")
    with pytest.raises(AssertionError, match="backward\\(\\) duas vezes"):
        checks.assert_close(torch.ones(2) * 5, torch.ones(2), "g", hint="Chamou backward() duas vezes?")


def test_assert_close_accepts_python_numbers_for_scalars():
    checks.assert_close(2.0, torch.tensor(2.0), "v")
    with pytest.raises(AssertionError):
        checks.assert_close(3.0, torch.tensor(2.0), "v")


def test_leaf_and_detached_checks():
    leaf = torch.zeros(2, requires_grad=True)
    checks.assert_trainable_leaf(leaf, "W")
    with pytest.raises(AssertionError, match="não é um tensor folha"):
        checks.assert_trainable_leaf(leaf * 2, "W")
    checks.assert_detached(leaf.detach(), "c")
    with pytest.raises(AssertionError):
        checks.assert_detached(leaf * 2, "c")


def test_forbid_blocks_module_function_method_and_namespace_alias_then_restores():
    softmax = F.softmax  # what `from torch.nn.functional import softmax` binds
    namespace = {"softmax": softmax}
    x = torch.randn(2, 3)
    paths = ("torch.nn.functional.softmax", "torch.Tensor.softmax", "torch.nn.CrossEntropyLoss")
    with checks.forbid(*paths, namespace=namespace):
        with pytest.raises(AssertionError, match="sem usar torch.nn.functional.softmax"):
            F.softmax(x, dim=1)
        with pytest.raises(AssertionError):
            x.softmax(dim=1)
        with pytest.raises(AssertionError):
            namespace["softmax"](x, dim=1)
        with pytest.raises(AssertionError):
            torch.nn.CrossEntropyLoss()(x, torch.tensor([0, 1]))
        torch.logsumexp(x, dim=1)  # what is not forbidden still works
    assert F.softmax is softmax and namespace["softmax"] is softmax
    torch.testing.assert_close(x.softmax(dim=1).sum(dim=1), torch.ones(2))
    torch.nn.CrossEntropyLoss()(x, torch.tensor([0, 1]))


def test_analytic_blocks_autograd_but_allows_no_grad_inside():
    x = torch.tensor([1.0, 2.0])

    def with_autograd(x):
        x = x.clone().requires_grad_()
        (x**2).sum().backward()
        return x.grad

    def by_hand(x):
        with torch.no_grad():
            return 2 * x

    with checks.analytic():
        torch.testing.assert_close(by_hand(x), 2 * x)
        with pytest.raises((AssertionError, RuntimeError)):
            with_autograd(x)
        with pytest.raises(AssertionError):
            torch.autograd.grad(x.sum(), x)
    torch.testing.assert_close(with_autograd(x), 2 * x)


def test_forward_recorder_sees_mode_and_grad_state():
    model = torch.nn.Linear(2, 1)
    with checks.ForwardRecorder(model) as rec:
        model(torch.zeros(1, 2))
        model.eval()
        with torch.no_grad():
            model(torch.zeros(1, 2))
    model(torch.zeros(1, 2))  # after the block: not recorded
    assert rec.calls == [(True, True), (False, False)]


def test_quietly_swallows_warnings_and_returns_the_value(recwarn):
    import warnings

    def noisy(x):
        warnings.warn("barulho", UserWarning, stacklevel=2)
        return x + 1

    assert checks.quietly(noisy, 1) == 2
    assert len(recwarn) == 0


def test_assert_tuple_names_what_came_back():
    checks.assert_tuple((1, 2), 2, "f")
    checks.assert_tuple([1, 2], 2, "f")
    with pytest.raises(AssertionError, match="tupla de 2 elementos, mas devolveu Tensor"):
        checks.assert_tuple(torch.zeros(2), 2, "f")
    with pytest.raises(AssertionError, match="tuple de 3"):
        checks.assert_tuple((1, 2, 3), 2, "f")


def test_runtime_error_becomes_an_explained_failure_but_stubs_pass_through():
    with pytest.raises(AssertionError, match="linear\\(x\\): .*mat1 and mat2.*Veja o shape de W"):
        with checks.runtime_error_as_failure("linear(x)", hint="Veja o shape de W."):
            torch.zeros(2, 3) @ torch.zeros(2, 3)
    with pytest.raises(NotImplementedError):
        with checks.runtime_error_as_failure("linear(x)"):
            raise NotImplementedError()
    with pytest.raises(AssertionError, match=r"pick\(x\): IndexError: index 5 is out of bounds"):
        with checks.runtime_error_as_failure("pick(x)"):
            torch.zeros(3)[5]


def test_assert_names_explains_missing_extra_and_order():
    why = {"W": "folha com requires_grad", "out": "resultado de operação"}
    checks.assert_names(["W", "b"], ["W", "b"], why, "gets_grad")
    with pytest.raises(AssertionError, match="faltou 'W' \\(folha com requires_grad\\)"):
        checks.assert_names(["b"], ["W", "b"], why, "gets_grad")
    with pytest.raises(AssertionError, match="'out' não deveria estar.*resultado de operação"):
        checks.assert_names(["W", "b", "out"], ["W", "b"], why, "gets_grad")
    with pytest.raises(AssertionError, match="ordem"):
        checks.assert_names(["b", "W"], ["W", "b"], why, "gets_grad")
    with pytest.raises(AssertionError, match="list"):
        checks.assert_names({"W", "b"}, ["W", "b"], why, "gets_grad")


def test_forward_recorder_counts_each_outer_call_once_whatever_the_route():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    model.eval()
    with checks.ForwardRecorder(model) as rec:
        model(torch.zeros(4, 2))
        with torch.no_grad():
            model.forward(torch.zeros(5, 2))  # skips the Sequential's own hooks
    assert rec.calls == [(False, True), (False, False)]
    assert rec.batch_sizes == [4, 5]
    assert "forward" not in vars(model)  # the module is as it was


def test_forward_recorder_survives_a_forward_that_raises():
    model = torch.nn.Sequential(torch.nn.Linear(2, 3))
    with checks.ForwardRecorder(model) as rec:
        with pytest.raises(RuntimeError):
            model(torch.zeros(4, 7))
        model(torch.zeros(1, 2))
    assert rec.batch_sizes == [4, 1]


def test_analytic_blocks_forward_mode_and_torchs_own_finite_differences():
    import sys

    import torch.autograd.forward_ad as fwAD
    from torch.autograd.gradcheck import get_numerical_jacobian

    gradcheck_module = sys.modules["torch.autograd.gradcheck"]  # the name torch.autograd.gradcheck is a function
    namespace = {"get_numerical_jacobian": get_numerical_jacobian}
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    with checks.analytic(namespace):
        with pytest.raises(AssertionError):
            with fwAD.dual_level():
                fwAD.make_dual(x, torch.ones_like(x))
        with pytest.raises(AssertionError):
            gradcheck_module.get_numerical_jacobian(lambda t: t**2, (x,))
        with pytest.raises(AssertionError):
            namespace["get_numerical_jacobian"](lambda t: t**2, (x,))
        with pytest.raises(AssertionError):
            torch.func.linearize(torch.sin, x)
        with pytest.raises(AssertionError):
            with torch.enable_grad():
                pass
        with torch.no_grad():  # turning grad off stays allowed
            pass
    assert gradcheck_module.get_numerical_jacobian is get_numerical_jacobian  # restored


def test_ratio_hint_is_not_given_for_a_single_value():
    with pytest.raises(AssertionError) as info:
        checks.assert_close(torch.tensor(24.0), torch.tensor(144.0), "df_dy")
    assert "exatamente" not in str(info.value)


def test_count_backward_counts_passes_through_f_not_values():
    counted = checks.CountBackward(lambda x: x**3)
    x = torch.tensor(2.0, requires_grad=True)
    y = counted(x)
    y.backward(retain_graph=True)
    y.backward()
    assert counted.backward_count == 2
    assert x.grad.item() == 24.0  # the tap does not change the gradient
    counted(torch.tensor(2.0))  # no autograd: nothing to count
    counted(2.0)  # plain numbers pass through untouched
    assert counted.backward_count == 2


def test_assert_tuple_can_say_what_goes_where():
    with pytest.raises(AssertionError, match=r"tupla de 2 elementos \(df_dx, df_dy\), mas devolveu Tensor"):
        checks.assert_tuple(torch.zeros(2), 2, "grad_poly", "(df_dx, df_dy)")


def test_print_inside_analytic_works():
    # torch calls forward_ad.unpack_dual to print a tensor: a debugging print must not fail.
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with checks.analytic():
        text = repr(x * 2)
    assert "tensor(" in text


def _forbidden_paths_in_lessons() -> set[str]:
    """Every dotted torch name a lesson passes to forbid(), directly or through a tuple."""
    import ast

    from instructor.layout import lesson_files

    found: set[str] = set()
    for path in lesson_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tuples = {
            target.id: node.value
            for node in ast.walk(tree) if isinstance(node, ast.Assign)
            for target in node.targets if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            name = getattr(getattr(node, "func", None), "id", None) or getattr(getattr(node, "func", None), "attr", None)
            if not (isinstance(node, ast.Call) and name == "forbid"):
                continue
            for arg in node.args:
                if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name):
                    if isinstance(getattr(checks, arg.value.id, None), tuple):  # SOFTMAX_FAMILY, ...
                        found.update(getattr(checks, arg.value.id))
                        continue
                    arg = tuples.get(arg.value.id, arg)
                for const in ast.walk(arg):
                    if isinstance(const, ast.Constant) and isinstance(const.value, str):
                        found.add(const.value)
    return found


def test_every_forbidden_path_resolves_so_a_typo_cannot_switch_a_guard_off():
    paths = set(checks.AUTOGRAD_ENTRY_POINTS) | _forbidden_paths_in_lessons()
    unresolved = []
    for path in sorted(paths - checks.OPTIONAL_PATHS):
        try:
            owner, attr = checks._resolve(path)
            getattr(owner, attr)
        except (ImportError, AttributeError):
            unresolved.append(path)
    assert unresolved == []
