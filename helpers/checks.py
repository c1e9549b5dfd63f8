"""Checagens usadas pelas células de teste dos exercícios (todas as aulas).

Introduzido na aula 01. Cada função falha com ``AssertionError`` e uma mensagem em
português que diz *o que* está errado sem entregar a solução. Nenhuma delas escreve
em stderr nem devolve valor: o nbgrader pontua a última expressão de uma célula, e um
valor ali viraria nota parcial.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import math
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator

import torch

__all__ = [
    "expect",
    "assert_tensor",
    "assert_shape",
    "assert_dtype",
    "assert_close",
    "assert_trainable_leaf",
    "assert_detached",
    "forbid",
    "ignore_warnings",
    "quietly",
    "reseed",
    "assert_tuple",
    "runtime_error_as_failure",
    "assert_names",
    "analytic",
    "ForwardRecorder",
    "CountBackward",
    "unregistered_modules",
    "assert_linear_layers",
    "construct",
    "named_mistake",
    "SOFTMAX_FAMILY",
    "CROSS_ENTROPY_SHORTCUTS",
    "autograd_grads",
    "factor_hint",
    "OptimNet",
    "assert_optimizer_matches",
    "LossRecorder",
    "StepRecorder",
    "mnist_test_accuracy",
    "ImageClassifier",
    "substitute",
    "assert_minimize_matches",
    "UnmovedTensor",
    "unmoved",
    "expect_moved",
]


def expect(condition: object, message: str) -> None:
    """Falha com ``message`` quando ``condition`` é falsa (mesmo com ``python -O``).

    Introduzido na aula 01.
    """
    if not condition:
        raise AssertionError(message)


def assert_tensor(value: object, name: str) -> None:
    """Confere que ``value`` é um ``torch.Tensor``. Introduzido na aula 01."""
    expect(
        isinstance(value, torch.Tensor),
        f"{name} deveria ser um torch.Tensor, mas é {type(value).__name__}.",
    )


def assert_shape(t: torch.Tensor, shape: Iterable[int], name: str) -> None:
    """Confere o shape, apontando o caso comum de dimensões trocadas. Introduzido na aula 01."""
    assert_tensor(t, name)
    expected = tuple(shape)
    got = tuple(t.shape)
    if got == expected:
        return
    hint = ""
    if len(got) == 2 and got == expected[::-1]:
        hint = " As dimensões parecem trocadas (transpostas)."
    raise AssertionError(f"{name} tem shape {got}, mas o esperado é {expected}.{hint}")


def assert_dtype(t: torch.Tensor, dtype: torch.dtype, name: str) -> None:
    """Confere o dtype. Introduzido na aula 01."""
    assert_tensor(t, name)
    expect(t.dtype == dtype, f"{name} tem dtype {t.dtype}, mas o esperado é {dtype}.")


def _ratio_hint(actual: torch.Tensor, expected: torch.Tensor) -> str:
    """Explica erros de fator constante (2×, ½, sinal trocado): os mais comuns com gradientes."""
    if actual.shape != expected.shape or actual.numel() == 0:
        return ""
    a = actual.detach().double().flatten().cpu()
    e = expected.detach().double().flatten().cpu()
    mask = e.abs() > 1e-8
    # Com um só valor, qualquer erro "é" um fator constante: a dica enganaria.
    if int(mask.sum()) < 2 or not bool(torch.isfinite(a).all()):
        return ""
    ratios = a[mask] / e[mask]
    k = float(ratios.median())
    if not math.isfinite(k) or abs(k - 1) < 1e-3 or abs(k) < 1e-3:
        return ""
    if not torch.allclose(a, k * e, rtol=1e-4, atol=1e-6):
        return ""
    if abs(k + 1) < 1e-3:
        return " O resultado tem o sinal trocado."
    if abs(k - round(k)) < 1e-3:
        return f" O resultado é exatamente {round(k)}× o esperado."
    if abs(1 / k - round(1 / k)) < 1e-3:
        return f" O resultado é exatamente 1/{round(1 / k)} do esperado."
    return f" O resultado é o esperado multiplicado por {k:.4g}."


def assert_close(
    actual: object,
    expected: torch.Tensor,
    name: str,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    hint: str = "",
) -> None:
    """``torch.testing.assert_close`` com mensagem em português. Introduzido na aula 01.

    Compara valores (não dtype nem device). Quando o erro é um fator constante, a
    mensagem diz qual (por exemplo "exatamente 2× o esperado"); ``hint`` acrescenta a
    causa provável daquele exercício.
    """
    if not isinstance(actual, torch.Tensor) and isinstance(expected, torch.Tensor):
        if isinstance(actual, (int, float)) and expected.numel() == 1:
            actual = torch.tensor(actual, dtype=expected.dtype)
        else:
            assert_tensor(actual, name)
    if actual.shape != expected.shape:
        assert_shape(actual, expected.shape, name)
    actual_c = actual.detach().to(device=expected.device, dtype=expected.dtype)
    try:
        torch.testing.assert_close(
            actual_c, expected.detach(), rtol=rtol, atol=atol, equal_nan=False
        )
    except AssertionError:
        worst = (actual_c - expected.detach()).abs().nan_to_num(nan=math.inf).max()
        msg = f"{name} não confere com a referência (maior diferença: {float(worst):.3g})."
        msg += _ratio_hint(actual_c, expected)
        if not bool(torch.isfinite(actual_c).all()):
            msg += " Há valores nan ou inf no resultado."
        if hint:
            msg += " " + hint
        raise AssertionError(msg) from None


def assert_trainable_leaf(t: torch.Tensor, name: str) -> None:
    """Confere que ``t`` é folha do grafo e rastreia gradientes (um parâmetro). Introduzido na aula 01."""
    assert_tensor(t, name)
    expect(t.requires_grad, f"{name} deveria ter requires_grad=True.")
    expect(
        t.is_leaf,
        f"{name} não é um tensor folha: ele foi produzido por uma operação sobre outro "
        "tensor que rastreia gradientes (veja o grad_fn), então backward() não preencherá "
        f"{name}.grad. Faça as contas antes de ligar requires_grad.",
    )


def assert_detached(t: torch.Tensor, name: str) -> None:
    """Confere que ``t`` não rastreia gradientes nem tem ``grad_fn``. Introduzido na aula 01."""
    assert_tensor(t, name)
    expect(not t.requires_grad, f"{name} não deveria ter requires_grad=True.")
    expect(t.grad_fn is None, f"{name} ainda guarda histórico do grafo (grad_fn = {t.grad_fn}).")


def _resolve(path: str) -> tuple[object, str]:
    """'torch.nn.functional.softmax' -> (módulo torch.nn.functional, 'softmax').

    Tenta primeiro importar o dono como módulo: em ``torch.autograd.gradcheck.X`` o
    atributo ``gradcheck`` de ``torch.autograd`` é uma função, não o submódulo.
    """
    owner_path, _, attr = path.rpartition(".")
    try:
        return importlib.import_module(owner_path), attr
    except ImportError:
        pass
    parts = owner_path.split(".")
    owner: object = importlib.import_module(parts[0])
    for part in parts[1:]:
        owner = getattr(owner, part)
    return owner, attr


@contextlib.contextmanager
def forbid(*paths: str, namespace: dict | None = None, reason: str = "") -> Iterator[None]:
    """Faz as funções em ``paths`` falharem enquanto o bloco roda. Introduzido na aula 05.

    Usado nos exercícios "implemente sem atalho" (e, por dentro de ``analytic``, na aula 03). Um módulo (``torch.nn.CrossEntropyLoss``)
    é bloqueado no seu ``forward``. Em ``namespace`` (o ``globals()`` do notebook), nomes
    importados diretamente (``from torch.nn.functional import softmax``) também são
    bloqueados. Um caminho que não existe na versão do torch do aluno é ignorado (o teste
    não pode quebrar num torch mais novo); a suíte confere que todo caminho usado nas aulas
    existe no torch do curso, salvo os de ``OPTIONAL_PATHS``, para um erro de digitação não
    desligar a proteção.
    """
    patches: list[tuple[object, str, object]] = []

    def blocked(path: str) -> Callable:
        def _blocked(*args, **kwargs):
            raise AssertionError(
                f"Este exercício pede a implementação sem usar {path}; "
                "refaça a conta com operações elementares." + (f" {reason}" if reason else "")
            )

        return _blocked

    try:
        for path in paths:
            try:
                owner, attr = _resolve(path)
                original = getattr(owner, attr)
            except (ImportError, AttributeError):
                continue
            if isinstance(original, type) and issubclass(original, torch.nn.Module):
                patches.append((original, "forward", original.forward))
                original.forward = blocked(path)
                continue
            patches.append((owner, attr, original))
            setattr(owner, attr, blocked(path))
            if namespace is not None:
                for key, value in list(namespace.items()):
                    if value is original:
                        patches.append((namespace, key, original))
                        namespace[key] = blocked(path)
        yield
    finally:
        for owner, attr, original in reversed(patches):
            if isinstance(owner, dict):
                owner[attr] = original
            else:
                setattr(owner, attr, original)


@contextlib.contextmanager
def ignore_warnings() -> Iterator[None]:
    """Descarta avisos (``warnings``) emitidos enquanto o bloco roda.

    Introduzido na aula 02. Um aviso inofensivo do código do aluno (por exemplo, ``float(loss)``
    num tensor com ``requires_grad=True``) iria para stderr e zeraria a célula de teste no
    nbgrader; envolva com isto só a chamada à função do aluno.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def quietly(fn: Callable, *args, **kwargs):
    """Chama ``fn(*args, **kwargs)`` descartando avisos (veja ``ignore_warnings``).

    Introduzido na aula 01: é assim que os testes chamam a função do aluno.
    """
    with ignore_warnings():
        return fn(*args, **kwargs)


def reseed(seed: int | None = None) -> None:
    """A única forma de fazer entradas aleatórias nos testes. Introduzido na aula 01.

    Todas as entradas aleatórias saem do gerador global do torch (``torch.randn``, a
    inicialização dos módulos). ``reseed(0)`` nos testes visíveis: a mesma mensagem a cada
    execução. ``reseed()`` nos testes ocultos: semente do sistema, entradas novas a cada
    correção, que uma ``manual_seed`` anterior no notebook não consegue fixar.
    """
    if seed is None:
        torch.seed()
    else:
        torch.manual_seed(seed)


def assert_tuple(value: object, n: int, name: str, items: str = "") -> None:
    """Confere que ``value`` é uma tupla (ou lista) de ``n`` elementos. Introduzido na aula 01.

    ``items`` diz ao aluno o que vai em cada posição, por exemplo ``"(df_dx, df_dy)"``.
    """
    expect(
        isinstance(value, (tuple, list)) and len(value) == n,
        f"{name} deve devolver uma tupla de {n} elementos"
        + (f" {items}" if items else "")
        + f", mas devolveu {type(value).__name__}"
        + (f" de {len(value)}" if isinstance(value, (tuple, list)) else "")
        + ".",
    )


@contextlib.contextmanager
def runtime_error_as_failure(context: str, hint: str = "") -> Iterator[None]:
    """Transforma um erro do código do aluno numa falha explicada.

    Introduzido na aula 01. Dentro do bloco, um ``RuntimeError``, ``IndexError``,
    ``TypeError``, ``ValueError`` ou ``AttributeError`` (shapes incompatíveis num ``@``, um índice fora do lugar)
    vira ``AssertionError`` com a mensagem ``"{context}: {Tipo}: {erro original}. {hint}"``: o
    aluno vê com que entradas a função quebrou, o erro do torch como ele o buscaria, e a causa
    provável. ``NotImplementedError`` (o esqueleto ainda sem resposta) passa como está.
    """
    try:
        yield
    except NotImplementedError:
        raise
    except (RuntimeError, IndexError, TypeError, ValueError, AttributeError) as err:
        message = f"{context}: {type(err).__name__}: {str(err).rstrip('.')}."
        raise AssertionError(message + (f" {hint}" if hint else "")) from None


def assert_names(
    got: object,
    expected: list[str],
    why: dict[str, str],
    name: str,
    *,
    source: str = "do dicionário",
) -> None:
    """Confere uma lista de nomes devolvida pelo aluno contra ``expected``, na mesma ordem.

    Introduzido na aula 01. ``got`` deve ser uma ``list`` de ``str``. Quando difere de
    ``expected``, a mensagem cita cada nome que faltou ou sobrou com o motivo tirado de
    ``why`` (nome -> explicação); se só a ordem está errada, mostra as duas ordens.
    ``source`` diz de onde vêm os nomes e a ordem deles ("do dicionário").
    """
    expect(
        isinstance(got, list),
        f"{name} deve devolver uma list de nomes, mas devolveu {type(got).__name__}.",
    )
    expect(
        all(isinstance(n, str) for n in got),
        f"{name} deve devolver os nomes (as chaves {source}), não os tensores.",
    )
    if got == expected:
        return
    problems = [f"faltou '{n}' ({why[n]})" for n in expected if n not in got]
    problems += [
        f"'{n}' não deveria estar na lista ({why.get(n, 'não é um dos nomes')})"
        for n in got
        if n not in expected
    ]
    if not problems:
        problems = [f"os nomes devem vir na ordem {source}: {expected}, não {got}"]
    raise AssertionError(f"{name}: " + "; ".join(problems) + ".")


# Nomes privados do torch que podem sumir de uma versão para outra: forbid os bloqueia
# quando existem, e a suíte não exige que existam.
OPTIONAL_PATHS = frozenset({"torch.autograd.gradcheck._get_numerical_jacobian"})

AUTOGRAD_ENTRY_POINTS = (
    "torch.Tensor.backward",
    "torch.autograd.backward",
    "torch.autograd.grad",
    "torch.autograd.functional.jacobian",
    "torch.autograd.functional.hessian",
    "torch.autograd.functional.vjp",
    "torch.autograd.functional.jvp",
    "torch.autograd.functional.vhp",
    "torch.autograd.functional.hvp",
    "torch.func.grad",
    "torch.func.grad_and_value",
    "torch.func.vjp",
    "torch.func.jvp",
    "torch.func.jacrev",
    "torch.func.jacfwd",
    "torch.func.hessian",
    "torch.func.linearize",
    # religar o gradiente dentro do bloco só serve para usar o autograd
    "torch.enable_grad",
    # sem make_dual não há tensor dual: unpack_dual fica livre, e o torch a chama ao imprimir
    # um tensor (um print de depuração dentro do exercício não pode falhar)
    "torch.autograd.forward_ad.make_dual",
    # as diferenças finitas prontas do próprio torch (aula 03 pede para escrevê-las)
    "torch.autograd.gradcheck.get_numerical_jacobian",
    "torch.autograd.gradcheck._get_numerical_jacobian",
    "torch.autograd.gradcheck.get_analytical_jacobian",
)


@contextlib.contextmanager
def analytic(namespace: dict | None = None) -> Iterator[None]:
    """Roda o bloco com o gradiente desligado e as entradas do autograd bloqueadas.

    Introduzido na aula 03 (exercícios de gradiente "à mão"). Bloqueia o que está em
    ``AUTOGRAD_ENTRY_POINTS``: ``backward``, ``torch.autograd.grad`` e ``functional``,
    ``torch.func``, ``enable_grad``, o modo direto (``make_dual``) e as diferenças finitas
    do próprio torch. Não é uma caixa de areia: impede o atalho, não a trapaça deliberada.
    """
    reason = "Aqui o gradiente deve ser derivado à mão, sem autograd."
    with torch.no_grad(), forbid(*AUTOGRAD_ENTRY_POINTS, namespace=namespace, reason=reason):
        yield


class _Tap(torch.autograd.Function):
    """Identidade que avisa um contador a cada backward que passa por ela."""

    @staticmethod
    def forward(ctx, x, counter):
        ctx.counter = counter
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        ctx.counter.backward_count += 1
        return grad, None


class CountBackward:
    """Envolve ``f`` e conta quantas vezes um ``backward()`` passa por ela.

    Introduzido na aula 02: ``accumulated_grad`` precisa chamar ``f(x).backward()``
    ``times`` vezes, e o valor final sozinho não prova isso (``times * f'(x0)`` calculado
    de uma vez dá o mesmo número).

    >>> counted = CountBackward(f)
    >>> counted(x).backward(); counted.backward_count
    1
    """

    def __init__(self, f: Callable):
        self.f = f
        self.backward_count = 0

    def __call__(self, x):
        if isinstance(x, torch.Tensor):
            x = _Tap.apply(x, self)
        return self.f(x)


class ForwardRecorder:
    """Registra, a cada forward de ``model``, o modo (train/eval) e se o gradiente estava ligado.

    Introduzido na aula 02 (``accumulate_microbatches``); usado também nas aulas 03
    (``predict``) e 07.

    >>> with ForwardRecorder(model) as rec:
    ...     model(x)
    >>> rec.calls  # [(training, grad_enabled), ...]

    Conta tanto ``model(x)`` quanto ``model.forward(x)``: em vez de um gancho do módulo
    (que ``model.forward(x)`` pula), envolve o ``forward`` do próprio objeto durante o bloco.
    ``rec.batch_sizes`` guarda, na mesma ordem, o tamanho da primeira dimensão do primeiro
    argumento (``None`` se não for tensor), para conferir a divisão em micro-batches.
    """

    def __init__(self, model: torch.nn.Module):
        self.model = model
        self.calls: list[tuple[bool, bool]] = []
        self.batch_sizes: list[int | None] = []
        self._own_forward = None

    def _record(self, args) -> None:
        self.calls.append((self.model.training, torch.is_grad_enabled()))
        first = args[0] if args else None
        is_batched = isinstance(first, torch.Tensor) and first.dim() > 0
        self.batch_sizes.append(int(first.shape[0]) if is_batched else None)

    def __enter__(self) -> ForwardRecorder:
        self._own_forward = vars(self.model).get("forward")
        original = self.model.forward

        def recorded_forward(*args, **kwargs):
            self._record(args)
            return original(*args, **kwargs)

        # nn.Module.__call__ looks up self.forward, so an instance attribute sees both routes.
        self.model.forward = recorded_forward
        return self

    def __exit__(self, *exc) -> None:
        if self._own_forward is None:
            del self.model.forward
        else:
            self.model.forward = self._own_forward


# --- aula 04 ---

# Atributos que todo nn.Module tem (_modules, _parameters, ...): são os registros, não esconderijos.
_MODULE_INTERNALS = frozenset(vars(torch.nn.Module()))


def _hidden_in(value: object, path: str, seen: set[int]) -> Iterator[tuple[str, object]]:
    """(caminho, objeto) de cada módulo ou parâmetro dentro de listas, tuplas, sets e dicts."""
    if isinstance(value, (torch.nn.Module, torch.nn.Parameter)):
        yield path, value
    elif isinstance(value, (list, tuple, set, frozenset)) and id(value) not in seen:
        seen.add(id(value))
        for i, item in enumerate(value):
            yield from _hidden_in(item, f"{path}[{i}]", seen)
    elif isinstance(value, dict) and id(value) not in seen:
        seen.add(id(value))
        for key, item in value.items():
            yield from _hidden_in(item, f"{path}[{key!r}]", seen)


def unregistered_modules(model: torch.nn.Module) -> list[str]:
    """Caminhos dos módulos e parâmetros que ``model`` guarda sem registrar.

    Introduzido na aula 04. Uma camada guardada numa lista, tupla ou dicionário comum do
    Python (``self.layers = [nn.Linear(...)]``) não aparece em ``.parameters()``,
    ``.modules()`` nem no ``state_dict``: o otimizador nunca a treina e ``.to(device)`` não a
    move. Devolve, por exemplo, ``["layers[0]", "layers[1]"]`` (com o prefixo do submódulo
    onde estão, se não for o próprio ``model``); lista vazia quando tudo está registrado.
    """
    registered = {id(m) for m in model.modules()} | {id(p) for p in model.parameters()}
    found: list[str] = []
    for prefix, owner in model.named_modules():
        for attr, value in vars(owner).items():
            if attr in _MODULE_INTERNALS or isinstance(value, (torch.nn.Module, torch.Tensor)):
                continue  # atributos diretos já são registrados pelo próprio nn.Module
            path = f"{prefix}.{attr}" if prefix else attr
            for name, obj in _hidden_in(value, path, set()):
                if id(obj) not in registered and name not in found:
                    found.append(name)
    return found


def assert_linear_layers(
    model: torch.nn.Module, sizes: list[int], name: str
) -> list[torch.nn.Linear]:
    """Confere as camadas ``nn.Linear`` de ``model`` e as devolve, na ordem de ``modules()``.

    Introduzido na aula 04. Espera ``len(sizes) - 1`` camadas, a k-ésima com
    ``in_features = sizes[k]`` e ``out_features = sizes[k + 1]``, todas vistas por
    ``.parameters()``. Uma camada escondida numa lista comum do Python é apontada pelo nome.
    """
    hidden = unregistered_modules(model)
    expect(
        not hidden,
        f"{name}: {', '.join(hidden)} está numa lista (ou dicionário) comum do Python, que o "
        "nn.Module não registra: .parameters() não vê essas camadas e o otimizador nunca as "
        "treinaria. Guarde-as num nn.ModuleList ou nn.Sequential.",
    )
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    expected = list(itertools.pairwise(sizes))
    got = [(m.in_features, m.out_features) for m in linears]
    expect(
        got == expected,
        f"{name}: as camadas nn.Linear encontradas (na ordem de model.modules()) têm "
        f"(in_features, out_features) = {got}, mas o esperado é {expected}.",
    )
    params = {id(p) for p in model.parameters()}
    for k, m in enumerate(linears):
        expect(
            all(id(p) in params for p in m.parameters()),
            f"{name}: os pesos da camada Linear {k} não aparecem em model.parameters().",
        )
    return linears


def construct(cls: type, *args, hint: str = ""):
    """Cria ``cls(*args)`` como um teste cria o modelo do aluno, e o devolve.

    Introduzido na aula 04. Um erro no construtor vira falha explicada (como em
    ``runtime_error_as_failure``, com ``hint``), e uma lista recebida que o construtor modifica
    (``sizes.pop(0)``) é apontada: o chamador reutiliza a lista dele depois. Os argumentos são
    mostrados como na chamada, por exemplo ``DeepMLP([784, 64, 10], 0.5)``.
    """
    call = f"{cls.__name__}({', '.join(map(repr, args))})"
    before = [list(a) if isinstance(a, list) else None for a in args]
    with runtime_error_as_failure(call, hint):
        model = quietly(cls, *args)
    for arg, copy in zip(args, before):
        expect(
            copy is None or arg == copy,
            f"{call} modificou a lista recebida (ela virou {arg!r}): o construtor não deve "
            "alterar a lista de quem chamou; leia os valores sem pop/remove, ou trabalhe numa cópia.",
        )
    return model


# --- aula 05 ---


def named_mistake(actual: object, mistakes: dict[str, torch.Tensor], *,
                  expected: torch.Tensor | None = None,
                  rtol: float = 1e-5, atol: float = 1e-7) -> str:
    """Devolve a explicação do erro típico cujo resultado bate com ``actual``, se só um bate.

    Introduzido na aula 05. ``mistakes`` liga uma frase curta (o erro provável, sem a
    solução) ao valor que esse erro produziria, calculado na hora pelo teste (por exemplo,
    a perda com softmax aplicada duas vezes). Serve de ``hint`` para ``assert_close``.

    A dica só sai quando o valor bate de fato com aquele erro (tolerância apertada) e com
    nenhum outro de frase diferente: com N = 1, por exemplo, "somou em vez da média" e a
    resposta certa dão o mesmo número, e "dividiu por C" e "média sobre N×C" também. Por
    isso os erros cujo valor, nessas entradas, fica perto de ``expected`` (a referência) são
    ignorados, e dois erros que batem ao mesmo tempo não dão dica nenhuma. Devolve ``""``
    nesses casos, quando nenhum bate, ou quando ``actual`` não é um tensor do mesmo shape
    ou tem nan/inf.
    """
    if not isinstance(actual, torch.Tensor):
        return ""
    a = actual.detach().double().cpu()
    if not bool(torch.isfinite(a).all()):
        return ""
    ref = None if expected is None else expected.detach().double().cpu()
    found = set()
    for message, value in mistakes.items():
        v = value.detach().double().cpu()
        if v.shape != a.shape:
            continue
        # um "erro" que, nestas entradas, dá quase a resposta certa não distingue nada
        if ref is not None and v.shape == ref.shape and torch.allclose(v, ref, rtol=1e-3, atol=1e-5):
            continue
        if torch.allclose(a, v, rtol=rtol, atol=atol):
            found.add(message)
    return found.pop() if len(found) == 1 else ""


# Os atalhos proibidos nos exercícios da aula 05 (o contrato lista os mesmos).
SOFTMAX_FAMILY = (
    "torch.softmax",
    "torch.nn.functional.softmax",
    "torch.Tensor.softmax",
    "torch.special.softmax",
    "torch.nn.Softmax",
    "torch.log_softmax",
    "torch.nn.functional.log_softmax",
    "torch.Tensor.log_softmax",
    "torch.special.log_softmax",
    "torch.nn.LogSoftmax",
)
CROSS_ENTROPY_SHORTCUTS = SOFTMAX_FAMILY + (
    "torch.nn.functional.cross_entropy",
    "torch.nn.CrossEntropyLoss",
    "torch.nn.functional.nll_loss",
    "torch.nn.NLLLoss",
)


# --- revisão das aulas 01-03 ---


def autograd_grads(f: Callable, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Gradientes de referência de ``f(*inputs).sum()`` pelo autograd: um por entrada.

    Introduzido na aula 03: os testes dos exercícios de gradiente "à mão" comparam a
    resposta do aluno com isto, em vez de copiar o mesmo bloco de ``backward()`` em cada
    célula. Trabalha em cópias das entradas (elas não ganham ``.grad``) e liga o
    gradiente mesmo quando chamado dentro de um ``torch.no_grad()``.

    >>> (dx,) = autograd_grads(lambda t: t**2, torch.tensor([1.0, 3.0]))
    >>> dx
    tensor([2., 6.])
    """
    leaves = [t.detach().clone().requires_grad_(True) for t in inputs]
    with torch.enable_grad():
        out = f(*leaves)
        grads = torch.autograd.grad(out.sum(), leaves, allow_unused=True)
    return tuple(
        torch.zeros_like(leaf) if g is None else g for leaf, g in zip(leaves, grads)
    )


def factor_hint(actual: object, expected: object, causes: dict[float, str], default: str = "") -> str:
    """A causa provável quando ``actual`` é exatamente ``k`` vezes ``expected``.

    Introduzido na aula 03 (``linreg_grads``): um gradiente ``N×`` o esperado é a média que
    virou soma, ``2×`` ou ``½`` é o 2 do quadrado. ``causes`` liga cada fator ``k`` à frase
    para o aluno; sem fator que bata, devolve ``default``. Use como ``hint`` de
    ``assert_close``, que já diz o fator: a frase diz o porquê.
    """
    try:
        a = torch.as_tensor(actual).detach().double().cpu()
        e = torch.as_tensor(expected).detach().double().cpu()
    except (TypeError, ValueError, RuntimeError):
        return default
    if a.shape != e.shape or not bool((e.abs() > 1e-12).any()):
        return default
    for k, cause in causes.items():
        if torch.allclose(a, k * e, rtol=1e-6, atol=1e-9):
            return cause
    return default
# --- aula 06 ---


class OptimNet(torch.nn.Module):
    """Rede pequena em float64 para comparar dois otimizadores passo a passo.

    Introduzido na aula 06. ``fc1``, ``fc2`` e ``out`` entram em todo forward; ``early`` só
    quando ``use_early=True`` (nos testes, nos primeiros passos: depois o ``.grad`` dele volta
    a ser ``None`` e o otimizador deve pulá-lo, mesmo tendo estado guardado); ``late`` só
    quando ``use_late=True`` (o primeiro gradiente dele chega depois dos outros: o otimizador
    precisa contar os passos de cada parâmetro); ``unused`` nunca entra (o ``.grad`` dele
    fica ``None``: o otimizador deve pulá-lo).
    """

    def __init__(self, n_in: int = 5, hidden: int = 8, n_out: int = 3):
        super().__init__()
        opts = {"dtype": torch.float64}
        self.fc1 = torch.nn.Linear(n_in, hidden, **opts)
        self.fc2 = torch.nn.Linear(hidden, hidden, **opts)
        self.out = torch.nn.Linear(hidden, n_out, **opts)
        self.early = torch.nn.Linear(hidden, n_out, **opts)
        self.late = torch.nn.Linear(hidden, n_out, **opts)
        self.unused = torch.nn.Linear(hidden, n_out, **opts)

    def forward(self, x: torch.Tensor, use_late: bool = False,
                use_early: bool = False) -> torch.Tensor:
        h = torch.tanh(self.fc2(torch.tanh(self.fc1(x))))
        y = self.out(h)
        if use_early:
            y = y + self.early(h)
        return y + self.late(h) if use_late else y


@torch.no_grad()
def _first_mismatch(model, twin, before) -> tuple[str, float, bool] | None:
    """(nome, maior diferença, ficou parado?) do primeiro parâmetro de ``twin`` que difere."""
    for (pname, ref), mine, old in zip(model.named_parameters(), twin.parameters(), before):
        if mine.shape != ref.shape:
            return pname, math.inf, False
        if not torch.allclose(mine, ref, rtol=1e-7, atol=1e-9):
            worst = float((mine - ref).abs().nan_to_num(nan=math.inf).max())
            stuck = torch.equal(mine, old) and not torch.equal(ref, old)
            return pname, worst, stuck
    return None


def _state_hint(optimizer, names: dict[int, str], first: str) -> str:
    """Estado do aluno com dtype diferente do parâmetro, ou que é o próprio ``p.grad``.

    Olha primeiro o estado do parâmetro ``first`` (o que difere), depois o dos outros.
    """
    state = getattr(optimizer, "state", None)
    if not isinstance(state, dict):
        return ""
    items = sorted(state.items(), key=lambda item: names.get(id(item[0])) != first)
    for p, entries in items:
        if not isinstance(p, torch.Tensor) or not isinstance(entries, dict):
            continue
        pname = names.get(id(p), "?")
        for key, value in entries.items():
            if not isinstance(value, torch.Tensor) or value.dim() == 0:
                continue
            if value.dtype != p.dtype:
                return (f" O estado {key!r} guardado para '{pname}' está em "
                        f"{_dtype_name(value)}, mas o parâmetro é {_dtype_name(p)}: crie o "
                        "estado com o dtype do parâmetro (torch.zeros_like(p), por exemplo).")
            grad = p.grad
            if grad is not None and value.untyped_storage().data_ptr() == \
                    grad.untyped_storage().data_ptr():
                return (f" O estado {key!r} guardado para '{pname}' é o próprio tensor p.grad, "
                        "não uma cópia: quando o .grad é zerado in-place "
                        "(zero_grad(set_to_none=False)) ou acumula o próximo gradiente, o "
                        "estado muda junto. Guarde uma cópia (clone).")
    return ""


def assert_optimizer_matches(
    optimizer_class: Callable,
    reference_class: Callable,
    settings: dict,
    *,
    steps: int = 20,
    late_from: int | None = None,
    drop_from: int | None = None,
    as_list: bool = False,
    hint: str = "",
    late_hint: str = "",
) -> None:
    """Treina duas cópias de uma ``OptimNet`` com os mesmos batches, uma com cada otimizador.

    Introduzido na aula 06. ``optimizer_class(params, **settings)`` é o otimizador do aluno e
    ``reference_class(params, **settings)`` o do ``torch.optim``; ``params`` é
    ``model.parameters()`` (um gerador) ou, com ``as_list=True``, uma lista. Cada passo é o
    ciclo zerar gradientes, forward, ``backward``, ``step``; depois de cada passo os
    parâmetros das duas cópias devem coincidir (float64, ``rtol=1e-7``). Nos passos ímpares
    os gradientes são zerados pelo ``zero_grad()`` de cada otimizador (o do aluno deve deixar
    todo ``.grad`` ``None`` ou zero); nos pares, in-place, como ``zero_grad(set_to_none=False)``
    (um estado que é o próprio ``p.grad`` aparece). ``late_from``: o parâmetro ``late`` só
    recebe gradiente a partir desse passo (``late_hint`` substitui ``hint`` quando é ele que
    difere). ``drop_from``: o parâmetro ``early`` recebe gradiente só antes desse passo;
    depois o ``.grad`` dele é ``None``. As entradas saem do gerador global (use ``reseed``).
    """
    import copy

    model = OptimNet()
    twin = copy.deepcopy(model)
    names = {id(p): n for n, p in twin.named_parameters()}
    batches = [
        (torch.randn(16, 5, dtype=torch.float64), torch.randn(16, 3, dtype=torch.float64))
        for _ in range(steps)
    ]
    args = ", ".join(f"{k}={v!r}" for k, v in settings.items())
    name = f"{getattr(optimizer_class, '__name__', 'otimizador')}({args})"
    extras = []
    if drop_from is not None:
        extras.append(f"o parâmetro 'early' sem gradiente a partir do passo {drop_from}")
    if late_from is not None:
        extras.append(f"o parâmetro 'late' entrando no passo {late_from}")
    if as_list:
        name += " com uma lista de parâmetros"
    if extras:
        name += " e " + " e ".join(extras)
    reference = reference_class(model.parameters(), **settings)
    params = list(twin.parameters()) if as_list else twin.parameters()
    optimizer = quietly(optimizer_class, params, **settings)
    expect(
        isinstance(optimizer, torch.optim.Optimizer),
        f"{name} deveria criar um torch.optim.Optimizer (a classe herda de "
        f"torch.optim.Optimizer?), mas criou {type(optimizer).__name__}.",
    )
    own_zero_grad = type(optimizer).zero_grad is not torch.optim.Optimizer.zero_grad
    for t, (x, y) in enumerate(batches, start=1):
        use_late = late_from is not None and t >= late_from
        use_early = drop_from is None or t < drop_from
        before = [p.detach().clone() for p in twin.parameters()]
        for net, opt in ((model, reference), (twin, optimizer)):
            if t % 2 == 1:
                quietly(opt.zero_grad)
            else:
                with torch.no_grad():
                    for p in net.parameters():
                        if p.grad is not None:
                            p.grad.zero_()
            if opt is optimizer and t % 2 == 1:
                for pname, p in twin.named_parameters():
                    if p.grad is not None and bool(p.grad.any()):
                        which = ("do zero_grad() que a sua classe redefine" if own_zero_grad
                                 else "de zero_grad()")
                        raise AssertionError(
                            f"{name}: no passo {t}, depois {which}, o parâmetro '{pname}' "
                            "ainda tem gradiente: zero_grad() deve limpar o .grad de todos os "
                            "parâmetros."
                        )
            if not use_early:
                for p in net.early.parameters():
                    p.grad = None
            ((net(x, use_late, use_early) - y) ** 2).mean().backward()
            if opt is reference:
                opt.step()
                continue
            try:
                quietly(opt.step)
            except NotImplementedError:
                raise
            except RuntimeError as err:
                raise AssertionError(
                    f"{name}: step() falhou no passo {t}: {str(err).rstrip('.')}. As atualizações "
                    "in-place dos parâmetros precisam rodar sob torch.no_grad()."
                ) from None
        found = _first_mismatch(model, twin, before)
        if found is None:
            continue
        pname, worst, stuck = found
        msg = (
            f"{name}: depois do passo {t} de {steps}, o parâmetro '{pname}' não confere com "
            f"{type(reference).__name__} (maior diferença: {worst:.3g})."
        )
        extra = hint
        waiting = pname.startswith("late") and (late_from is None or t < late_from)
        dropped = pname.startswith("early") and drop_from is not None and t >= drop_from
        state_hint = _state_hint(optimizer, names, pname)
        if pname.startswith("unused") or waiting:
            msg += (" Esse parâmetro ainda não recebeu gradiente (.grad é None): o otimizador "
                    "deve pulá-lo.")
        elif dropped:
            msg += (f" Esse parâmetro recebeu gradiente até o passo {drop_from - 1} e agora tem "
                    ".grad None: o otimizador deve pulá-lo, sem aplicar o estado que guardou "
                    "para ele.")
        elif pname.startswith("late"):
            msg += f" Esse parâmetro só recebe o primeiro gradiente no passo {late_from}."
            extra = late_hint or hint
        elif state_hint:
            msg += state_hint
            extra = ""
        elif stuck:
            msg += (
                " O parâmetro não mudou: step() altera os próprios tensores (in-place), "
                "para todos os parâmetros que recebeu?"
            )
        elif t == 1:
            msg += " Já o primeiro passo difere."
        if worst < 1e-7 and not state_hint:
            msg += (" A diferença é do tamanho do arredondamento de float32: alguma conta do "
                    "step() sai do dtype do parâmetro (float64)?")
        raise AssertionError(msg + (" " + extra if extra else ""))
    quietly(optimizer.zero_grad)
    expect(
        all(p.grad is None or not p.grad.any() for p in twin.parameters()),
        f"{name}: zero_grad() não limpou os gradientes.",
    )


_DEFAULT_LR = {"sgd": 1e-3, "adam": 1e-3}


def _dtype_name(t: torch.Tensor) -> str:
    return str(t.dtype).replace("torch.", "")


def _minimize_hint(f, x0: torch.Tensor, out: torch.Tensor, optimizer: str, lr: float,
                   steps: int) -> str:
    """A causa provável de um ``minimize`` errado, quando ela se reconhece; senão ``""``."""
    from helpers.optim_paths import optimizer_path

    if not isinstance(out, torch.Tensor) or out.shape != x0.shape:
        return ""
    if out.dtype != x0.dtype:
        return (f"O resultado tem dtype {_dtype_name(out)}, mas x0 é {_dtype_name(x0)}: a cópia "
                "de x0 deve manter o dtype.")
    classes = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}
    cls = classes.get(optimizer)
    if cls is None:
        return ""
    if steps > 0 and torch.equal(out, x0):
        return ("O resultado é o próprio x0: nenhum passo mudou a cópia. Confira o número de "
                "passos e a ordem zero_grad, forward, backward, step.")

    class NoZeroGrad(cls):
        def zero_grad(self, set_to_none: bool = True) -> None:
            pass

    other = "adam" if optimizer == "sgd" else "sgd"
    start = x0.detach().tolist()
    candidates: list[tuple[Callable, int, str]] = []
    for k in (steps - 1, steps + 1):
        if k >= 0:
            candidates.append((lambda ps: cls(ps, lr=lr), k,
                               f"O resultado confere com {k} passo{'s' if k != 1 else ''}, não "
                               f"{steps}: confira o número de passos do loop."))
    candidates.append((lambda ps: NoZeroGrad(ps, lr=lr), steps,
                       "Os gradientes não são zerados a cada passo: sem zero_grad() antes do "
                       "backward() eles se acumulam no .grad."))
    candidates.append((lambda ps: classes[other](ps, lr=lr), steps,
                       f"Com {optimizer!r}, o resultado confere com torch.optim."
                       f"{classes[other].__name__}: cada nome deve usar o seu otimizador."))
    candidates.append((lambda ps: cls(ps), steps,
                       f"O resultado confere com o lr padrão ({_DEFAULT_LR[optimizer]}) do "
                       f"{cls.__name__}: passe o lr recebido ao otimizador."))
    if optimizer == "sgd":
        for mu in (0.9, 0.5, 0.8, 0.95, 0.99, 0.1):
            candidates.append((lambda ps, mu=mu: cls(ps, lr=lr, momentum=mu), steps,
                               f"O resultado confere com SGD com momentum={mu}: use os valores "
                               "padrão de tudo, menos lr."))
    else:
        candidates.append((lambda ps: torch.optim.AdamW(ps, lr=lr), steps,
                           "O resultado confere com torch.optim.AdamW, que aplica weight "
                           "decay: use torch.optim.Adam."))
    for lam in (1e-4, 5e-4, 1e-3, 1e-2, 0.1, 1e-5):
        candidates.append((lambda ps, lam=lam: cls(ps, lr=lr, weight_decay=lam), steps,
                           f"O resultado confere com {cls.__name__} com weight_decay={lam}: use "
                           "os valores padrão de tudo, menos lr."))
    with ignore_warnings():
        for make, k, message in candidates:
            path = optimizer_path(f, start, make, k)
            if len(path) == k + 1 and torch.allclose(out, path[-1].reshape(x0.shape),
                                                     rtol=1e-6, atol=1e-9):
                return message
    return ""


def assert_minimize_matches(
    out: object,
    expected: torch.Tensor,
    f: Callable,
    x0: torch.Tensor,
    optimizer: str,
    lr: float,
    steps: int,
    *,
    name: str = "",
    rtol: float | None = None,
    atol: float | None = None,
    hint: str = "",
) -> None:
    """``assert_close`` do resultado de ``minimize(f, x0, optimizer, lr, steps)``.

    Introduzido na aula 06. O dtype deve ser o de ``x0``. Quando o valor não confere, a
    mensagem diz a causa provável se o resultado coincide com um erro conhecido (um passo a
    mais ou a menos, gradientes não zerados, o outro otimizador, lr ignorado, momentum ou
    weight decay ligados, AdamW no lugar de Adam); senão acrescenta ``hint``.
    """
    name = name or f"minimize(f, x0, {optimizer!r}, lr={lr}, steps={steps})"
    if isinstance(out, torch.Tensor) and out.dtype != x0.dtype:
        raise AssertionError(f"{name}: o resultado tem dtype {_dtype_name(out)}, mas x0 é "
                             f"{_dtype_name(x0)}: a cópia de x0 deve manter o dtype.")
    try:
        assert_close(out, expected, name, rtol=rtol, atol=atol)
    except AssertionError:
        cause = _minimize_hint(f, x0, out, optimizer, lr, steps) or hint
        assert_close(out, expected, name, rtol=rtol, atol=atol, hint=cause)
        raise


# --- aula 07 ---


class UnmovedTensor(torch.Tensor):
    """Tensor de um batch de teste que ainda não passou por ``.to(...)``.

    Introduzido na aula 07 (``train_one_epoch``): os testes rodam na CPU, onde
    ``x.to(device)`` não muda nada que se veja; este tipo torna o movimento visível. O
    ``.to(...)`` dele (com quaisquer argumentos) devolve um tensor comum, e
    ``expect_moved`` falha com um tensor que ainda é deste tipo.
    """

    def to(self, *args, **kwargs) -> torch.Tensor:
        return self.as_subclass(torch.Tensor).to(*args, **kwargs)


def unmoved(tensor: torch.Tensor) -> UnmovedTensor:
    """``tensor`` como ``UnmovedTensor`` (os mesmos dados). Introduzido na aula 07."""
    return tensor.as_subclass(UnmovedTensor)


def expect_moved(tensor: object, what: str) -> None:
    """Falha se ``tensor`` é um ``UnmovedTensor``: ele não passou por ``.to(device)``.

    Introduzido na aula 07; ``what`` começa a frase ("Um batch chegou ao modelo").
    """
    expect(
        not isinstance(tensor, UnmovedTensor),
        f"{what} sem passar por .to(device): mova x e y para `device` em cada batch.",
    )


class LossRecorder:
    """Função de perda que registra cada chamada: valor, tamanho do batch e gradiente novo.

    Introduzido na aula 07 (``train_one_epoch``). Envolve ``loss_fn`` e devolve a mesma perda;
    a cada chamada guarda em ``values`` o valor (float), em ``sizes`` o tamanho do batch
    (``len`` dos rótulos) e, quando ``params`` é dado e a perda rastreia gradientes, em
    ``grads`` o gradiente dessa perda em relação a ``params`` (``None`` onde ela não depende
    do parâmetro). Esse gradiente é calculado à parte (``torch.autograd.grad`` com
    ``retain_graph=True``), sem tocar em nenhum ``.grad``: é o que o ``optimizer.step()``
    seguinte deveria ver, se os gradientes antigos foram zerados. Rótulos ``UnmovedTensor``
    (que não passaram por ``.to(device)``) falham com ``expect_moved``.
    """

    def __init__(self, loss_fn: Callable, params: Iterable[torch.Tensor] | None = None):
        self.loss_fn = loss_fn
        self.params = None if params is None else list(params)
        self.values: list[float] = []
        self.sizes: list[int] = []
        self.grads: list[list[torch.Tensor | None] | None] = []

    def __call__(self, output, target, *args, **kwargs):
        expect_moved(target, "Os rótulos de um batch chegaram à perda")
        loss = self.loss_fn(output, target, *args, **kwargs)
        self.values.append(float(loss.detach()))
        self.sizes.append(len(target))
        if self.params is not None and loss.requires_grad:
            grads = torch.autograd.grad(loss, self.params, retain_graph=True, allow_unused=True)
            self.grads.append([None if g is None else g.detach().clone() for g in grads])
        else:
            self.grads.append(None)
        return loss


class StepRecorder:
    """Registra, a cada ``optimizer.step()``, uma cópia dos ``.grad`` que o otimizador vê.

    Introduzido na aula 07 (``train_one_epoch``)::

        with StepRecorder(optimizer) as steps:
            ...  # código que chama optimizer.step()
        steps.grads  # uma lista por step: o .grad de cada parâmetro (None se não havia)

    Como ``ForwardRecorder``, troca o ``step`` do próprio objeto durante o bloco; o passo
    continua sendo dado pelo otimizador original.
    """

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self.grads: list[list[torch.Tensor | None]] = []
        self._own_step = None

    def __enter__(self) -> StepRecorder:
        self._own_step = vars(self.optimizer).get("step")
        original = self.optimizer.step
        params = [p for group in self.optimizer.param_groups for p in group["params"]]

        def recorded_step(*args, **kwargs):
            self.grads.append([None if p.grad is None else p.grad.detach().clone() for p in params])
            return original(*args, **kwargs)

        self.optimizer.step = recorded_step
        return self

    def __exit__(self, *exc) -> None:
        if self._own_step is None:
            del self.optimizer.step
        else:
            self.optimizer.step = self._own_step


_MNIST_ACCURACY: dict[int, tuple[weakref.ref, float]] = {}


def mnist_test_accuracy(model: torch.nn.Module) -> float:
    """Acurácia de ``model`` nas 10.000 imagens de teste do MNIST, em modo eval, uma vez só.

    Introduzido na aula 07 (``train_mnist``): as células de teste dos dois limiares pedem
    a mesma conta, e cada uma precisa funcionar sozinha. O resultado fica guardado para
    aquele objeto ``model`` (pela identidade dele); a segunda chamada só o devolve. Roda no
    device dos parâmetros do modelo, em batches de 1000, com o gradiente desligado; os dados
    vêm de ``helpers.loaders.mnist_tensors`` (sem rede primeiro, como na aula).
    """
    expect(
        isinstance(model, torch.nn.Module),
        f"O modelo deveria ser um nn.Module, mas é {type(model).__name__}.",
    )
    cached = _MNIST_ACCURACY.get(id(model))
    if cached is not None and cached[0]() is model:
        return cached[1]
    from helpers.loaders import mnist_tensors  # torchvision só quando preciso

    tensors = list(model.parameters()) + list(model.buffers())
    device = tensors[0].device if tensors else torch.device("cpu")
    x, y = mnist_tensors(train=False, device=device)
    model.eval()
    correct = 0
    with torch.no_grad():
        for xb, yb in zip(x.split(1000), y.split(1000)):
            with runtime_error_as_failure(
                f"O modelo, num batch de teste de shape {tuple(xb.shape)}",
                "O modelo deve receber os batches (N, 1, 28, 28) do loader como estão: achatar é "
                "trabalho do modelo (nn.Flatten() como primeira camada), não do loop de treino.",
            ):
                out = model(xb)
            expect(
                isinstance(out, torch.Tensor) and tuple(out.shape) == (len(xb), 10),
                "O modelo deveria devolver logits de shape (N, 10) para um batch (N, 1, 28, 28), "
                f"mas devolveu {tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}.",
            )
            correct += int((out.argmax(dim=1) == yb).sum())
    accuracy = correct / len(y)
    _MNIST_ACCURACY[id(model)] = (weakref.ref(model), accuracy)
    return accuracy


class ImageClassifier(torch.nn.Module):
    """Rede pequena de teste que recebe imagens ``(N, 1, side, side)``, e só imagens.

    Introduzido na aula 07: como os modelos da aula, ela mesma achata a entrada; um batch
    que chega achatado (ou com outro shape) falha com uma mensagem que diz que o loop não
    deve mexer no shape. ``batchnorm=True`` e ``dropout > 0`` dão uma rede cujo modo
    (train/eval) muda o resultado e, com BatchNorm, o estado (as médias acumuladas). Um
    batch ``UnmovedTensor`` (que não passou por ``.to(device)``) falha com ``expect_moved``.
    """

    def __init__(
        self, side: int = 4, classes: int = 3, hidden: int = 12,
        batchnorm: bool = False, dropout: float = 0.0,
    ):
        super().__init__()
        self.side = side
        layers: list[torch.nn.Module] = [torch.nn.Linear(side * side, hidden)]
        if batchnorm:
            layers.append(torch.nn.BatchNorm1d(hidden))
        layers.append(torch.nn.ReLU())
        if dropout > 0:
            layers.append(torch.nn.Dropout(dropout))
        layers.append(torch.nn.Linear(hidden, classes))
        self.net = torch.nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expect_moved(x, "Um batch chegou ao modelo")
        expected = (1, self.side, self.side)
        expect(
            x.dim() == 4 and tuple(x.shape[1:]) == expected,
            f"O modelo recebeu um batch de shape {tuple(x.shape)}, mas espera imagens "
            f"(N, {', '.join(map(str, expected))}): passe o batch ao modelo sem mudar o shape "
            "(achatar é trabalho do modelo, não do loop).",
        )
        return self.net(x.flatten(1))


@contextlib.contextmanager
def substitute(namespace: dict, **fakes: object) -> Iterator[None]:
    """Troca nomes de ``namespace`` (o ``globals()`` do notebook) durante o bloco e os devolve.

    Introduzido na aula 07 (``fit``): o teste põe versões espiãs de ``train_one_epoch`` e
    ``evaluate`` no lugar das do aluno, para corrigir ``fit`` sozinho, e as originais voltam
    no fim do bloco, mesmo se ele falhar (um nome que não existia volta a não existir).
    """
    missing = object()
    originals = {name: namespace.get(name, missing) for name in fakes}
    namespace.update(fakes)
    try:
        yield
    finally:
        for name, original in originals.items():
            if original is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = original
