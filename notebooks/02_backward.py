# %% [markdown]
# # Aula 02 — O método `.backward()` e o acúmulo de gradientes
#
# Na aula anterior vimos como o autograd monta o grafo computacional a partir dos tensores com
# `requires_grad=True`. Agora vamos disparar a *backpropagation* sobre esse grafo e entender
# para onde vão os gradientes, e por que eles **se somam**.
#
# **Objetivos**
#
# - Saber o que `backward()` calcula: os gradientes de uma saída **escalar** em relação aos
#   tensores folha do grafo que têm `requires_grad=True`, num grafo montado a cada execução.
# - Entender por que uma saída não escalar exige o argumento `gradient`, e que o resultado é um
#   **produto vetor-Jacobiano** $v^\top J$.
# - Prever o valor de `.grad` depois de várias chamadas a `backward()` (o acúmulo).
# - Zerar gradientes corretamente (`zero_grad()`, que no PyTorch 2.x põe `None` em `.grad`).
# - Usar o acúmulo a seu favor: simular um batch grande com vários **micro-batches**.
# - Saber quando `retain_graph=True` é necessário (e por que quase nunca é).
#
# **Tempo estimado:** 45 min (+ 5 min de aprofundamento opcional).

# %%
import torch
from torch import nn

# %% [markdown]
# ## 1. O que `backward()` calcula
#
# O método `.backward()` é o gatilho da backpropagation. Chamado sobre uma saída escalar $L$, ele
# percorre o grafo de trás para a frente e calcula $\partial L / \partial t$ para **cada folha**
# $t$ do grafo que tenha `requires_grad=True`, guardando o resultado em `t.grad`.
#
# - Tensores **intermediários** (não folhas, com `grad_fn`) participam da conta, mas o gradiente
#   deles não fica guardado (é descartado para economizar memória; `t.retain_grad()` muda isso).
# - Tensores **sem** `requires_grad` (dados, rótulos) ficam com `.grad` igual a `None`.
#
# No exemplo abaixo, $L = (w x + b - t)^2$ com $w = 3$, $b = 1$, $x = 2$, $t = 10$. Como
# $\hat y = wx + b = 7$, temos $\partial L/\partial \hat y = 2(7 - 10) = -6$, e pela regra da
# cadeia $\partial L/\partial w = -6 \cdot x = -12$ e $\partial L/\partial b = -6$.

# %%
w = torch.tensor(3.0, requires_grad=True)  # parâmetro (folha)
b = torch.tensor(1.0, requires_grad=True)  # parâmetro (folha)
x = torch.tensor(2.0)  # dado de entrada: não rastreia gradiente
target = torch.tensor(10.0)

pred = w * x + b  # intermediário: tem grad_fn, não é folha
loss = (pred - target) ** 2
loss.backward()

print(f"pred.is_leaf = {pred.is_leaf}, pred.grad_fn = {pred.grad_fn}")
print(f"w.grad = {w.grad}  (esperado: -12)")
print(f"b.grad = {b.grad}  (esperado: -6)")
print(f"x.grad = {x.grad}  (x não tem requires_grad)")

# %% [markdown]
# ### O grafo é montado a cada execução
#
# O PyTorch não compila a sua função antes: o grafo computacional é montado **enquanto** o
# código roda, operação por operação (um grafo *dinâmico*). Por isso `if`, `while` e chamadas
# de função do Python funcionam normalmente: o grafo registra só o caminho que foi de fato
# percorrido, e o gradiente é o daquele caminho. No exemplo (do livro *Dive into Deep
# Learning*), o número de duplicações depende do valor de `a`, mas no fim $d = k \cdot a$
# para algum $k$, e o gradiente tem de ser $k = d / a$:

# %%
def f_loop(a):
    b = a * 2
    while b.norm() < 1000:  # quantas voltas? depende do valor de a
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


a = torch.randn((), requires_grad=True)
d = f_loop(a)
d.backward()
print(f"a.grad = {a.grad.item():.1f}   d / a = {(d / a).item():.1f}")

# %% [markdown]
# ## 2. A saída precisa ser um escalar (ou você fornece `gradient`)
#
# "O gradiente de $L$" só faz sentido, como um tensor do shape de cada folha, quando $L$ é **um
# número**. Se a saída $y$ tem $m$ elementos, a derivada de $y$ em relação a $x$ é uma matriz
# inteira (a Jacobiana), e o PyTorch não adivinha o que você quer fazer com ela: chamar
# `y.backward()` levanta um `RuntimeError`.

# %%
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = x**2  # saída com 3 elementos, não um escalar

try:
    y.backward()
except RuntimeError as err:
    print(f"RuntimeError: {err}")  # y tem 3 elementos: com que pesos combinar as derivadas?

# %% [markdown]
# A solução é passar um tensor $v$ **do mesmo shape de $y$** no argumento `gradient`. O PyTorch
# então calcula o gradiente do escalar $\sum_i v_i\, y_i$. Em `Tensor.backward` o argumento se
# chama `gradient`; o nome `grad_tensors`, que aparece em alguns textos, é o da forma funcional
# `torch.autograd.backward(tensors, grad_tensors=...)`.
#
# Com $v$ cheio de uns, o resultado é o gradiente de `y.sum()`. Aliás, `loss.backward()` para
# uma perda escalar `loss` é exatamente `loss.backward(gradient=torch.tensor(1.0))`.

# %%
y = x**2  # o grafo anterior não chegou a ser usado; montamos de novo por clareza
y.backward(gradient=torch.ones_like(y))
print(f"x.grad = {x.grad}   (derivada de sum(x²) = 2x)")

x.grad = None  # limpa para o próximo exemplo (veremos por quê na seção 4)
(x**2).sum().backward()
print(f"x.grad = {x.grad}   (mesma coisa, via (x**2).sum())")

# %% [markdown]
# ## 3. O produto vetor-Jacobiano
#
# Seja $f: \mathbb{R}^n \to \mathbb{R}^m$ e $y = f(x)$. A Jacobiana $J$ tem shape $(m, n)$, com
# $J_{ij} = \partial y_i / \partial x_j$. Ao chamar `y.backward(gradient=v)`, com $v \in
# \mathbb{R}^m$, o PyTorch guarda em `x.grad` o vetor de $n$ elementos
#
# $$ (v^\top J)_j = \sum_{i=1}^{m} v_i \, \frac{\partial y_i}{\partial x_j}
#    = \frac{\partial}{\partial x_j} \Big( \sum_i v_i\, y_i \Big). $$
#
# Esse é o **produto vetor-Jacobiano** (VJP, *vector-Jacobian product*), e é exatamente o que a
# backpropagation precisa: se $y$ alimenta uma perda $L$, então $v = \partial L / \partial y$
# (que chega das camadas seguintes) e a regra da cadeia diz
# $\partial L / \partial x = v^\top J$. A backpropagation é uma corrente de VJPs, camada por
# camada, **sem nunca montar a Jacobiana**: com milhões de parâmetros, $J$ não caberia na
# memória. (O outro produto, $J v$, é o do modo *forward*, `torch.func.jvp`; ele não é o que
# `backward()` calcula.)
#
# Conferindo com a Jacobiana explícita, numa função de $\mathbb{R}^3$ em $\mathbb{R}^2$:

# %%
def f(x):
    return torch.stack([x[0] * x[1], x[1] ** 2 + torch.sin(x[2])])


x = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)
v = torch.tensor([1.0, -2.0])

f(x).backward(gradient=v)
J = torch.autograd.functional.jacobian(f, x.detach())

print(f"J tem shape {tuple(J.shape)}  (m=2 saídas, n=3 entradas)")
print(f"x.grad   = {x.grad}")
print(f"v @ J    = {v @ J}")

# %% [markdown]
# ### Exercício 1 — `vjp` (2 pontos)
#
# Implemente `vjp(f, x, v)` que devolve o produto vetor-Jacobiano $v^\top J_f(x)$, para
# $f: \mathbb{R}^n \to \mathbb{R}^m$ (recebe um tensor de shape `(n,)` e devolve um de shape
# `(m,)`) e `v` de shape `(m,)`.
#
# - O resultado tem shape `(n,)` e **não** guarda histórico (sem `grad_fn`).
# - O `x` de quem chama sai intocado: nenhum gradiente em `x.grad`, tenha ele
#   `requires_grad=True` ou não. (Dica: o gradiente deve cair numa folha que seja sua.)
# - Use o autograd (a aula mostrou `backward(gradient=v)`; outras rotas do autograd também
#   valem). Atenção: o pedido é $v^\top J$, não $J v$.

# %% exercise="vjp"
def vjp(f, x, v):
    """Produto vetor-Jacobiano vᵀ·J_f(x): shape (n,), sem grad_fn; não toca em x.grad."""
    ### BEGIN SOLUTION
    x_leaf = x.detach().clone().requires_grad_(True)
    f(x_leaf).backward(gradient=v)
    return x_leaf.grad
    ### END SOLUTION


# %% test="test_vjp" points=1
import torch
from helpers.checks import (assert_close, assert_shape, expect, quietly, reseed,
                            runtime_error_as_failure)


def _vjp_checked(f, x, v):
    """Chama vjp do aluno e explica as falhas mais comuns antes de comparar valores."""
    with runtime_error_as_failure(
        f"vjp falhou com x de shape {tuple(x.shape)} (requires_grad={x.requires_grad})",
        "Se a mensagem diz 'does not require grad', o tensor em que você chamou o backward "
        "não depende de nenhuma folha com requires_grad=True: o gradiente precisa de uma "
        "folha sua que rastreie.",
    ):
        got = quietly(vjp, f, x, v)
    expect(
        got is not None,
        "vjp devolveu None: o .grad que você leu não foi preenchido. Se a sua folha é uma "
        "cópia de x feita com clone(), ela ainda está ligada a x pelo grafo e não é folha; "
        "tire-a do grafo antes de ligar requires_grad.",
    )
    return got


def _check_vjp(f, n, m, requires=False):
    x = torch.randn(n, dtype=torch.float64, requires_grad=requires)
    v = torch.randn(m, dtype=torch.float64)
    _, ref = torch.autograd.functional.vjp(f, x.detach(), v)
    got = _vjp_checked(f, x, v)
    assert_shape(got, (n,), f"vjp(f, x, v) com x de shape ({n},) e v de shape ({m},)")
    if m == n:
        J = torch.autograd.functional.jacobian(f, x.detach())
        expect(
            not torch.allclose(got.detach().double(), J @ v),
            "vjp devolveu J·v (a derivada de f na direção v), mas o pedido é vᵀ·J: "
            "cada entrada j deve ser Σᵢ vᵢ ∂yᵢ/∂xⱼ.",
        )
    assert_close(
        got,
        ref,
        f"vjp(f, x, v) com n={n}, m={m}, requires_grad={requires}",
        hint="Cada entrada j deve ser Σᵢ vᵢ ∂yᵢ/∂xⱼ (pesos v nas saídas de f).",
    )


reseed(0)
A = torch.randn(3, 5, dtype=torch.float64)
B = torch.randn(4, 4, dtype=torch.float64)


def f_wide(x):  # (5,) -> (3,)
    return A @ torch.tanh(x) + x[:3] * x[2:]


def f_square(x):  # (4,) -> (4,), Jacobiana não simétrica
    return B @ x**2 + x.cumsum(0)


_check_vjp(f_square, 4, 4)
_check_vjp(f_wide, 5, 3)
### BEGIN HIDDEN TESTS
reseed()
for m, n in ((2, 6), (6, 2), (5, 5), (1, 4), (4, 1)):
    M1 = torch.randn(7, n, dtype=torch.float64)
    M2 = torch.randn(m, 7, dtype=torch.float64)

    def f_rand(x, M1=M1, M2=M2, m=m):
        return M2 @ torch.tanh(M1 @ x) + (x**2).sum() * torch.arange(m, dtype=x.dtype)

    for requires in (False, True):
        _check_vjp(f_rand, n, m, requires)
### END HIDDEN TESTS
print("vjp: testes visíveis OK")

# %% test="test_vjp_detached" points=1
import torch
from helpers.checks import (assert_close, assert_detached, expect, quietly, reseed,
                            runtime_error_as_failure)


def _vjp_checked(f, x, v):
    with runtime_error_as_failure(
        f"vjp falhou com x de shape {tuple(x.shape)} (requires_grad={x.requires_grad})",
        "Se a mensagem diz 'does not require grad', o tensor em que você chamou o backward "
        "não depende de nenhuma folha com requires_grad=True: o gradiente precisa de uma "
        "folha sua que rastreie.",
    ):
        got = quietly(vjp, f, x, v)
    expect(
        got is not None,
        "vjp devolveu None: o .grad que você leu não foi preenchido. Se a sua folha é uma "
        "cópia de x feita com clone(), ela ainda está ligada a x pelo grafo e não é folha; "
        "tire-a do grafo antes de ligar requires_grad.",
    )
    return got


reseed(1)
W = torch.randn(2, 3, dtype=torch.float64)


def f(x):  # (3,) -> (2,)
    return (W @ x.sin()) * x.sum()


for requires in (False, True):
    x = torch.randn(3, dtype=torch.float64, requires_grad=requires)
    v = torch.randn(2, dtype=torch.float64)
    got = _vjp_checked(f, x, v)
    assert_detached(got, f"o resultado de vjp (x com requires_grad={requires})")
    expect(
        x.grad is None,
        f"vjp deixou um gradiente em x.grad (x com requires_grad={requires}): "
        "o x de quem chama deve sair intocado.",
    )
    again = _vjp_checked(f, x, v)
    assert_close(
        again,
        got,
        "vjp chamado pela 2ª vez com os mesmos x e v",
        hint="Duas chamadas iguais deveriam dar o mesmo resultado: há gradiente acumulando "
        "de uma chamada para a outra?",
    )

### BEGIN HIDDEN TESTS
reseed()
x = torch.randn(3, dtype=torch.float64, requires_grad=True)
x.grad = torch.full_like(x, 7.0)  # um gradiente que o chamador já tinha
before = x.grad.clone()
got = _vjp_checked(f, x, torch.randn(2, dtype=torch.float64))
assert_detached(got, "o resultado de vjp")
expect(
    torch.equal(x.grad, before),
    "vjp alterou o x.grad de quem chama: o x do chamador deve sair intocado.",
)
### END HIDDEN TESTS
print("vjp_detached: testes visíveis OK")

# %% [markdown]
# ## 4. Os gradientes se acumulam
#
# Por padrão, o PyTorch **soma** os novos gradientes ao que já está em `.grad`: se você chamar
# `.backward()` várias vezes, cada chamada acrescenta a sua parcela. No exemplo abaixo, $z_1 =
# 2x + 3y$ deposita $(2, 3)$ e depois $z_2 = 4x + 5y$ deposita $(4, 5)$ por cima.

# %%
x = torch.tensor(1.0, requires_grad=True)
y = torch.tensor(2.0, requires_grad=True)

# Primeira chamada a backward()
z1 = 2 * x + 3 * y
z1.backward()
print(f"Gradiente de x após a 1ª chamada: {x.grad}")  # Esperado: 2.0
print(f"Gradiente de y após a 1ª chamada: {y.grad}")  # Esperado: 3.0

# Segunda chamada a backward() (sem zerar os gradientes)
z2 = 4 * x + 5 * y
z2.backward()
print(f"\nGradiente de x após a 2ª chamada: {x.grad}")  # Esperado: 2.0 + 4.0 = 6.0
print(f"Gradiente de y após a 2ª chamada: {y.grad}")  # Esperado: 3.0 + 5.0 = 8.0

# %% [markdown]
# Somar não é um capricho: é a mesma regra que o autograd usa **dentro** de um grafo quando um
# tensor é usado em mais de um lugar (em `x * x`, as duas "cópias" de `x` contribuem, e as
# contribuições se somam: $2x$; a aula 03 faz essa conta à mão, passo a passo). Entre chamadas de `backward()`, a soma é o que permite juntar
# gradientes de pedaços diferentes do batch (seção 6).

# %% [markdown]
# ### Exercício 2 — `accumulated_grad` (2 pontos)
#
# Implemente `accumulated_grad(f, x0, times)`: crie uma folha nova
# `x = torch.tensor(x0, requires_grad=True)`, chame `f(x).backward()` **`times` vezes** (com
# `times ≥ 1`) sem zerar nada entre as chamadas, e devolva `x.grad` como um **`float`** do
# Python. `f` recebe um tensor de 0 dimensões e devolve um tensor de 0 dimensões.
#
# Antes de rodar, preveja o resultado: quanto vale `x.grad` em função de `times` e de
# $f'(x_0)$?

# %% exercise="accumulated_grad"
def accumulated_grad(f, x0, times):
    """x.grad (como float) depois de `times` chamadas de f(x).backward() sem zerar."""
    ### BEGIN SOLUTION
    x = torch.tensor(x0, requires_grad=True)
    for _ in range(times):
        f(x).backward()
    return x.grad.item()
    ### END SOLUTION


# %% test="test_accumulated_grad" points=1
import math

import torch
from helpers.checks import CountBackward, assert_close, expect, quietly, reseed, runtime_error_as_failure


def f(x):
    return x**3 - 2 * x  # f'(x) = 3x² - 2


def _check_accumulated(f, x0, times, label="f"):
    xr = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (fp,) = torch.autograd.grad(f(xr), xr)  # f'(x0) de referência
    counted = CountBackward(f)
    with runtime_error_as_failure(
        f"accumulated_grad({label}, {x0:.4g}, {times}) falhou",
        "Se a mensagem fala em 'backward through the graph a second time', o mesmo grafo "
        "foi usado em mais de um backward() depois de liberado: cada chamada deve ter o seu "
        "grafo (um f(x) novo).",
    ):
        got = quietly(accumulated_grad, counted, x0, times)
    expect(
        isinstance(got, float),
        "accumulated_grad deve devolver um float do Python (por exemplo, com .item()), "
        f"mas devolveu {type(got).__name__}.",
    )
    expect(
        counted.backward_count == times,
        f"Com times={times}, o backward() deveria passar por {label} {times} vez(es), mas passou "
        f"{counted.backward_count}: chame f(x).backward() a cada repetição e deixe o .grad "
        "acumular (o valor certo calculado de outro jeito não vale).",
    )
    ratio = got / float(fp)
    k = round(ratio) if math.isfinite(ratio) and abs(ratio - round(ratio)) < 1e-3 else None
    cause = {
        1: " Os gradientes foram zerados (ou x foi recriado) entre as chamadas?",
        times + 1: " Há uma chamada a backward() a mais?",
    }.get(k, "") if k != times else ""
    assert_close(
        got,
        times * fp,
        f"accumulated_grad({label}, {x0:.4g}, {times})",
        rtol=1e-5,
        atol=1e-6,
        hint=f"Com times={times}, deveria ser {times}× f'(x0), mas é {ratio:.4g}× f'(x0)."
        + cause,
    )


for times in (1, 2, 5):
    _check_accumulated(f, 1.5, times)
### BEGIN HIDDEN TESTS
for x0, times in ((-0.7, 3), (2.0, 4), (0.3, 1)):
    _check_accumulated(f, x0, times)
reseed()
for _ in range(3):
    _check_accumulated(f, float(torch.empty(()).uniform_(-2, 2)), int(torch.randint(1, 7, ())))
### END HIDDEN TESTS
print("accumulated_grad: testes visíveis OK")

# %% test="test_accumulated_grad_functions" points=1
import torch
from helpers.checks import CountBackward, assert_close, expect, quietly, reseed, runtime_error_as_failure


def _check_accumulated(f, x0, times, label, atol=1e-6):
    xr = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    (fp,) = torch.autograd.grad(f(xr), xr)  # f'(x0) de referência
    counted = CountBackward(f)
    with runtime_error_as_failure(f"accumulated_grad({label}, {x0:.4g}, {times}) falhou"):
        got = quietly(accumulated_grad, counted, x0, times)
    expect(isinstance(got, float), "accumulated_grad deve devolver um float do Python.")
    expect(
        counted.backward_count == times,
        f"accumulated_grad({label}, {x0:.4g}, {times}): o backward() passou por f "
        f"{counted.backward_count} vez(es), não {times}.",
    )
    assert_close(
        got,
        times * fp,
        f"accumulated_grad({label}, {x0:.4g}, {times})",
        rtol=1e-5,
        atol=atol,
        hint=f"Deveria ser {times}× f'(x0) = {times * float(fp):.6g}.",
    )


functions = {
    "sin(x)": torch.sin,
    "x·exp(x)": lambda x: x * torch.exp(x),
    "tanh(x²)": lambda x: torch.tanh(x * x),
}
for label, f in functions.items():
    for x0, times in ((0.5, 3), (-1.2, 2)):
        _check_accumulated(f, x0, times, label)

### BEGIN HIDDEN TESTS
more = {
    "x³ - 2x": lambda x: x**3 - 2 * x,
    "exp(-x)·sin(3x)": lambda x: torch.exp(-x) * torch.sin(3 * x),
    "log(1 + x²)": lambda x: torch.log1p(x * x),
    "x/(1 + x²)": lambda x: x / (1 + x * x),
    "(x + 1)²": lambda x: (x + 1) ** 2,
}
functions.update(more)
reseed()
for label, f in functions.items():
    for _ in range(2):
        x0 = float(torch.empty(()).uniform_(-1.5, 1.5))
        times = int(torch.randint(1, 7, ()))
        _check_accumulated(f, x0, times, label, atol=1e-5)
### END HIDDEN TESTS
print("accumulated_grad (várias funções): testes visíveis OK")

# %% [markdown]
# ## 5. No treino, o acúmulo atrapalha: zere os gradientes
#
# Num loop de treinamento, cada iteração quer o gradiente da perda **do batch atual**. Sem zerar, o
# `.grad` da iteração $k$ é a soma dos gradientes dos batches $1, \dots, k$: uma direção errada
# e cada vez maior. Veja a norma do gradiente crescer quando repetimos o mesmo batch sem zerar:

# %%
torch.manual_seed(0)
model = nn.Linear(3, 1)
xb, yb = torch.randn(8, 3), torch.randn(8, 1)
loss_fn = nn.MSELoss()

for step in range(1, 4):
    loss_fn(model(xb), yb).backward()  # sem zerar antes
    print(f"iteração {step}: ‖weight.grad‖ = {model.weight.grad.norm():.4f}")

# %% [markdown]
# A solução é zerar os gradientes a cada iteração, antes do `backward()`. Normalmente isso é
# `optimizer.zero_grad()` (ou `model.zero_grad()`), que percorre todos os parâmetros.
#
# No PyTorch 2.x, `zero_grad()` usa por padrão `set_to_none=True`: ele **não** enche `.grad` de
# zeros, ele põe `None` em `.grad`. O próximo `backward()` então simplesmente escreve o gradiente
# novo. A forma antiga, zerar no próprio tensor (`set_to_none=False`, ou `p.grad.zero_()` à
# mão), também funciona.

# %%
opt = torch.optim.SGD(model.parameters(), lr=0.1)

opt.zero_grad()  # padrão: set_to_none=True
print(f"depois de zero_grad():                    weight.grad = {model.weight.grad}")

loss_fn(model(xb), yb).backward()
opt.zero_grad(set_to_none=False)  # zera in-place
print(f"depois de zero_grad(set_to_none=False):   weight.grad = {model.weight.grad}")

# %% [markdown]
# As duas formas dão o mesmo gradiente no próximo `backward()`, mas não são idênticas:
#
# - `None` libera a memória do `.grad` até o próximo `backward()`, que escreve o gradiente novo
#   em vez de somar a um tensor de zeros.
# - Os otimizadores **pulam** parâmetros com `.grad` igual a `None`; um gradiente de zeros, ao
#   contrário, ainda passa pelo `step()`, e termos como *weight decay* ou *momentum* movem o
#   parâmetro mesmo assim:

# %%
p = nn.Parameter(torch.ones(3))
opt = torch.optim.SGD([p], lr=0.1, weight_decay=0.5)

p.grad = None
opt.step()
print(f"grad None  -> depois do step: {p.detach()}")  # intocado

p.grad = torch.zeros(3)
opt.step()
print(f"grad zeros -> depois do step: {p.detach()}")  # 1 - 0.1·0.5·1 = 0.95

# %% [markdown]
# Por isso, código que lê `.grad` precisa tratar o caso `None` (um parâmetro que ainda não
# passou por nenhum `backward()`, ou que acabou de ser "zerado").
#
# ### Exercício 3 — `zero_grads` (2 pontos)
#
# Implemente `zero_grads(params)`, o equivalente de `optimizer.zero_grad()` para um iterável de
# tensores qualquer, sem devolver nada. Depois dela, o próximo `backward()` deve deixar em cada
# `.grad` apenas o gradiente novo.
#
# - `params` pode ser uma lista **ou** `model.parameters()`, que é um *gerador*: ele só pode ser
#   percorrido **uma vez** e não tem `len()` nem índices.
# - Alguns `.grad` podem ainda ser `None`: isso não pode quebrar a função.
# - Pôr `None` ou zerar *in-place*: as duas escolhas valem. Os **valores** dos parâmetros não
#   podem mudar.

# %% exercise="zero_grads"
def zero_grads(params):
    """Zera (ou põe None em) .grad de cada tensor do iterável `params`."""
    ### BEGIN SOLUTION
    for p in params:
        p.grad = None
    ### END SOLUTION


# %% test="test_zero_grads" points=1
import torch
from helpers.checks import assert_close, expect, quietly, reseed, runtime_error_as_failure

reseed(0)
w = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
b = torch.randn(3, dtype=torch.float64, requires_grad=True)
c = torch.randn(3, dtype=torch.float64, requires_grad=True)
x = torch.randn(5, 2, dtype=torch.float64)


def loss():
    return ((x @ w.T + b) * c).tanh().pow(2).sum()


params = [w, b, c]
fresh = torch.autograd.grad(loss(), params)  # não mexe em .grad
w.grad = fresh[0].clone()  # gradientes "velhos" de uma iteração anterior
b.grad = fresh[1].clone()
c.grad = None  # este ainda não passou por nenhum backward()
values = [p.detach().clone() for p in params]

try:
    with runtime_error_as_failure(
        "zero_grads falhou", "Um .grad novo precisa ter o dtype e o shape do seu parâmetro."
    ):
        quietly(zero_grads, params)
except AttributeError as err:
    raise AssertionError(
        f"zero_grads falhou com AttributeError ({err}). Algum .grad ainda é None (um tensor "
        "que nunca passou por backward()): esse caso precisa ser tratado."
    ) from None
for name, p, p0 in zip("wbc", params, values):
    expect(
        torch.equal(p.detach(), p0),
        f"zero_grads alterou os valores de {name}: só os gradientes (.grad) devem mudar.",
    )
loss().backward()
for name, p, g in zip("wbc", params, fresh):
    assert_close(
        p.grad,
        g,
        f"{name}.grad depois de zero_grads e de um novo backward()",
        hint="Deveria ser só o gradiente novo; se deu exatamente 2×, o gradiente antigo "
        "não foi apagado.",
    )

### BEGIN HIDDEN TESTS
reseed()
for p in params:
    p.grad = torch.randn_like(p)
quietly(zero_grads, tuple(params))
loss().backward()
for name, p, g in zip("wbc", params, fresh):
    assert_close(p.grad, g, f"{name}.grad (params numa tupla)")
for p in params:
    p.grad = None
quietly(zero_grads, params)  # todos None
loss().backward()
for name, p, g in zip("wbc", params, fresh):
    assert_close(p.grad, g, f"{name}.grad (todos os .grad eram None)")
### END HIDDEN TESTS
print("zero_grads: testes visíveis OK")

# %% test="test_zero_grads_generator" points=1
import torch
from torch import nn
from helpers.checks import assert_close, expect, quietly, reseed

reseed(1)
model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)).double()
x = torch.randn(10, 4, dtype=torch.float64)
y = torch.randn(10, 2, dtype=torch.float64)


def loss():
    return ((model(x) - y) ** 2).mean()


fresh = torch.autograd.grad(loss(), list(model.parameters()))
loss().backward()  # gradientes "velhos", iguais aos novos
try:
    quietly(zero_grads, model.parameters())
except (TypeError, IndexError) as err:
    raise AssertionError(
        f"zero_grads(model.parameters()) falhou com {type(err).__name__} ({err}). "
        "model.parameters() é um gerador: não tem len() nem índices."
    ) from None
loss().backward()
for (name, p), g in zip(model.named_parameters(), fresh):
    assert_close(
        p.grad,
        g,
        f"{name}.grad depois de zero_grads(model.parameters()) e de um novo backward()",
        hint="Se deu exatamente 2×, o gradiente antigo não foi apagado. Lembre que "
        "model.parameters() é um gerador: só pode ser percorrido uma vez.",
    )

### BEGIN HIDDEN TESTS
# A 2ª camada ainda não tem .grad (só a 1ª passou por backward()); há um parâmetro congelado.
reseed()
model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2))
model = model.double()
model[4].bias.requires_grad_(False)
x = torch.randn(7, 3, dtype=torch.float64)
y = torch.randn(7, 2, dtype=torch.float64)
trainable = [p for p in model.parameters() if p.requires_grad]
fresh = torch.autograd.grad(((model(x) - y) ** 2).mean(), trainable)
model[0](x).pow(2).sum().backward()
expect(model[2].weight.grad is None, "preparação do teste: a 2ª camada deveria estar sem .grad")
values = [p.detach().clone() for p in model.parameters()]
quietly(zero_grads, model.parameters())
for p, p0 in zip(model.parameters(), values):
    expect(torch.equal(p.detach(), p0), "zero_grads alterou os valores dos parâmetros.")
((model(x) - y) ** 2).mean().backward()
for p, g in zip(trainable, fresh):
    assert_close(p.grad, g, "p.grad (alguns .grad eram None, um parâmetro congelado)")
quietly(zero_grads, iter(list(model.parameters())))
((model(x) - y) ** 2).mean().backward()
for p, g in zip(trainable, fresh):
    assert_close(p.grad, g, "p.grad (params como iterador)")
### END HIDDEN TESTS
print("zero_grads (gerador): testes visíveis OK")

# %% [markdown]
# ## 6. Quando o acúmulo é uma ferramenta: micro-batches
#
# Às vezes o batch que você quer não cabe na memória (da GPU, tipicamente): as ativações de
# todos os exemplos precisam ficar guardadas até o `backward()`. O acúmulo resolve isso: divida
# o batch em pedaços, faça forward e backward de um pedaço por vez e deixe os gradientes se
# somarem em `.grad`. Só as ativações de um pedaço ficam vivas de cada vez.
#
# O cuidado está na escala. Com um batch de $N$ exemplos, a perda média é
# $L = \frac{1}{N} \sum_{i=1}^{N} \ell_i$. Dividindo em $n$ micro-batches **iguais**, de
# $B = N/n$ exemplos cada, a `loss_fn` devolve em cada um a média $L_k = \frac{1}{B}
# \sum_{i \in k} \ell_i$. Como $\frac{1}{N} = \frac{1}{n} \cdot \frac{1}{B}$,
#
# $$ L = \frac{1}{n} \sum_{k=1}^{n} L_k
#    \qquad\Longrightarrow\qquad
#    \nabla L = \sum_{k=1}^{n} \nabla\!\left(\frac{L_k}{n}\right). $$
#
# Ou seja: chame `backward()` em $L_k / n$ para cada micro-batch, e a soma acumulada em `.grad`
# é exatamente o gradiente do batch inteiro. Sem o fator $1/n$, o gradiente sai $n$ vezes maior
# (o mesmo que multiplicar a taxa de aprendizado por $n$).
#
# Isso vale para modelos sem *batch norm* (cujas estatísticas dependem do tamanho do batch) e
# para pedaços de mesmo tamanho; com pedaços desiguais, o peso de cada um seria $B_k / N$.

# %%
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
xb, yb = torch.randn(8, 4), torch.randn(8, 1)
loss_fn = nn.MSELoss()

model.zero_grad()
loss_fn(model(xb), yb).backward()
full = model[0].weight.grad.clone()  # gradiente do batch inteiro

n_micro = 4
for scale, label in ((1.0, "sem 1/n"), (1.0 / n_micro, "com 1/n")):
    model.zero_grad()
    for xk, yk in zip(xb.chunk(n_micro), yb.chunk(n_micro)):
        (loss_fn(model(xk), yk) * scale).backward()
    ratio = model[0].weight.grad.norm() / full.norm()
    print(f"{label}: ‖grad acumulado‖ / ‖grad do batch inteiro‖ = {ratio:.3f}")

# %% [markdown]
# ### Exercício 4 — `accumulate_microbatches` (4 pontos)
#
# Implemente `accumulate_microbatches(model, loss_fn, x, y, n_micro)`:
#
# 1. apague os gradientes que já estiverem nos parâmetros de `model`;
# 2. divida `x` e `y` (ao longo da primeira dimensão) em `n_micro` pedaços iguais;
# 3. faça forward, perda e `backward()` **um micro-batch por vez**, de modo que, no fim, cada
#    `param.grad` seja o gradiente da perda média do **batch inteiro**;
# 4. devolva a perda média do batch inteiro como um **`float`** do Python (prefira
#    `loss.item()`: `float(loss)` num tensor com `requires_grad=True` emite um aviso).
#
# Garantias: `loss_fn` tira a média (como `nn.MSELoss()` e `nn.CrossEntropyLoss()`), o tamanho
# do batch é divisível por `n_micro` e o modelo não tem dropout nem batch norm. Não há
# otimizador aqui: os parâmetros não podem mudar, só os `.grad`.

# %% exercise="accumulate_microbatches"
def accumulate_microbatches(model, loss_fn, x, y, n_micro):
    """Acumula em .grad o gradiente da perda média do batch inteiro, em n_micro pedaços."""
    ### BEGIN SOLUTION
    model.zero_grad()
    total = 0.0
    for xk, yk in zip(x.chunk(n_micro), y.chunk(n_micro)):
        loss = loss_fn(model(xk), yk) / n_micro
        loss.backward()
        total += loss.item()
    return total
    ### END SOLUTION


# %% test="test_accumulate_microbatches" points=2
import torch
from torch import nn
from helpers.checks import ForwardRecorder, assert_close, expect, quietly, reseed


def _likely_mistake(got, full, last, n_micro):
    """Uma frase sobre o erro provável, só quando os números batem com ele."""
    close = lambda a, b: torch.allclose(a, b, rtol=1e-5, atol=1e-8)  # noqa: E731
    if n_micro > 1 and close(got, n_micro * full):
        return (f" O fator {n_micro} é o n_micro: faltou a escala 1/n_micro (a loss_fn já tira "
                f"a média dentro de cada micro-batch, e a soma de {n_micro} médias é "
                f"{n_micro}× a média).")
    if n_micro > 1 and (close(got, last) or close(got, last / n_micro)):
        return (" Só o gradiente do último micro-batch ficou em .grad: os gradientes foram "
                "apagados dentro do loop? Apague uma vez, antes do loop, e deixe acumular.")
    return " Deveria ser o gradiente da perda média do batch inteiro."


def _check_micro(model, loss_fn, x, y, n_micro, label=""):
    params = list(model.parameters())
    full = torch.autograd.grad(loss_fn(model(x), y), params)  # gradiente do batch inteiro
    last = torch.autograd.grad(loss_fn(model(x.chunk(n_micro)[-1]), y.chunk(n_micro)[-1]), params)
    values = [p.detach().clone() for p in params]
    for p in params:
        p.grad = None
    with ForwardRecorder(model) as rec:
        quietly(accumulate_microbatches, model, loss_fn, x, y, n_micro)
    for (name, p), p0 in zip(model.named_parameters(), values):
        expect(
            torch.equal(p.detach(), p0),
            f"accumulate_microbatches alterou {name}: não há otimizador aqui, só os "
            "gradientes (.grad) devem mudar.",
        )
    for (name, p), g, g_last in zip(model.named_parameters(), full, last):
        expect(
            p.grad is not None,
            f"{name}.grad é None depois de accumulate_microbatches(..., n_micro={n_micro}): "
            "nenhum backward() chegou a esse parâmetro.",
        )
        assert_close(p.grad, g, f"{name}.grad com n_micro={n_micro}{label}",
                     hint=_likely_mistake(p.grad.detach(), g, g_last, n_micro).strip())
    size = x.shape[0] // n_micro
    sizes = [bs for bs, (_, grad_on) in zip(rec.batch_sizes, rec.calls) if grad_on]
    expect(
        sizes.count(size) >= n_micro,
        f"Com n_micro={n_micro}, o modelo deveria ser chamado (com gradiente ligado) em "
        f"{n_micro} micro-batches de {size} exemplos, mas as chamadas model(...) com gradiente "
        f"viram batches de tamanhos {sizes}.",
    )


reseed(0)
model = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3)).double()
x = torch.randn(8, 5, dtype=torch.float64)
y = torch.randn(8, 3, dtype=torch.float64)
for n_micro in (1, 2, 4):
    _check_micro(model, nn.MSELoss(), x, y, n_micro)
### BEGIN HIDDEN TESTS
reseed()
for loss_name in ("mse", "ce"):
    N = 12
    d_in, d_hid, d_out = (int(v) for v in torch.randint(2, 9, (3,)))
    d_out = max(d_out, 2)
    model = nn.Sequential(nn.Linear(d_in, d_hid), nn.Sigmoid(), nn.Linear(d_hid, d_out)).double()
    x = torch.randn(N, d_in, dtype=torch.float64)
    if loss_name == "ce":
        loss_fn = nn.CrossEntropyLoss()
        y = torch.randint(0, d_out, (N,))
    else:
        loss_fn = nn.MSELoss()
        y = torch.randn(N, d_out, dtype=torch.float64)
    for n_micro in (1, 2, 4):
        _check_micro(model, loss_fn, x, y, n_micro, f" ({loss_name})")
### END HIDDEN TESTS
print("accumulate_microbatches: testes visíveis OK")

# %% test="test_accumulate_microbatches_reset" points=1
import torch
from torch import nn
from helpers.checks import assert_close, expect, quietly, reseed

reseed(1)
model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 4)).double()
x = torch.randn(8, 5, dtype=torch.float64)
y = torch.randint(0, 4, (8,))
loss_fn = nn.CrossEntropyLoss()
params = list(model.parameters())
ref = torch.autograd.grad(loss_fn(model(x), y), params)

for n_micro in (2, 4):
    for p in params:
        p.grad = torch.full_like(p, 100.0)  # sobras de um backward() anterior
    params[-1].grad = None
    quietly(accumulate_microbatches, model, loss_fn, x, y, n_micro)
    for (name, p), g in zip(model.named_parameters(), ref):
        expect(p.grad is not None, f"{name}.grad é None depois de accumulate_microbatches.")
        stale = torch.allclose(p.grad, g + 100.0)  # as sobras continuam somadas
        assert_close(
            p.grad,
            g,
            f"{name}.grad (n_micro={n_micro}, com gradientes antigos em .grad)",
            hint="Os gradientes que já estavam em .grad antes da chamada deveriam ter sido "
            "apagados primeiro." if stale else "",
        )

### BEGIN HIDDEN TESTS
reseed()
for p in params:
    p.grad = torch.randn_like(p)
quietly(accumulate_microbatches, model, loss_fn, x, y, 1)
for (name, p), g in zip(model.named_parameters(), ref):
    assert_close(p.grad, g, f"{name}.grad (n_micro=1, com gradientes antigos)")
### END HIDDEN TESTS
print("accumulate_microbatches (gradientes antigos): testes visíveis OK")

# %% test="test_accumulate_microbatches_loss" points=1
import torch
from torch import nn
from helpers.checks import assert_close, expect, quietly, reseed


def _check_loss(model, loss_fn, x, y, n_micro, label=""):
    with torch.no_grad():
        ref = loss_fn(model(x), y)
        last = loss_fn(model(x.chunk(n_micro)[-1]), y.chunk(n_micro)[-1])
    got = quietly(accumulate_microbatches, model, loss_fn, x, y, n_micro)
    expect(
        isinstance(got, float),
        "accumulate_microbatches deve devolver a perda média do batch inteiro como float do "
        f"Python (por exemplo, com .item()), mas devolveu {type(got).__name__}.",
    )
    hint = "Deveria ser a perda média do batch inteiro."
    if n_micro > 1 and abs(got - n_micro * float(ref)) < 1e-6 * abs(n_micro * float(ref)) + 1e-9:
        hint += (f" Deu exatamente {n_micro}× (n_micro) a média: você devolveu a soma das "
                 "perdas dos micro-batches.")
    elif n_micro > 1 and min(abs(got - float(last)), abs(got - float(last) / n_micro)) < 1e-9:
        hint += " Você devolveu só a perda do último micro-batch."
    assert_close(got, ref, f"a perda devolvida com n_micro={n_micro}{label}", hint=hint)


reseed(2)
model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 2)).double()
x = torch.randn(8, 3, dtype=torch.float64)
y = torch.randn(8, 2, dtype=torch.float64)
for n_micro in (1, 2, 4):
    _check_loss(model, nn.MSELoss(), x, y, n_micro)

### BEGIN HIDDEN TESTS
reseed()
model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Linear(4, 3)).double()
x = torch.randn(16, 6, dtype=torch.float64)
y = torch.randint(0, 3, (16,))
for n_micro in (1, 2, 4):
    _check_loss(model, nn.CrossEntropyLoss(), x, y, n_micro, " (CrossEntropyLoss)")
### END HIDDEN TESTS
print("accumulate_microbatches (perda): testes visíveis OK")

# %% [markdown]
# ## 7. `retain_graph`: o grafo é liberado depois do `backward()`
#
# Para economizar memória, o `backward()` libera os valores intermediários que o grafo guardou
# para calcular as derivadas (em `y = x ** 3`, por exemplo, o grafo guarda `x` para calcular
# $3x^2$). Um segundo `backward()` sobre o **mesmo** grafo encontra esses valores já liberados e
# levanta um `RuntimeError`:

# %%
x = torch.tensor(2.0, requires_grad=True)
y = x**3
y.backward()
print(f"1º backward: x.grad = {x.grad}")  # 3·2² = 12

try:
    y.backward()  # mesmo grafo, já liberado
except RuntimeError as err:
    print(f"RuntimeError: {str(err).split('(')[0].strip()} (...)")  # a 1ª frase da mensagem

# %% [markdown]
# Com `retain_graph=True` o grafo é mantido, e o segundo `backward()` funciona e, como sempre,
# **acumula**. (Um grafo feito só de somas não guarda nada e não reclama, mas não conte com
# isso: quase todo grafo real tem produtos e ativações.)

# %%
x.grad = None
y = x**3
y.backward(retain_graph=True)  # mantém o grafo para mais um backward
y.backward()
print(f"x.grad = {x.grad}   (12 + 12)")

# %% [markdown]
# Na prática, `retain_graph=True` quase nunca é necessário. Se duas perdas compartilham parte do
# grafo, some-as e chame `backward()` uma vez só: `(loss1 + loss2).backward()` dá o mesmo
# gradiente, com um único percurso. E num loop de treinamento cada iteração faz um forward novo, que
# monta um grafo novo. Manter grafos vivos sem necessidade só gasta memória.

# %% [markdown]
# ## Aprofundamento (opcional): veja o `.grad` crescer
#
# Cada clique em **backward()** faz um forward novo de $f(x) = x^2$ em $x = 3$ e chama
# `backward()`: o `.grad` cresce de $f'(3) = 6$ em $6$. **zero_grad()** põe `None` de volta. Se
# os widgets não estiverem disponíveis (numa correção automática, por exemplo), a célula só
# avisa: a seção 4 mostra o mesmo acúmulo sem widget.

# %%
try:
    import ipywidgets as widgets
    from IPython.display import display
except ImportError:
    widgets = None
    print("ipywidgets não está instalado: pule esta célula.")

if widgets is not None:
    x_demo = torch.tensor(3.0, requires_grad=True)
    clicks = {"n": 0}
    status = widgets.HTML(value="x.grad = None (0 chamadas de backward)")

    def on_backward(_):
        (x_demo**2).backward()  # um grafo novo a cada clique
        clicks["n"] += 1
        status.value = f"x.grad = {x_demo.grad.item():g} ({clicks['n']} chamadas de backward)"

    def on_zero(_):
        x_demo.grad = None
        clicks["n"] = 0
        status.value = "x.grad = None (0 chamadas de backward)"

    button_backward = widgets.Button(description="backward()")
    button_zero = widgets.Button(description="zero_grad()")
    button_backward.on_click(on_backward)
    button_zero.on_click(on_zero)
    display(widgets.VBox([widgets.HBox([button_backward, button_zero]), status]))

# %% [markdown]
# ## Erros comuns
#
# As mensagens abaixo são as que o PyTorch imprime (em inglês); cada célula provoca o erro de
# propósito e o captura, para a aula seguir.
#
# ### `RuntimeError: grad can be implicitly created only for scalar outputs`
#
# **Causa:** `backward()` sem argumento numa saída com mais de um elemento (uma perda com
# `reduction="none"`, uma saída do modelo). **Correção:** reduza a um escalar
# (`.mean()`, `.sum()`), ou passe `gradient=v` com `v` do shape da saída (seção 2).

# %%
y = torch.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2
try:
    y.backward()
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `RuntimeError: Mismatch in shape: grad_output[0] has a shape of ... and output[0] has a shape of ...`
#
# **Causa:** o `gradient` passado a `backward()` não tem o shape da saída. **Correção:** `v`
# deve ter exatamente o shape de `y` (o vetor que pondera cada saída).

# %%
try:
    y.backward(gradient=torch.ones(2))
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed)`
#
# **Causa:** um segundo `backward()` sobre um grafo já liberado, quase sempre porque o forward
# foi feito uma vez só, fora do loop. **Correção:** refaça o forward a cada `backward()`; só
# use `retain_graph=True` se precisar mesmo do mesmo grafo duas vezes (seção 7).

# %%
x = torch.tensor(2.0, requires_grad=True)
y = x.exp()
y.backward()
try:
    y.backward()
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `AttributeError: 'NoneType' object has no attribute 'zero_'`
#
# **Causa:** `p.grad.zero_()` num parâmetro cujo `.grad` é `None` (ainda não passou por um
# `backward()`, ou `zero_grad()` acabou de pôr `None`). **Correção:** use
# `optimizer.zero_grad()`/`model.zero_grad()`, ou teste `if p.grad is not None` antes.

# %%
p = nn.Parameter(torch.ones(2))
try:
    p.grad.zero_()
except AttributeError as err:
    print(f"AttributeError: {err}")

# %% [markdown]
# ## Resumo
#
# - `L.backward()` calcula $\partial L/\partial t$ para cada **folha** `t` do grafo com
#   `requires_grad=True` e guarda em `t.grad`; intermediários e dados não guardam gradiente.
# - A saída precisa ser escalar; para uma saída `y` com vários elementos, passe
#   `y.backward(gradient=v)` com `v` do shape de `y` (na forma funcional, `grad_tensors`).
# - O resultado é o produto vetor-Jacobiano $v^\top J$: a backpropagation é uma corrente de VJPs
#   e nunca monta a Jacobiana.
# - `backward()` **soma** em `.grad`. No treino, zere a cada iteração: `optimizer.zero_grad()`,
#   que no PyTorch 2.x põe `None` (`set_to_none=True`); otimizadores pulam parâmetros com
#   `.grad` igual a `None`.
# - O acúmulo serve para micro-batches: com perdas médias e $n$ pedaços iguais, faça
#   `backward()` em `loss / n` de cada pedaço.
# - O grafo é liberado pelo `backward()`; um segundo `backward()` no mesmo grafo levanta
#   `RuntimeError`, a menos que o primeiro use `retain_graph=True` (raramente necessário).
# - O grafo é montado a cada execução: `if` e `while` do Python dão o gradiente do caminho
#   percorrido.
#
# **Próxima aula:** derivar gradientes à mão e conferi-los com o autograd e com diferenças
# finitas; depois, desligar o autograd na validação e na inferência.
#
# ## Para ir além
#
# - `torch.autograd.grad(outputs, inputs, grad_outputs=v)` devolve os gradientes em vez de
#   acumulá-los em `.grad`: útil quando você não quer mexer no estado dos tensores.
# - `torch.func.vjp` e `torch.func.jvp` dão os dois produtos ($v^\top J$ e $J v$) em estilo
#   funcional; `torch.autograd.functional.jacobian` monta a Jacobiana inteira (caro!).
# - `backward(create_graph=True)` constrói o grafo da própria derivada, permitindo derivadas de
#   segunda ordem.
# - No treino distribuído, o acúmulo de gradientes combina-se com
#   `DistributedDataParallel.no_sync()` para não sincronizar a cada micro-batch.
