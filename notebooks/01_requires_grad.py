# %% [markdown]
# # Aula 01 — Autograd e `requires_grad`: o que o PyTorch rastreia
#
# **Objetivos.** Ao final desta aula você saberá:
#
# - o que o **autograd** faz e por que ele precisa saber quais tensores rastrear;
# - o que `requires_grad` liga e como essa marca **se propaga** pelas operações;
# - a diferença entre um **tensor folha** (`is_leaf`) e o **resultado de uma operação**
#   (que tem `grad_fn`), e por que só as folhas recebem `.grad`;
# - por que só os **parâmetros** precisam de `requires_grad=True` (dados e rótulos não);
# - evitar o erro clássico `torch.randn(..., requires_grad=True) * 0.01`, e as formas certas
#   de criar parâmetros (`.requires_grad_()`, `nn.Parameter`);
# - quando usar `detach()`, `detach().clone()` e `torch.no_grad()` (e por que `detach()`
#   **compartilha memória**);
# - congelar parâmetros com `requires_grad_(False)`.
#
# **Tempo estimado:** 45 min (+ 10 min de aprofundamento opcional).
#
# Cada exercício vem logo depois da ideia que ele pratica. Os testes visíveis você roda na
# hora; há mais testes na correção.

# %%
import warnings

import matplotlib.pyplot as plt
import torch
from torch import nn

# %% [markdown]
# ## 1. O autograd em poucas palavras
#
# Treinar uma rede é ajustar seus parâmetros (pesos e bias) na direção que diminui a perda
# (*loss*). Para isso precisamos da derivada da perda em relação a **cada** parâmetro: o
# gradiente. Calcular isso à mão para milhões de parâmetros é inviável; o **autograd**, o motor
# de diferenciação automática do PyTorch, faz isso por nós.
#
# A ideia: enquanto você faz as contas (o *forward*), o PyTorch **rastreia** cada operação num
# **grafo computacional** (*computational graph*): quem entrou, que operação foi feita, quem
# saiu. Depois, `.backward()` percorre esse grafo de trás para frente aplicando a regra da
# cadeia (a *backpropagation*) e deposita os gradientes no atributo `.grad` dos tensores de
# partida.
#
# Um exemplo mínimo: para $z = w \cdot x + b$, as derivadas são
# $\frac{\partial z}{\partial w} = x$ e $\frac{\partial z}{\partial b} = 1$.

# %%
x = torch.tensor([2.0])
w = torch.tensor([3.0], requires_grad=True)
b = torch.tensor([1.0], requires_grad=True)

z = w * x + b  # forward: o grafo é montado aqui
z.backward()  # backward: percorre o grafo e preenche .grad

print(f"z = {z.item()}")
print(f"dz/dw = {w.grad.item()}  (igual a x)")
print(f"dz/db = {b.grad.item()}  (igual a 1)")

# %% [markdown]
# Repare que só pedimos gradiente para `w` e `b`: foi o `requires_grad=True`. O resto desta
# aula é sobre essa marca: o que ela faz, como se espalha e quando (não) usá-la. O
# `backward()` em si e o acúmulo de gradientes são o assunto da próxima aula.

# %% [markdown]
# ## 2. `requires_grad`: quem entra no grafo
#
# Para que o autograd rastreie as operações sobre um tensor, o tensor precisa ter
# `requires_grad=True`. Por padrão, todo tensor que você cria (`torch.tensor`,
# `torch.randn`, `torch.zeros`, ...) tem `requires_grad=False`: rastrear custa memória e
# tempo, e a maioria dos tensores (dados, rótulos, contas auxiliares) não precisa disso.
#
# O exemplo abaixo é o do texto-base do curso, completo para rodar sozinho:

# %%
# Tensor que não rastreia gradientes (o padrão; o argumento aqui é só explícito)
x = torch.tensor([2.0], requires_grad=False)
y = x**2  # y também não rastreia
print(f"Tensor y.requires_grad: {y.requires_grad}")

# Tensores que rastreiam gradientes
w = torch.tensor([3.0], requires_grad=True)
b = torch.tensor([1.0], requires_grad=True)
z = w * x + b  # z rastreia, pois pelo menos uma de suas entradas (w, b) rastreia
print(f"Tensor z.requires_grad: {z.requires_grad}")

# %% [markdown]
# Você também pode ligar a marca depois, com o método `requires_grad_()` (o `_` no final é
# a convenção do PyTorch para "altera o próprio tensor", *in-place*). Só tensores de ponto
# flutuante (ou complexos) podem exigir gradiente: derivada em relação a um inteiro, como os
# rótulos de uma classificação, não faz sentido (o erro que aparece está em
# [Erros comuns](#Erros-comuns)).

# %%
a = torch.zeros(3)
print(a.requires_grad)
a.requires_grad_()  # o mesmo que a.requires_grad_(True)
print(a.requires_grad)

# %% [markdown]
# ## 3. Folhas e resultados: `is_leaf` e `grad_fn`
#
# O grafo tem dois tipos de tensor:
#
# - **tensores folha** (`is_leaf == True`): tensores que você criou diretamente, como `w` e
#   `b`. São os pontos de partida do grafo;
# - **resultados de operações** sobre tensores que rastreiam, como `z`. Cada um guarda em
#   `grad_fn` a operação que o produziu, que o `backward()` usa para seguir adiante.
#
# Por convenção, **todo** tensor com `requires_grad=False` também conta como folha, mesmo
# quando veio de uma conta (como `y = x**2` acima): ele não está no grafo, então não tem
# `grad_fn`.

# %%
for name, t in [("x", x), ("y", y), ("w", w), ("b", b), ("z", z)]:
    print(f"{name}: requires_grad={t.requires_grad!s:5}  is_leaf={t.is_leaf!s:5}  grad_fn={t.grad_fn}")

# %% [markdown]
# Dá para ver o grafo andando pelos `grad_fn`. O `AddBackward0` de `z` aponta para o
# `MulBackward0` (de `w * x`) e para um `AccumulateGrad`: é esse nó que, no `backward()`,
# **escreve** o gradiente em `b.grad`. O `MulBackward0`, por sua vez, aponta para o
# `AccumulateGrad` de `w` e para `None` em vez de `x`, que não rastreia.

# %%
print(z.grad_fn)
print(z.grad_fn.next_functions)
print(z.grad_fn.next_functions[0][0].next_functions)

# %% [markdown]
# O mesmo grafo, desenhado. As setas pretas são o forward; o `backward()` percorre o caminho
# ao contrário, de `z` até os `AccumulateGrad`.

# %%
def draw_graph():
    """Desenha o grafo de z = w * x + b com os nós que o PyTorch criou."""
    boxes = {  # nome: (x, y, cor)
        "w\n(folha, requires_grad)": (0, 2, "#c8e6c9"),
        "x\n(dado: não rastreia)": (0, 1, "#eeeeee"),
        "b\n(folha, requires_grad)": (0, 0, "#c8e6c9"),
        "w * x\nMulBackward0": (2, 1.5, "#ffe0b2"),
        "w * x + b\nAddBackward0": (4, 0.75, "#ffe0b2"),
        "z": (5.6, 0.75, "#bbdefb"),
    }
    arrows = [(0, 3), (1, 3), (3, 4), (2, 4), (4, 5)]
    fig, ax = plt.subplots(figsize=(8, 3.2))
    texts = [
        ax.text(bx, by, name, ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.5", "facecolor": color, "edgecolor": "gray"})
        for name, (bx, by, color) in boxes.items()
    ]
    for start, end in arrows:  # da borda direita de uma caixa à borda esquerda da outra
        ax.annotate("", xy=(0, 0.5), xycoords=texts[end], xytext=(1, 0.5),
                    textcoords=texts[start], arrowprops={"arrowstyle": "->"})
    ax.text(0, -0.75, "AccumulateGrad escreve w.grad e b.grad; x não recebe nada",
            fontsize=9, color="#2e7d32")
    ax.set_xlim(-1, 6.5)
    ax.set_ylim(-1, 2.6)
    ax.axis("off")
    plt.show()


draw_graph()

# %% [markdown]
# Só folhas com `requires_grad=True` têm um `AccumulateGrad`, e por isso **só elas recebem
# `.grad`** por padrão. Os resultados intermediários têm gradiente calculado de passagem, mas
# ele não é guardado: numa rede grande, isso gastaria muita memória à toa.

# %% [markdown]
# ## 4. Como `requires_grad` se propaga
#
# A regra: o resultado de uma operação **diferenciável** rastreia gradientes quando pelo menos
# uma das entradas rastreia. A marca "contamina" tudo o que vem depois, até você cortá-la de
# propósito (seção 7).
#
# "Diferenciável" importa: operações cujo resultado não tem derivada útil (comparações como
# `p > 0`, `argmax`, conversões para inteiro) devolvem tensores que **não** rastreiam, mesmo
# com entradas que rastreiam.

# %%
p = torch.randn(3, requires_grad=True)
d = torch.randn(3)

print((d * 2).requires_grad)  # nenhuma entrada rastreia
print((p * d).requires_grad)  # p rastreia
print((p * d).sum().exp().requires_grad)  # e continua rastreando adiante
print((p > 0).requires_grad, p.argmax().requires_grad, p.long().requires_grad)  # não diferenciáveis

# %% [markdown]
# ## 5. Quem precisa de `requires_grad=True`?
#
# Em um modelo de deep learning, somente os **parâmetros do modelo** (pesos e bias) devem
# ter `requires_grad=True`: são eles que o otimizador vai ajustar. Os **dados de entrada** e
# os **rótulos** não precisam, pois não serão otimizados; marcá-los só faria o autograd
# calcular e guardar gradientes que ninguém usa.
#
# Veja numa regressão linear minúscula: `W` e `b` são parâmetros, `X` e `y_true` são dados.

# %%
torch.manual_seed(0)
X = torch.randn(8, 3)  # dados: 8 exemplos, 3 features
y_true = torch.randn(8, 1)  # alvos

W = (torch.randn(1, 3) * 0.1).requires_grad_()  # parâmetros (veja a seção 6)
b = torch.zeros(1, requires_grad=True)

y_pred = X @ W.T + b
loss = ((y_pred - y_true) ** 2).mean()
loss.backward()

print("W.grad:", W.grad)
print("b.grad:", b.grad)
print("X.grad:", X.grad)  # None: ninguém pediu gradiente dos dados

# %% [markdown]
# Há usos legítimos de gradiente em relação à entrada (por exemplo, mapas de saliência, que
# mostram quais pixels mais influenciam a saída), mas no treinamento a regra vale: só os
# parâmetros.
#
# ### Exercício 1 — `linear` (2 pontos)
#
# Escreva `linear(x, W, b)` que devolve $x W^\top + b$ para um batch `x` de shape
# `(N, n_in)`, `W` de shape `(n_out, n_in)` e `b` de shape `(n_out,)`; o resultado tem shape
# `(N, n_out)`. É exatamente o que `torch.nn.functional.linear` faz (e é com ele que os
# testes comparam), mas a ideia é escrever a conta com operações de tensor.
#
# O resultado deve **ficar no grafo**: pela regra da seção 4, ele rastreia gradientes quando
# alguma entrada rastreia, e o `backward()` precisa chegar a `W` e `b`. Então não use
# `detach()`, `torch.no_grad()` nem crie um tensor novo a partir dos valores, e não ligue
# `requires_grad` por conta própria.

# %% exercise="linear"
def linear(x, W, b):
    """x (N, n_in), W (n_out, n_in), b (n_out,) -> x @ W.T + b, de shape (N, n_out)."""
    ### BEGIN SOLUTION
    return x @ W.T + b
    ### END SOLUTION


# %% test="test_linear" points=1
import torch
import torch.nn.functional as F
from helpers.checks import (assert_close, assert_dtype, assert_shape, quietly, reseed,
                            runtime_error_as_failure)


def _check_values(N, n_in, n_out, dtype=torch.float32):
    x = torch.randn(N, n_in, dtype=dtype)
    W = torch.randn(n_out, n_in, dtype=dtype)
    b = torch.randn(n_out, dtype=dtype)
    expected = F.linear(x, W, b)  # antes: a função testada não pode mudar a referência
    with runtime_error_as_failure(
        f"linear falhou com x {tuple(x.shape)}, W {tuple(W.shape)} e b {tuple(b.shape)}",
        "Lembre que W tem shape (n_out, n_in).",
    ):
        out = quietly(linear, x, W, b)
    assert_shape(out, (N, n_out), f"linear(x, W, b) com x {(N, n_in)} e W {(n_out, n_in)}")
    assert_dtype(out, dtype, "linear(x, W, b)")
    assert_close(
        out,
        expected,
        f"linear(x, W, b) com x {(N, n_in)} e W {(n_out, n_in)}",
        hint="Confira a transposição de W e a soma do bias b.",
    )


reseed(0)
_check_values(4, 3, 2)  # W não quadrada
_check_values(5, 4, 4)  # W quadrada
### BEGIN HIDDEN TESTS
reseed()
for N, n_in, n_out in [(1, 6, 3), (32, 20, 10), (7, 8, 8), (3, 1, 5), (10, 5, 1)]:
    _check_values(N, n_in, n_out)
for _ in range(3):
    N, n_in, n_out = (int(v) for v in torch.randint(1, 40, (3,)))
    _check_values(N, n_in, n_out)
    _check_values(N, n_in, n_out, dtype=torch.float64)
### END HIDDEN TESTS
print("linear (valores): testes visíveis OK")

# %% test="test_linear_grad" points=1
import torch
import torch.nn.functional as F
from helpers.checks import (assert_close, assert_shape, expect, quietly, reseed,
                            runtime_error_as_failure)


def _check_grad(N, n_in, n_out, track=("W", "b"), dtype=torch.float32):
    data = {
        "x": torch.randn(N, n_in, dtype=dtype),
        "W": torch.randn(n_out, n_in, dtype=dtype),
        "b": torch.randn(n_out, dtype=dtype),
    }
    ref = {k: v.clone().requires_grad_(k in track) for k, v in data.items()}
    mine = {k: v.clone().requires_grad_(k in track) for k, v in data.items()}
    shapes = {k: tuple(v.shape) for k, v in mine.items()}
    with runtime_error_as_failure(
        f"linear falhou com x {shapes['x']}, W {shapes['W']} e b {shapes['b']}",
        "Lembre que W tem shape (n_out, n_in).",
    ):
        out = quietly(linear, mine["x"], mine["W"], mine["b"])
    assert_shape(out, (N, n_out), "linear(x, W, b)")
    who = ", ".join(track) if track else "nenhuma entrada"
    if not track:
        expect(
            not out.requires_grad,
            "Sem nenhuma entrada com requires_grad=True, o resultado de linear não deveria "
            "rastrear gradientes: não ligue requires_grad dentro de linear.",
        )
        return
    expect(
        out.requires_grad and out.grad_fn is not None,
        f"Com requires_grad=True em {who}, o resultado de linear não rastreia gradientes: "
        "a conta saiu do grafo (detach, no_grad ou um tensor novo criado a partir dos valores?).",
    )
    grad_out = torch.randn(N, n_out, dtype=dtype)
    out.backward(grad_out)
    F.linear(ref["x"], ref["W"], ref["b"]).backward(grad_out)
    for k in track:
        expect(
            mine[k].grad is not None,
            f"O backward() não chegou a {k}: {k}.grad ficou None. O resultado de linear "
            f"precisa depender de {k} pelo grafo (sem .data, detach ou cópias).",
        )
        assert_close(mine[k].grad, ref[k].grad, f"{k}.grad depois do backward")


reseed(0)
_check_grad(4, 3, 2)  # W e b rastreiam, x não (o caso do treino)
_check_grad(4, 3, 2, track=())  # nada rastreia
### BEGIN HIDDEN TESTS
reseed()
_check_grad(6, 5, 5)
_check_grad(3, 4, 2, track=("x",))
_check_grad(3, 4, 2, track=("b",))
_check_grad(3, 4, 2, track=("W",))
_check_grad(3, 4, 2, track=("x", "W", "b"))
_check_grad(5, 7, 3, track=("x", "W", "b"))
_check_grad(5, 7, 3, track=(), dtype=torch.float64)
for _ in range(3):
    N, n_in, n_out = (int(v) for v in torch.randint(1, 30, (3,)))
    _check_grad(N, n_in, n_out, dtype=torch.float64)
### END HIDDEN TESTS
print("linear (gradientes): testes visíveis OK")

# %% [markdown]
# ## 6. O erro clássico: escalar **depois** de ligar `requires_grad`
#
# Pesos costumam começar pequenos, então é comum escrever:

# %%
W = torch.randn(3, 4, requires_grad=True) * 0.01  # ERRADO
print(f"requires_grad={W.requires_grad}  is_leaf={W.is_leaf}  grad_fn={W.grad_fn}")

# %% [markdown]
# Parece certo (`requires_grad` é `True`), mas `W` **não é folha**: `torch.randn(...,
# requires_grad=True)` criou uma folha anônima, e `* 0.01` é uma operação sobre ela; o `W`
# que guardamos é o **resultado** dessa operação (tem `grad_fn=MulBackward0`).
# O `backward()` deposita o gradiente na folha anônima, que ninguém referencia, e `W.grad`
# fica `None` para sempre. Ao ler `W.grad`, o PyTorch até emite um aviso (`UserWarning`);
# abaixo nós o capturamos para ler a mensagem. (Um otimizador nem aceita esse `W`: veja
# [Erros comuns](#Erros-comuns).)

# %%
x_batch = torch.randn(5, 4)
loss = (x_batch @ W.T).pow(2).mean()
loss.backward()

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print("W.grad:", W.grad)
message = str(caught[0].message)
print("Aviso:", ". ".join(message.split(". ")[:2]))  # as duas primeiras frases

# %% [markdown]
# **As formas certas** fazem as contas primeiro e ligam o rastreamento depois, de modo que o
# tensor guardado seja a folha:

# %%
# 1) conta primeiro, depois liga requires_grad (in-place, devolve o próprio tensor)
W1 = (torch.randn(3, 4) * 0.01).requires_grad_()

# 2) nn.Parameter: um tensor folha com requires_grad=True (é o que nn.Linear usa por dentro)
W2 = nn.Parameter(torch.randn(3, 4) * 0.01)

# 3) cria a folha e escala in-place, sem deixar o autograd rastrear a conta
W3 = torch.randn(3, 4, requires_grad=True)
with torch.no_grad():
    W3.mul_(0.01)

for name, t in [("W1", W1), ("W2", W2), ("W3", W3)]:
    print(f"{name}: requires_grad={t.requires_grad}  is_leaf={t.is_leaf}")

# %% [markdown]
# Qual escala? Uma regra que funciona: dividir por $\sqrt{n_{in}}$, a raiz do número de
# entradas da camada, para que as saídas fiquem da ordem de 1 (o porquê está no
# aprofundamento logo depois do exercício).
#
# ### Exercício 2 — `make_params` (3 pontos)
#
# Escreva `make_params(n_in, n_out)` que cria os parâmetros de uma camada linear
# $y = x W^\top + b$ e devolve a tupla `(W, b)`:
#
# - `W` com shape `(n_out, n_in)` (a convenção do `nn.Linear`), com valores **aleatórios**
#   de desvio padrão **no máximo** $2/\sqrt{n_{in}}$ (por exemplo, escala $1/\sqrt{n_{in}}$
#   ou `0.01`); cada chamada deve sortear uma `W` nova, então não fixe semente dentro da
#   função;
# - `b` com shape `(n_out,)`, **toda zero**;
# - os dois `float32`, **folhas** com `requires_grad=True` (pode devolver `nn.Parameter`).

# %% exercise="make_params"
def make_params(n_in, n_out):
    """Devolve (W, b): W (n_out, n_in) aleatória e pequena, b (n_out,) zeros; folhas treináveis."""
    ### BEGIN SOLUTION
    W = (torch.randn(n_out, n_in) / n_in**0.5).requires_grad_()
    b = torch.zeros(n_out, requires_grad=True)
    return W, b
    ### END SOLUTION


# %% test="test_make_params_shape" points=1
import torch
from helpers.checks import assert_dtype, assert_shape, assert_tuple, quietly

out = quietly(make_params, 20, 5)
assert_tuple(out, 2, "make_params")
W, b = out
assert_shape(W, (5, 20), "W de make_params(20, 5)")
assert_shape(b, (5,), "b de make_params(20, 5)")
assert_dtype(W, torch.float32, "W")
assert_dtype(b, torch.float32, "b")
### BEGIN HIDDEN TESTS
for n_in, n_out in [(16, 16), (64, 128), (100, 1), (1, 7)]:
    out = quietly(make_params, n_in, n_out)
    assert_tuple(out, 2, "make_params")
    W, b = out
    assert_shape(W, (n_out, n_in), f"W de make_params({n_in}, {n_out})")
    assert_shape(b, (n_out,), f"b de make_params({n_in}, {n_out})")
    assert_dtype(W, torch.float32, "W")
    assert_dtype(b, torch.float32, "b")
### END HIDDEN TESTS
print("make_params (shapes e dtype): testes visíveis OK")

# %% test="test_make_params_leaf" points=1
import torch
from helpers.checks import assert_trainable_leaf, assert_tuple, expect, quietly


def _check_fills_grad(n_in, n_out):
    params = quietly(make_params, n_in, n_out)
    assert_tuple(params, 2, "make_params")
    W, b = params
    # só depois de confirmar que são folhas: ler .grad de um não-folha emite um aviso
    assert_trainable_leaf(W, "W")
    assert_trainable_leaf(b, "b")
    (3 * W.sum() + 2 * b.sum()).backward()
    expect(W.grad is not None, "backward() não preencheu W.grad.")
    expect(b.grad is not None, "backward() não preencheu b.grad.")
    expect(bool((W.grad == 3).all()), "W.grad não é o gradiente esperado de 3 * W.sum().")
    expect(bool((b.grad == 2).all()), "b.grad não é o gradiente esperado de 2 * b.sum().")


_check_fills_grad(20, 5)
### BEGIN HIDDEN TESTS
for n_in, n_out in [(16, 16), (64, 128), (100, 1)]:
    _check_fills_grad(n_in, n_out)
### END HIDDEN TESTS
print("make_params (folhas treináveis): testes visíveis OK")

# %% test="test_make_params_init" points=1
import torch
from helpers.checks import assert_tuple, expect, quietly


def _check_init(n_in, n_out):
    out = quietly(make_params, n_in, n_out)
    assert_tuple(out, 2, "make_params")
    W, b = out
    out = quietly(make_params, n_in, n_out)
    assert_tuple(out, 2, "make_params")
    W2, _ = out
    W, b, W2 = W.detach().float(), b.detach().float(), W2.detach().float()
    expect(not bool((W == 0).all()), "W é toda zero: os pesos devem começar aleatórios.")
    expect(
        float(W.std()) > 0,
        "Todas as entradas de W são iguais: os pesos devem ser sorteados um a um.",
    )
    limit = 2 / n_in**0.5
    expect(
        float(W.std()) <= limit,
        f"Com n_in={n_in}, o desvio padrão das entradas de W é {float(W.std()):.3g}, acima "
        f"do limite 2/√n_in = {limit:.3g}: pesos grandes demais. Escale a inicialização.",
    )
    expect(bool((b == 0).all()), "b deve começar com zeros.")
    expect(
        W.shape != W2.shape or not torch.equal(W, W2),
        "Duas chamadas de make_params devolveram a mesma W: a função não pode fixar a "
        "semente (manual_seed) nem reaproveitar os mesmos números.",
    )


_check_init(64, 32)
### BEGIN HIDDEN TESTS
for n_in, n_out in [(16, 64), (256, 16), (100, 30), (784, 10)]:
    _check_init(n_in, n_out)
### END HIDDEN TESTS
print("make_params (inicialização): testes visíveis OK")

# %% [markdown]
# ### Aprofundamento (opcional): por que escalar os pesos?
#
# Cada saída de uma camada linear soma `n_in` produtos `W[i, j] * x[j]`. Se pesos e entradas
# têm desvio padrão 1, a soma tem desvio padrão por volta de $\sqrt{n_{in}}$: com 256
# entradas, saídas da ordem de 16, que crescem camada após camada. Escalando os pesos por
# $1/\sqrt{n_{in}}$ a saída volta para a ordem de 1. (O `nn.Linear` sorteia pesos uniformes
# em $[-1/\sqrt{n_{in}}, 1/\sqrt{n_{in}}]$; um fator fixo pequeno como `0.01` também
# funciona em redes rasas.)

# %%
torch.manual_seed(0)
n_in = 256
x_in = torch.randn(1000, n_in)
W_raw = torch.randn(64, n_in)
print(f"desvio padrão da saída, pesos randn:           {(x_in @ W_raw.T).std():.2f}")
print(f"desvio padrão da saída, pesos randn / sqrt(n_in): {(x_in @ (W_raw / n_in**0.5).T).std():.2f}")

# %% [markdown]
# ## 7. Desligando o rastreamento: `detach()`, `detach().clone()` e `torch.no_grad()`
#
# Três ferramentas, para três situações:
#
# | ferramenta | o que devolve / faz | memória |
# |---|---|---|
# | `t.detach()` | um tensor com os mesmos dados, fora do grafo (`requires_grad=False`, sem `grad_fn`) | **compartilhada** com `t` |
# | `t.detach().clone()` | uma cópia independente, fora do grafo | própria |
# | `with torch.no_grad():` | nada é rastreado dentro do bloco; resultados saem com `requires_grad=False` | (não copia nada) |
#
# ### `detach()` corta o caminho do gradiente
#
# Um valor que passa por `detach()` entra nas contas seguintes como uma **constante**: o
# gradiente não volta por ele. No exemplo (do livro *Dive into Deep Learning*), $y = x^2$ e
# $z = u \cdot x$ com $u$ = `y.detach()`. Para o autograd, $u$ é um número fixo, então
# $\partial z / \partial x = u$, e não $3x^2$ como seria para $z = x^3$.

# %%
x = torch.arange(4.0, requires_grad=True)
y = x * x
u = y.detach()  # mesmos valores de y, mas fora do grafo
z = u * x
z.sum().backward()
print("x.grad:", x.grad, "  u:", u)  # x.grad == u

# %% [markdown]
# Isso se usa de propósito, por exemplo para que uma parte da perda não mexa em certos
# parâmetros (um alvo que não deve ser "puxado" pelo gradiente).
#
# ### `detach()` compartilha memória
#
# `detach()` não copia nada: o tensor devolvido é outra "vista" dos mesmos números.
# Alterar um altera o outro.

# %%
p = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
p_view = p.detach()
print("mesma memória?", p_view.data_ptr() == p.data_ptr())

p_view[0] = 100.0  # altera p também!
print("p depois de mexer em p_view:", p)

# %% [markdown]
# Isso pode até quebrar o `backward()`: o autograd guarda alguns tensores para calcular o
# gradiente depois (aqui, a saída de `exp`, já que a derivada de $e^x$ é $e^x$). Alterar esses
# números por um `detach()` e depois chamar `backward()` dá erro: o PyTorch percebe que
# eles mudaram.

# %%
q = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
out = q.exp()
out.detach().zero_()  # altera, por baixo, os valores que o backward vai precisar
try:
    out.sum().backward()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(";")[0])

# %% [markdown]
# ### `detach().clone()`: uma cópia de verdade
#
# Quando você quer **guardar** valores (um snapshot dos pesos, um histórico de perdas, um
# alvo que não deve mudar), use `detach().clone()`: fora do grafo e com memória própria.
# Nessa ordem, `detach()` vem primeiro e a cópia nem é rastreada.

# %%
p = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
snapshot = p.detach().clone()
snapshot[0] = 100.0
print("p:", p)
print("snapshot:", snapshot)
print("snapshot.requires_grad:", snapshot.requires_grad, " grad_fn:", snapshot.grad_fn)

# %% [markdown]
# Cuidado com os "quase":
#
# - `t.clone()` **sozinho** copia a memória, mas continua no grafo: o resultado tem
#   `grad_fn=CloneBackward0` e `requires_grad=True`;
# - `torch.tensor(t)` também copia, mas o PyTorch avisa (`UserWarning`) que o jeito
#   recomendado é `t.detach().clone()`.

# %%
print(p.clone())

# %% [markdown]
# ### Exercício 3 — `frozen_copy` (2 pontos)
#
# Escreva `frozen_copy(t)` que devolve uma **cópia congelada** de `t`:
#
# - mesmos valores (e shape) de `t`;
# - fora do grafo: `requires_grad=False` e `grad_fn` igual a `None`;
# - com **memória própria**: alterar a cópia não pode alterar `t`.
#
# Deve funcionar tanto para uma folha quanto para o resultado de uma operação, e não deve
# mudar `t`.

# %% exercise="frozen_copy"
def frozen_copy(t):
    """Cópia de t fora do grafo (sem requires_grad nem grad_fn) e com memória própria."""
    ### BEGIN SOLUTION
    return t.detach().clone()
    ### END SOLUTION


# %% test="test_frozen_copy" points=1
import torch
from helpers.checks import assert_close, assert_detached, assert_tensor, expect, quietly, reseed


def _check_frozen(t, name):
    before = t.detach().clone()
    was_tracking = t.requires_grad
    c = quietly(frozen_copy, t)
    assert_tensor(c, f"frozen_copy({name})")
    assert_close(c, before, f"frozen_copy({name})", rtol=0, atol=0,
                 hint="Uma cópia deve ter exatamente os mesmos valores (sem mudar o dtype).")
    assert_detached(c, f"frozen_copy({name})")
    expect(
        t.requires_grad == was_tracking,
        f"frozen_copy({name}) mudou o requires_grad do próprio {name}: ela deve só copiar.",
    )
    assert_close(t, before, f"{name} depois de frozen_copy({name})")


reseed(0)
leaf = torch.randn(3, 4).requires_grad_()
_check_frozen(leaf, "leaf")  # uma folha que rastreia
result = leaf * 2 + 1
_check_frozen(result, "leaf * 2 + 1")  # um resultado de operação, com grad_fn
### BEGIN HIDDEN TESTS
reseed()
_check_frozen(torch.randn(5), "plain")  # já não rastreia
_check_frozen(torch.randn(()).requires_grad_(), "scalar")
param = torch.nn.Parameter(torch.randn(2, 3))
param.sum().backward()  # com .grad preenchido
_check_frozen(param, "param")
_check_frozen(param.T, "param.T")  # vista não contígua
_check_frozen(torch.randn(4, 2, dtype=torch.float64).requires_grad_().exp(), "exp64")
_check_frozen(torch.arange(6).reshape(2, 3), "ints")
### END HIDDEN TESTS
print("frozen_copy (valores, fora do grafo): testes visíveis OK")

# %% test="test_frozen_copy_memory" points=1
import torch
from helpers.checks import assert_tensor, expect, quietly, reseed, runtime_error_as_failure


def _check_own_memory(t, name, base=None):
    before = t.detach().clone()
    base_before = None if base is None else base.detach().clone()
    c = quietly(frozen_copy, t)
    assert_tensor(c, f"frozen_copy({name})")
    # inference_mode permite alterar in-place qualquer tipo de tensor devolvido
    with runtime_error_as_failure("Não foi possível alterar a cópia in-place"), torch.inference_mode():
        c.add_(1)
    expect(
        torch.equal(t.detach(), before),
        f"Alterar a cópia devolvida por frozen_copy({name}) alterou o próprio {name}: a "
        "cópia compartilha memória com o original.",
    )
    if base is not None:
        expect(
            torch.equal(base.detach(), base_before),
            f"Alterar a cópia devolvida por frozen_copy({name}) alterou o tensor de onde "
            f"{name} foi tirado: a cópia compartilha memória com ele.",
        )


reseed(0)
leaf = torch.randn(3, 4).requires_grad_()
_check_own_memory(leaf, "leaf")
### BEGIN HIDDEN TESTS
reseed()
leaf = torch.randn(3, 4).requires_grad_()
_check_own_memory(leaf * 3, "leaf * 3")
_check_own_memory(torch.randn(5), "plain")
base = torch.randn(4, 3).requires_grad_()
_check_own_memory(base.T, "base.T", base=base)
_check_own_memory(base[1:3], "base[1:3]", base=base)
_check_own_memory(torch.nn.Parameter(torch.randn(2, 2)), "param")
_check_own_memory(torch.arange(6).reshape(2, 3), "ints")
### END HIDDEN TESTS
print("frozen_copy (memória própria): testes visíveis OK")

# %% [markdown]
# ### `torch.no_grad()`: um bloco inteiro sem grafo
#
# Dentro de `with torch.no_grad():`, nenhuma operação é rastreada. Use quando **nenhuma** conta
# do bloco precisa de gradiente:
#
# - **avaliação/validação** do modelo (assunto da aula 03): economiza memória e tempo;
# - **atualizar parâmetros à mão**: `w -= lr * w.grad` é uma operação *in-place* numa folha
#   que rastreia, e o PyTorch a recusa fora de `no_grad()` (ela entraria no grafo; a mensagem
#   está em [Erros comuns](#Erros-comuns)).
#
# (`torch.inference_mode()` é uma variante ainda mais enxuta para inferência pura; os
# tensores criados dentro dela podem entrar depois em contas rastreadas, mas o PyTorch recusa
# quando precisaria guardá-los para o backward. A aula 03 mostra os dois casos.)

# %%
w = torch.tensor([1.0, -2.0], requires_grad=True)
(w**2).sum().backward()  # gradiente: 2w

with torch.no_grad():
    w -= 0.1 * w.grad  # passo de gradiente descendente feito à mão
    doubled = w * 2
print("w:", w, " is_leaf:", w.is_leaf)
print("doubled.requires_grad:", doubled.requires_grad)

# %% [markdown]
# ## 8. `requires_grad_()` para congelar parâmetros
#
# Às vezes queremos treinar só parte do modelo: por exemplo, ao reaproveitar uma rede já
# treinada e ajustar só a última camada (*fine-tuning*). Basta desligar `requires_grad` dos
# parâmetros congelados: o autograd deixa de calcular o gradiente deles e os próximos
# `backward()` não escrevem mais no `.grad` deles.

# %%
torch.manual_seed(0)
W_a = (torch.randn(4, 3) / 3**0.5).requires_grad_()  # 1ª camada
W_b = (torch.randn(1, 4) / 4**0.5).requires_grad_()  # 2ª camada

W_a.requires_grad_(False)  # congela a 1ª camada

h = torch.relu(torch.randn(5, 3) @ W_a.T)
loss = (h @ W_b.T).pow(2).mean()
loss.backward()
print("W_a.grad:", W_a.grad)  # None: congelado
print("W_b.grad:", W_b.grad)

# %% [markdown]
# Um cuidado: congelar **não apaga** um `.grad` que já estava lá. Um otimizador como o SGD
# atualiza todo parâmetro cujo `.grad` não é `None`, então um parâmetro congelado com um
# gradiente velho **continua se mexendo** a cada `step()`. Ao congelar, limpe o `.grad`
# também (`p.grad = None`):

# %%
frozen = nn.Parameter(torch.ones(3))
frozen.sum().backward()  # um gradiente de antes do congelamento
frozen.requires_grad_(False)
opt = torch.optim.SGD([frozen], lr=0.1)
opt.step()
print("congelado, .grad velho:  ", frozen.detach())  # mexeu!
frozen.grad = None
opt.step()
print("congelado, .grad = None: ", frozen.detach())  # parado

# %% [markdown]
# Com módulos (`nn.Linear` e companhia, que veremos adiante) é a mesma coisa, em laço:
# `for param in camada.parameters(): param.requires_grad_(False)`.
#
# Desligar a marca com `requires_grad_(False)` só vale para **folhas**. Num resultado de
# operação, a marca é consequência das entradas, e o PyTorch recusa desligá-la (a própria
# mensagem, em [Erros comuns](#Erros-comuns), sugere `detach()`). Ligar num resultado que já
# rastreia (`requires_grad_(True)`) é aceito, mas não muda nada: ele continua não sendo folha.
#
# ### Exercício 4 — `gets_grad` (3 pontos)
#
# Escreva `gets_grad(tensors)` que recebe um dicionário `nome -> tensor` e devolve a
# **lista** dos nomes (na ordem do dicionário) dos tensores cujo `.grad` um `backward()`
# preencheria **por padrão**: as folhas com `requires_grad=True`. Ficam de fora os
# resultados de operações (mesmo os que rastreiam) e os tensores sem `requires_grad`.
#
# Decida pelos atributos de cada tensor, sem rodar `backward()`. O valor atual de `.grad`
# não serve de critério: ele conta o que aconteceu antes, não o que vai acontecer.

# %% exercise="gets_grad"
def gets_grad(tensors):
    """Nomes (na ordem do dict) das folhas com requires_grad=True."""
    ### BEGIN SOLUTION
    return [name for name, t in tensors.items() if t.is_leaf and t.requires_grad]
    ### END SOLUTION


# %% test="test_gets_grad" points=1
import torch
from helpers.checks import assert_names, quietly, reseed

reseed(0)
tensors = {
    "x": torch.randn(4, 3),
    "weight": torch.randn(2, 3).requires_grad_(),
    "y": torch.tensor([0, 1, 1, 0]),
    "bias": torch.zeros(2, requires_grad=True),
}
why = {
    "x": "não tem requires_grad",
    "weight": "é folha com requires_grad=True",
    "y": "não tem requires_grad",
    "bias": "é folha com requires_grad=True",
}
assert_names(quietly(gets_grad, tensors), ["weight", "bias"], why, "gets_grad")
tensors = {"a": torch.ones(2), "b": torch.zeros(3)}
why = why | {"a": "não tem requires_grad", "b": "não tem requires_grad"}
assert_names(quietly(gets_grad, tensors), [], why, "gets_grad")
### BEGIN HIDDEN TESTS
reseed()
assert_names(quietly(gets_grad, {}), [], {}, "gets_grad")
p1 = torch.nn.Parameter(torch.randn(3))
p2 = torch.randn(2, dtype=torch.float64).requires_grad_()
tensors = {"z_last": p1, "a_first": torch.randn(2), "m_mid": p2}
why = {
    "z_last": "é folha com requires_grad=True (nn.Parameter)",
    "a_first": "não tem requires_grad",
    "m_mid": "é folha com requires_grad=True",
}
assert_names(quietly(gets_grad, tensors), ["z_last", "m_mid"], why, "gets_grad")
### END HIDDEN TESTS
print("gets_grad (folhas com e sem requires_grad): testes visíveis OK")

# %% test="test_gets_grad_nonleaf" points=1
import torch
from helpers.checks import assert_names, quietly, reseed

reseed(0)
W = torch.randn(2, 3).requires_grad_() * 0.01  # o erro clássico
b = torch.zeros(2, requires_grad=True)
x = torch.randn(4, 3)
out = x @ W.T + b
loss = out.pow(2).mean()
why = {
    "W": "é resultado de uma operação (tem grad_fn), não folha",
    "b": "é folha com requires_grad=True",
    "x": "não tem requires_grad",
    "out": "é resultado de uma operação (tem grad_fn), não folha",
    "loss": "é resultado de uma operação (tem grad_fn), não folha",
}
tensors = {"W": W, "b": b, "x": x, "out": out, "loss": loss}
assert_names(quietly(gets_grad, tensors), ["b"], why, "gets_grad")
### BEGIN HIDDEN TESTS
reseed()
leaf = torch.randn(3).requires_grad_()
with torch.no_grad():
    under_no_grad = leaf * 2
why = {
    "leaf": "é folha com requires_grad=True",
    "detached": "não tem requires_grad (detach)",
    "under_no_grad": "não tem requires_grad (criado em no_grad)",
    "cloned": "é resultado de uma operação (clone), não folha",
    "summed": "é resultado de uma operação, não folha",
}
retained = leaf * 3
retained.retain_grad()  # .grad será preenchido, mas só porque foi pedido: não é o padrão
why["retained"] = "é resultado de uma operação, não folha (retain_grad não muda isso)"
why["scalar"] = "é folha com requires_grad=True (0-dim também conta)"
tensors = {"detached": leaf.detach(), "under_no_grad": under_no_grad, "cloned": leaf.clone(),
           "summed": leaf.sum(), "leaf": leaf, "retained": retained,
           "scalar": torch.randn(()).requires_grad_()}
assert_names(quietly(gets_grad, tensors), ["leaf", "scalar"], why, "gets_grad")
### END HIDDEN TESTS
print("gets_grad (resultados de operações): testes visíveis OK")

# %% test="test_gets_grad_rule" points=1
import torch
from helpers.checks import assert_names, quietly, reseed

# 'old' já tem .grad de um backward anterior, mas foi congelado depois;
# 'fresh' ainda não tem .grad, mas o próximo backward o preencherá.
reseed(0)
old = torch.randn(3).requires_grad_()
old.sum().backward()
old.requires_grad_(False)
fresh = torch.randn(3).requires_grad_()
why = {
    "old": "foi congelado: requires_grad=False, mesmo já tendo um .grad antigo",
    "fresh": "é folha com requires_grad=True, mesmo que .grad ainda seja None",
}
assert_names(quietly(gets_grad, {"old": old, "fresh": fresh}), ["fresh"], why, "gets_grad")
### BEGIN HIDDEN TESTS
reseed()


def _make(kind):
    """(tensor, entra na lista?, motivo) para cada tipo de tensor."""
    base = torch.randn(2, 3).requires_grad_()
    if kind == "leaf_rg":
        return base, True, "é folha com requires_grad=True"
    if kind == "param":
        return torch.nn.Parameter(torch.randn(3)), True, "é folha com requires_grad=True"
    if kind == "leaf_rg_with_grad":
        base.sum().backward()
        return base, True, "é folha com requires_grad=True"
    if kind == "plain":
        return torch.randn(4), False, "não tem requires_grad"
    if kind == "ints":
        return torch.arange(3), False, "não tem requires_grad"
    if kind == "frozen_with_grad":
        base.sum().backward()
        return base.requires_grad_(False), False, "foi congelado: requires_grad=False"
    if kind == "nonleaf":
        return base * 0.01, False, "é resultado de uma operação, não folha"
    if kind == "nonleaf_after_backward":
        out = base.exp()
        out.sum().backward(retain_graph=True)
        return out, False, "é resultado de uma operação, não folha"
    return base.detach(), False, "não tem requires_grad (detach)"


_kinds = ["leaf_rg", "param", "leaf_rg_with_grad", "plain", "ints", "frozen_with_grad",
          "nonleaf", "nonleaf_after_backward", "detached"]
for _ in range(5):
    names = [f"t{i}" for i in torch.randperm(100)[:8].tolist()]
    tensors, expected, why = {}, [], {}
    for name in names:
        tensors[name], gets, why[name] = _make(_kinds[int(torch.randint(len(_kinds), ()))])
        if gets:
            expected.append(name)
    assert_names(quietly(gets_grad, tensors), expected, why, "gets_grad")
### END HIDDEN TESTS
print("gets_grad (pela regra, não pelo .grad atual): testes visíveis OK")

# %% [markdown]
# ## Erros comuns
#
# As mensagens abaixo são as que o PyTorch imprime (em inglês); cada célula provoca o erro de
# propósito e o captura, para a aula seguir.
#
# ### `RuntimeError: only Tensors of floating point dtype can require gradients`
#
# **Causa:** `requires_grad` num tensor de inteiros (rótulos, índices, `torch.arange(3)`).
# **Correção:** só parâmetros precisam de gradiente; se for mesmo um parâmetro, crie-o em
# ponto flutuante (`torch.arange(3.0)`, `dtype=torch.float32`).

# %%
labels = torch.tensor([0, 2, 1])  # int64, como rótulos de classificação
try:
    labels.requires_grad_()
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `RuntimeError: element 0 of tensors does not require grad and does not have a grad_fn`
#
# **Causa:** `backward()` numa saída que não está no grafo: nenhuma entrada tinha
# `requires_grad=True`, ou a conta foi feita dentro de `torch.no_grad()`, ou passou por
# `detach()`. **Correção:** ligue `requires_grad` nos parâmetros **antes** do forward e faça
# o forward fora de `no_grad()`.

# %%
params = torch.randn(3)  # esqueceu o requires_grad
try:
    (params**2).sum().backward()
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `UserWarning: The .grad attribute of a Tensor that is not a leaf Tensor is being accessed`
#
# **Causa:** ler `.grad` de um resultado de operação, quase sempre o erro clássico da
# seção 6 (`torch.randn(..., requires_grad=True) * 0.01`). **Correção:** faça a conta antes e
# ligue `requires_grad` depois, para que o tensor guardado seja a folha.
#
# ### `ValueError: can't optimize a non-leaf Tensor`
#
# **Causa:** a mesma, vista pelo otimizador. **Correção:** a mesma.

# %%
W_wrong = torch.randn(3, 4, requires_grad=True) * 0.01
try:
    torch.optim.SGD([W_wrong], lr=0.1)
except ValueError as err:
    print(f"ValueError: {err}")

# %% [markdown]
# ### `RuntimeError: a leaf Variable that requires grad is being used in an in-place operation.`
#
# **Causa:** alterar *in-place* (`w -= ...`, `w[0] = ...`, `w.mul_(...)`) uma folha que
# rastreia, fora de `no_grad()`: por exemplo, o passo de gradiente descendente feito à mão.
# **Correção:** faça a atualização dentro de `with torch.no_grad():` (seção 7).

# %%
w = torch.tensor([1.0, -2.0], requires_grad=True)
(w**2).sum().backward()
try:
    w -= 0.1 * w.grad
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `RuntimeError: you can only change requires_grad flags of leaf variables.`
#
# **Causa:** `requires_grad_(False)` num resultado de operação. **Correção:** para ter os
# mesmos valores fora do grafo, use `detach()` (ou `detach().clone()` para uma cópia); para
# congelar um parâmetro, desligue a marca na folha.

# %%
try:
    (W_b * 2).requires_grad_(False)
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `RuntimeError: Can't call numpy() on Tensor that requires grad.`
#
# **Causa:** converter para NumPy (ou para um gráfico) um tensor que rastreia. **Correção:** a
# própria mensagem diz: `t.detach().numpy()`.

# %%
try:
    W_b.numpy()
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ## Resumo
#
# - O **autograd** rastreia as operações num grafo computacional durante o forward;
#   `backward()` percorre o grafo de trás para frente e deposita os gradientes em `.grad`.
# - `requires_grad=True` põe um tensor no grafo. O padrão é `False`; só tensores de ponto
#   flutuante podem exigir gradiente.
# - O resultado de uma operação diferenciável rastreia quando alguma entrada rastreia, e
#   guarda em `grad_fn` a operação que o produziu; comparações, `argmax` e conversões para
#   inteiro não rastreiam.
# - **Tensores folha** (`is_leaf`) são os criados por você (e, por convenção, todo tensor sem
#   `requires_grad`). Por padrão, só folhas com `requires_grad=True` recebem `.grad`.
# - Só **parâmetros** precisam de `requires_grad=True`; dados e rótulos não.
# - `torch.randn(..., requires_grad=True) * 0.01` **não é folha**: `.grad` fica `None`.
#   Faça a conta antes e ligue depois: `(torch.randn(...) * escala).requires_grad_()` ou
#   `nn.Parameter(...)`.
# - `detach()` tira do grafo (o gradiente não passa por ali) mas **compartilha memória**;
#   `detach().clone()` faz uma cópia independente; `torch.no_grad()` desliga o rastreamento
#   num bloco inteiro (avaliação, atualização manual de parâmetros).
# - `requires_grad_(False)` congela uma folha: ela para de receber gradiente. Limpe também o
#   `.grad` antigo, ou o otimizador continua a movê-la.
#
# **Próxima aula:** o que exatamente `backward()` calcula, por que os gradientes se acumulam
# em `.grad` e como zerá-los no loop de treinamento.
#
# ## Para ir além
#
# - `t.retain_grad()` pede ao autograd que guarde também o `.grad` de um tensor
#   intermediário (não folha), útil para depurar.
# - `torch.autograd.grad(saida, [entradas])` devolve gradientes sem escrever em `.grad`.
# - Código antigo usa `t.data` em vez de `t.detach()`. Evite: as mudanças feitas por
#   `.data` passam despercebidas pelo autograd, e o erro que vimos na seção 7 vira um
#   gradiente silenciosamente errado.
# - Documentação: [Autograd mechanics](https://pytorch.org/docs/stable/notes/autograd.html).
