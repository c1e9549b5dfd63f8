# %% [markdown]
# # Aula 05 — Funções de perda: entropia cruzada e erro quadrático médio
#
# A função de perda (*loss function*) mede, num único número, o quanto a saída do modelo está
# longe dos valores de verdade. É esse número que o `backward()` deriva e que o otimizador tenta
# diminuir: se a perda estiver errada, o modelo aprende a coisa errada, quase sempre **sem**
# nenhuma mensagem de erro. Nesta aula escrevemos as duas perdas mais usadas à mão, com
# operações elementares, e vemos onde estão as armadilhas.
#
# **Objetivos**
#
# - Transformar logits em probabilidades com a **softmax**, de forma numericamente estável.
# - Calcular a **entropia cruzada** (`nn.CrossEntropyLoss`) a partir de logits e rótulos
#   inteiros, e também com alvos one-hot ou "suaves" (probabilidades).
# - Explicar por que `nn.CrossEntropyLoss` recebe **logits**, e não probabilidades, e ver o que
#   acontece quando se passa a saída de uma softmax.
# - Usar o **erro quadrático médio** (`nn.MSELoss`) em regressão.
# - Saber o que `reduction="mean"` e `reduction="sum"` fazem com a escala do gradiente.
# - Reconhecer as mensagens de erro mais comuns dessas perdas.
#
# Tempo estimado: 45 min (+ 15 min de aprofundamento opcional)

# %%
import math
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown]
# ## 1. As duas perdas desta aula
#
# - **`nn.CrossEntropyLoss`** (entropia cruzada), para **classificação** multiclasse: o modelo
#   devolve um número por classe, os **logits** (saídas brutas da última camada, sem
#   nenhuma ativação), e os rótulos (*labels*) dizem qual é a classe certa de cada amostra.
# - **`nn.MSELoss`** (erro quadrático médio, *mean squared error*), para **regressão**: o
#   modelo prevê números e a perda é a média dos quadrados das diferenças.
#
# As duas recebem um batch inteiro e devolvem um tensor **0-dim** (um único número): a média
# das perdas das amostras.

# %%
torch.manual_seed(0)

loss_function_ce = nn.CrossEntropyLoss()
logits = torch.randn(1, 10)  # um batch de 1 amostra e 10 classes
labels = torch.tensor([3])  # o rótulo: a amostra é da classe 3
loss_ce = loss_function_ce(logits, labels)
print(f"Perda com CrossEntropyLoss: {loss_ce:.4f}  (shape {tuple(loss_ce.shape)})")
print("dtype dos rótulos:", labels.dtype)

loss_function_mse = nn.MSELoss()
preds = torch.randn(5, 1)  # 5 predições de um problema de regressão
targets = torch.randn(5, 1)  # 5 valores-alvo, com o MESMO shape das predições
loss_mse = loss_function_mse(preds, targets)
print(f"Perda com MSELoss: {loss_mse:.4f}")

# %% [markdown]
# Repare no dtype dos rótulos: `torch.tensor([3])` é `torch.int64` (`torch.long`). Os rótulos
# da entropia cruzada são **índices inteiros** de classe, um por amostra, com shape `(N,)`; os
# logits têm shape `(N, C)`, uma linha por amostra e uma coluna por classe.
#
# ## 2. De logits a probabilidades: a softmax
#
# Os logits podem ser quaisquer números reais. A **softmax** os transforma em probabilidades
# (positivas, somando 1 em cada linha), preservando a ordem:
#
# $$\operatorname{softmax}(z)_c = \frac{e^{z_c}}{\sum_{k=1}^{C} e^{z_k}}.$$

# %%
z = torch.tensor([2.0, 1.0, 0.1])
p = torch.exp(z) / torch.exp(z).sum()
print("probabilidades:", p, " soma:", p.sum().item())
print("torch.softmax: ", torch.softmax(z, dim=0))

# %% [markdown]
# ### O problema numérico: `exp` estoura
#
# Em `float32`, $e^{89}$ já passa do maior número representável (cerca de $3{,}4 \cdot 10^{38}$)
# e vira `inf`. Logits grandes aparecem de verdade (um modelo muito confiante, uma taxa de
# aprendizado alta demais), e a conta ingênua devolve `nan`, porque $\infty / \infty$ não é
# definido:

# %%
z = torch.tensor([1000.0, 1001.0, 999.0])
print("exp(z):          ", torch.exp(z))
print("softmax ingênua: ", torch.exp(z) / torch.exp(z).sum())

# %% [markdown]
# A saída é um truque de uma linha. Somar a mesma constante $m$ a todos os logits não muda a
# softmax, porque o fator $e^{-m}$ aparece em cima e embaixo:
#
# $$\frac{e^{z_c - m}}{\sum_k e^{z_k - m}} = \frac{e^{-m}\,e^{z_c}}{e^{-m}\sum_k e^{z_k}}
#   = \operatorname{softmax}(z)_c.$$
#
# Com $m = \max_k z_k$, o maior expoente vira $0$: nada estoura (o maior termo é $e^0 = 1$) e o
# denominador é pelo menos 1, então também não há divisão por zero quando todos os logits são
# muito negativos.

# %%
shifted = z - z.max()
print("z - max(z):       ", shifted)
print("softmax estável:  ", torch.exp(shifted) / torch.exp(shifted).sum())
print("torch.softmax:    ", torch.softmax(z, dim=0))

# %% [markdown]
# ### Exercício 1 — `softmax` (2 pontos)
#
# Implemente `softmax(logits)` para um batch de logits com shape `(N, C)`: a softmax de **cada
# linha** (ao longo de `dim=1`), com o mesmo shape da entrada, cada linha somando 1.
#
# - Deve ser estável: logits da ordem de $10^4$ não podem produzir `nan` nem `inf`. Subtraia o
#   máximo **de cada linha** (`logits.max(dim=1, keepdim=True).values` ou `logits.amax(...)`;
#   `keepdim=True` mantém o shape `(N, 1)`, que se subtrai de `(N, C)` linha a linha).
# - Sem atalho: `torch.softmax`, `F.softmax`, `Tensor.softmax`, `torch.special.softmax`,
#   `nn.Softmax` e a família `log_softmax` falham dentro do teste. `torch.exp`,
#   `torch.logsumexp`, `sum`, `max` podem.
# - Não altere o tensor recebido (nada de `logits -= ...`).

# %% exercise="softmax"
def softmax(logits: torch.Tensor) -> torch.Tensor:
    """Softmax de cada linha de logits (N, C), estável para logits grandes."""
    ### BEGIN SOLUTION
    shifted = logits - logits.max(dim=1, keepdim=True).values
    exps = torch.exp(shifted)
    return exps / exps.sum(dim=1, keepdim=True)
    ### END SOLUTION


# %% test="test_softmax" points=1
import torch
from helpers.checks import (SOFTMAX_FAMILY, assert_close, assert_shape, expect, forbid,
                            named_mistake, quietly, reseed, runtime_error_as_failure)

_RUNTIME_HINT = ("Confira os shapes intermediários (o máximo e a soma de cada linha têm shape "
                 "(N, 1) com keepdim=True) e não altere logits in-place.")


def _check_softmax(z):
    ref = torch.softmax(z, dim=1)
    mistakes = {
        "A normalização foi feita ao longo da dimensão 0: cada LINHA é uma amostra.":
            torch.softmax(z, dim=0),
        "A normalização foi feita sobre o tensor inteiro: cada linha, sozinha, deve somar 1.":
            torch.softmax(z.flatten(), dim=0).reshape(z.shape),
    }
    z_in = z.clone().requires_grad_(True)
    with (runtime_error_as_failure(f"softmax falhou com logits de shape {tuple(z.shape)}",
                                   _RUNTIME_HINT),
          forbid(*SOFTMAX_FAMILY, namespace=globals())):
        out = quietly(softmax, z_in)
    assert_shape(out, z.shape, "softmax(logits)")
    expect(out.dtype == z.dtype, f"softmax(logits) tem dtype {out.dtype}, mas logits tem "
           f"{z.dtype}: o resultado deve manter o dtype da entrada.")
    expect(torch.equal(z_in.detach(), z) and z_in.requires_grad and z_in.grad is None,
           "softmax alterou o tensor recebido.")
    hint = named_mistake(out, mistakes, expected=ref)
    assert_close(out.sum(dim=1), torch.ones(z.shape[0], dtype=z.dtype),
                 "a soma de cada linha de softmax(logits)", hint=hint)
    assert_close(out, ref, "softmax(logits)", hint=hint)
    expect(out.requires_grad, "O resultado não rastreia gradientes: use operações do torch "
           "sobre logits, sem .detach(), .item() ou .numpy().")


_check_softmax(torch.tensor([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0], [-1.0, 3.0, 0.5]]))
reseed(0)
_check_softmax(torch.randn(5, 4) * 3)
_check_softmax(torch.randn(4, 6, dtype=torch.float64) * 3)
### BEGIN HIDDEN TESTS
reseed()
for _shape in [(1, 1), (1, 7), (9, 2), (16, 10)]:
    for _dtype in (torch.float32, torch.float64):
        _check_softmax(torch.randn(_shape, dtype=_dtype) * 4 + 1)
### END HIDDEN TESTS
print("softmax: testes visíveis OK")

# %% test="test_softmax_stable" points=1
import torch
from helpers.checks import (SOFTMAX_FAMILY, assert_close, assert_shape, expect, forbid,
                            quietly, reseed, runtime_error_as_failure)

_RUNTIME_HINT = ("Confira os shapes intermediários (o máximo e a soma de cada linha têm shape "
                 "(N, 1) com keepdim=True) e não altere logits in-place.")


def _softmax_quietly(z):
    with (runtime_error_as_failure(f"softmax falhou com logits de shape {tuple(z.shape)}",
                                   _RUNTIME_HINT),
          forbid(*SOFTMAX_FAMILY, namespace=globals())):
        return quietly(softmax, z.clone().requires_grad_(True))


def _matches(actual, expected):
    """Confere como os testes dos valores (tolerância do dtype), sem falhar."""
    try:
        torch.testing.assert_close(actual, expected, check_dtype=False)
    except (AssertionError, TypeError, ValueError):
        return False
    return True


def _stable_hint():
    """A dica numérica só vale se a resposta já confere com logits moderados."""
    z = torch.tensor([[2.0, 1.0, 0.1], [4.0, -4.0, 0.0], [-3.0, 0.0, 3.0], [1.0, 1.0, 1.0]])
    try:
        ok = all(_matches(_softmax_quietly(zz), torch.softmax(zz, dim=1))
                 for zz in (z, z.double()))
    except AssertionError:
        ok = False
    if not ok:
        return ("O resultado já não confere com logits moderados (veja test_softmax): "
                "corrija isso primeiro.")
    return ("Com logits moderados o resultado confere, então o problema é numérico: com "
            "logits grandes, exp estoura (inf) ou vira 0 em todos os termos (0/0 = nan). "
            "Subtraia o máximo de cada linha antes de exp.")


_HINT = _stable_hint()


def _check_softmax_large(z):
    out = _softmax_quietly(z)
    assert_shape(out, z.shape, "softmax(logits)")
    expect(bool(torch.isfinite(out).all()),
           "softmax(logits) tem nan ou inf com logits grandes. " + _HINT)
    assert_close(out, torch.softmax(z, dim=1), "softmax(logits) com logits grandes",
                 rtol=1e-3, atol=1e-3, hint=_HINT)


# exp(1000) estoura; numa linha com tudo perto de -10000, exp vira 0 e a divisão, 0/0
_check_softmax_large(torch.tensor([[1000.0, 1001.0, 999.0],
                                   [-10000.0, -10001.0, -10003.0],
                                   [10000.0, 0.0, -10000.0]]))
reseed(0)
_check_softmax_large(torch.randn(6, 5) * 1e4)
### BEGIN HIDDEN TESTS
reseed()
for _dtype in (torch.float32, torch.float64):
    _check_softmax_large(torch.randn(8, 10, dtype=_dtype) * 1e4)
    _check_softmax_large(torch.randn(5, 3, dtype=_dtype) - 1e4)  # todas as linhas bem negativas
    _check_softmax_large(torch.randn(5, 3, dtype=_dtype) + 1e4)
### END HIDDEN TESTS
print("softmax (logits grandes): testes visíveis OK")

# %% [markdown]
# ## 3. Entropia cruzada a partir de logits e rótulos inteiros
#
# Com $\hat y_i = \operatorname{softmax}(z_i)$ as probabilidades previstas para a amostra $i$,
# a entropia cruzada média de um batch de $N$ amostras e $C$ classes é
#
# $$L = -\frac{1}{N} \sum_{i=1}^{N} \sum_{c=1}^{C} y_{i,c} \log \hat y_{i,c},$$
#
# onde $y_{i,c}$ vale 1 se a amostra $i$ é da classe $c$ e 0 caso contrário. Com rótulos
# inteiros $t_i$ (a classe certa da amostra $i$), só um termo da soma interna sobrevive:
#
# $$L = -\frac{1}{N} \sum_{i=1}^{N} \log \hat y_{i,t_i}.$$
#
# Ou seja: a perda de uma amostra é menos o log da probabilidade que o modelo deu à classe
# certa. Probabilidade 1 dá perda 0; probabilidade perto de 0 dá perda enorme.
#
# ### O log da softmax sem calcular a softmax
#
# Tirar o log depois da softmax tem o mesmo problema numérico de antes, do outro lado: uma
# probabilidade pequena demais vira exatamente 0 em `float32`, e $\log 0 = -\infty$. Mas o log
# simplifica a conta:
#
# $$\log \hat y_{i,c} = z_{i,c} - \log \sum_{k} e^{z_{i,k}},$$
#
# e o segundo termo, o **log-sum-exp**, tem versão estável pronta: `torch.logsumexp` (que faz
# internamente o mesmo truque de subtrair o máximo).

# %%
z = torch.tensor([0.0, -200.0])
print("log(softmax(z)):       ", torch.log(torch.softmax(z, dim=0)))
print("z - logsumexp(z):      ", z - torch.logsumexp(z, dim=0))
big = torch.tensor([1000.0, 1001.0, 999.0])
print("log(sum(exp)) ingênuo: ", torch.log(torch.exp(big).sum()))
print("torch.logsumexp:       ", torch.logsumexp(big, dim=0))

# %% [markdown]
# ### Um elemento por linha: o da classe certa
#
# Falta escolher, em cada linha $i$, a coluna $t_i$. A indexação com dois tensores de índices
# faz isso: `a[torch.arange(N), t]` pega `a[0, t[0]]`, `a[1, t[1]]`, ... (`a.gather(1, ...)`
# faz o mesmo). Cuidado: `a[:, t]` é outra coisa, pega as colunas `t` de **todas** as linhas.

# %%
scores = torch.tensor([[10.0, 11.0, 12.0],
                       [20.0, 21.0, 22.0],
                       [30.0, 31.0, 32.0]])
t = torch.tensor([2, 0, 1])
print("a[arange(N), t]:  ", scores[torch.arange(3), t])
print("a.gather(1, ...): ", scores.gather(1, t.unsqueeze(1)).squeeze(1))
print("a[:, t] (outra coisa):\n", scores[:, t])

# %% [markdown]
# ### Exercício 2 — `cross_entropy` (4 pontos)
#
# Implemente `cross_entropy(logits, labels)`: a entropia cruzada **média** de um batch, a partir
# dos logits brutos `(N, C)` e dos rótulos `int64` de shape `(N,)`. Devolva um tensor **0-dim**
# que rastreie o gradiente (nada de `.item()`): valor e gradiente devem ser iguais aos de
# `nn.CrossEntropyLoss()(logits, labels)`, inclusive com logits da ordem de $10^4$.
#
# Sem atalho: `F.cross_entropy`, `nn.CrossEntropyLoss`, `F.nll_loss`, `nn.NLLLoss` e a família
# softmax / log_softmax do torch falham dentro do teste. `torch.logsumexp`, `gather`,
# indexação e `F.one_hot` podem.

# %% exercise="cross_entropy"
def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Entropia cruzada média (tensor 0-dim) de logits (N, C) e rótulos int64 (N,)."""
    ### BEGIN SOLUTION
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -log_probs[torch.arange(logits.shape[0]), labels].mean()
    ### END SOLUTION


# %% test="test_cross_entropy" points=2
import torch
from torch import nn
from helpers.checks import (CROSS_ENTROPY_SHORTCUTS, assert_close, expect, forbid,
                            named_mistake, quietly, reseed, runtime_error_as_failure)

_RUNTIME_HINT = ("Confira os shapes intermediários (um elemento por linha, o da classe "
                 "labels[i]; F.one_hot precisa de num_classes=C) e não altere logits in-place.")


def _ce_mistakes(z, y, ref):
    n, c = z.shape
    rows = torch.arange(n)
    # com N = 1, dividir a soma por C ou pelos N×C elementos dá o mesmo número
    by_classes = {
        "A média foi tirada sobre os N×C elementos: ela é só sobre as N amostras.": ref / c,
        "A soma foi dividida pelo número de classes C, e não pelo número de amostras N.":
            ref * n / c,
    } if n > 1 else {
        "A soma foi dividida por C (ou pelos N×C elementos): a média é só sobre as N "
        "amostras.": ref / c,
    }
    return by_classes | {
        "A perda foi somada sobre o batch em vez de tirar a média (o resultado é N× o "
        "esperado).": ref * n,
        "O sinal está trocado: a perda é MENOS o log da probabilidade da classe certa.": -ref,
        "Parece que a softmax foi aplicada duas vezes: a função recebe logits brutos, e o "
        "log-sum-exp já faz o papel da softmax.": nn.CrossEntropyLoss()(torch.softmax(z, 1), y),
        "A normalização foi feita ao longo da dimensão 0: cada LINHA é uma amostra.":
            -torch.log_softmax(z, 0)[rows, y].mean(),
        "logits[:, labels] pega as mesmas colunas em todas as linhas: use um elemento por "
        "linha, o da classe labels[i].": -torch.log_softmax(z, 1)[:, y].mean(),
    }


def _check_ce_value(z, y):
    ref = nn.CrossEntropyLoss()(z, y)
    with (runtime_error_as_failure(f"cross_entropy falhou com logits {tuple(z.shape)} e "
                                   f"rótulos {tuple(y.shape)}", _RUNTIME_HINT),
          forbid(*CROSS_ENTROPY_SHORTCUTS, namespace=globals())):
        out = quietly(cross_entropy, z.clone(), y.clone())
    expect(isinstance(out, torch.Tensor), "cross_entropy deve devolver um tensor (sem .item()), "
           f"mas devolveu {type(out).__name__}.")
    expect(out.dim() == 0, "cross_entropy deve devolver um tensor 0-dim (a média do batch), "
           f"mas o resultado tem shape {tuple(out.shape)}."
           + (" Faltou tirar a média das perdas das amostras." if out.shape == y.shape else ""))
    expect(out.dtype == z.dtype, f"cross_entropy devolveu dtype {out.dtype}, mas logits tem "
           f"{z.dtype}: o resultado deve manter o dtype dos logits.")
    assert_close(out, ref, "cross_entropy(logits, labels)",
                 hint=named_mistake(out, _ce_mistakes(z, y, ref), expected=ref))


# o exemplo do texto-base: uma amostra, 10 classes, rótulo 3
reseed(0)
_check_ce_value(torch.randn(1, 10), torch.tensor([3]))
_check_ce_value(torch.tensor([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 3.0],
                              [1.0, -1.0, 0.0]]), torch.tensor([0, 2, 2, 1]))
_check_ce_value(torch.randn(6, 5) * 2, torch.randint(0, 5, (6,)))
_check_ce_value(torch.randn(4, 3, dtype=torch.float64) * 2, torch.tensor([1, 0, 2, 1]))
### BEGIN HIDDEN TESTS
reseed()
for _n, _c in [(1, 2), (7, 3), (32, 10), (5, 100)]:
    for _dtype in (torch.float32, torch.float64):
        _check_ce_value(torch.randn(_n, _c, dtype=_dtype) * 3, torch.randint(0, _c, (_n,)))
### END HIDDEN TESTS
print("cross_entropy: testes visíveis OK")

# %% test="test_cross_entropy_grad" points=1
import torch
from torch import nn
from helpers.checks import (CROSS_ENTROPY_SHORTCUTS, assert_close, expect, forbid,
                            named_mistake, quietly, reseed, runtime_error_as_failure)

_RUNTIME_HINT = ("Confira os shapes intermediários (um elemento por linha, o da classe "
                 "labels[i]; F.one_hot precisa de num_classes=C) e não altere logits in-place.")


def _check_ce_grad(z, y):
    ref_in = z.clone().requires_grad_(True)
    nn.CrossEntropyLoss()(ref_in, y).backward()
    z_in = z.clone().requires_grad_(True)
    with (runtime_error_as_failure(f"cross_entropy falhou com logits {tuple(z.shape)} e "
                                   f"rótulos {tuple(y.shape)}", _RUNTIME_HINT),
          forbid(*CROSS_ENTROPY_SHORTCUTS, namespace=globals())):
        out = quietly(cross_entropy, z_in, y.clone())
    expect(isinstance(out, torch.Tensor) and out.dim() == 0,
           "cross_entropy deve devolver um tensor 0-dim.")
    expect(out.requires_grad, "O resultado não rastreia gradientes: use operações do torch "
           "sobre logits, sem .detach(), .item() ou .numpy().")
    with runtime_error_as_failure("backward() da perda devolvida por cross_entropy falhou",
                                  "Não altere in-place tensores que entram na conta."):
        out.backward()
    n, c = z.shape
    hint = named_mistake(z_in.grad, {
        "A perda foi somada sobre o batch em vez de tirar a média.": ref_in.grad * n,
        "A média foi tirada sobre os N×C elementos, e não sobre as N amostras.": ref_in.grad / c,
        "A soma foi dividida pelo número de classes C, e não pelo número de amostras N.":
            ref_in.grad * n / c,
    }, expected=ref_in.grad)
    assert_close(z_in.grad, ref_in.grad, "o gradiente de cross_entropy em relação aos logits",
                 hint=hint)


reseed(0)
_check_ce_grad(torch.randn(6, 4) * 2, torch.randint(0, 4, (6,)))
_check_ce_grad(torch.randn(5, 3, dtype=torch.float64), torch.tensor([2, 2, 0, 1, 0]))
### BEGIN HIDDEN TESTS
reseed()
for _n, _c in [(1, 3), (8, 10), (20, 2)]:
    for _dtype in (torch.float32, torch.float64):
        _check_ce_grad(torch.randn(_n, _c, dtype=_dtype) * 3, torch.randint(0, _c, (_n,)))
### END HIDDEN TESTS
print("cross_entropy (gradiente): testes visíveis OK")

# %% test="test_cross_entropy_stable" points=1
import torch
from torch import nn
from helpers.checks import (CROSS_ENTROPY_SHORTCUTS, assert_close, expect, forbid, quietly,
                            reseed, runtime_error_as_failure)

_RUNTIME_HINT = ("Confira os shapes intermediários (um elemento por linha, o da classe "
                 "labels[i]; F.one_hot precisa de num_classes=C) e não altere logits in-place.")


def _ce_and_grad(z, y):
    """Perda e gradiente da resposta, com os erros do torch explicados em português."""
    z_in = z.clone().requires_grad_(True)
    with (runtime_error_as_failure(f"cross_entropy falhou com logits {tuple(z.shape)} e "
                                   f"rótulos {tuple(y.shape)}", _RUNTIME_HINT),
          forbid(*CROSS_ENTROPY_SHORTCUTS, namespace=globals())):
        out = quietly(cross_entropy, z_in, y.clone())
        expect(isinstance(out, torch.Tensor) and out.dim() == 0,
               "cross_entropy deve devolver um tensor 0-dim.")
        expect(out.requires_grad, "O resultado não rastreia gradientes.")
        out.backward()
    return out, z_in.grad


def _matches(actual, expected):
    """Confere como os testes dos valores (tolerância do dtype), sem falhar."""
    try:
        torch.testing.assert_close(actual, expected, check_dtype=False)
    except (AssertionError, TypeError, ValueError):
        return False
    return True


def _moderate_ok(z, y):
    ref_in = z.clone().requires_grad_(True)
    ref = nn.CrossEntropyLoss()(ref_in, y)
    ref.backward()
    out, grad = _ce_and_grad(z, y)
    return _matches(out, ref) and _matches(grad, ref_in.grad)


def _stable_hint():
    """A dica numérica só vale se valor e gradiente já conferem com logits moderados."""
    # a linha [4, -4, 0] com rótulo 1 tem probabilidade ~3e-4: um eps dentro do log aparece
    z = torch.tensor([[2.0, 1.0, 0.1], [4.0, -4.0, 0.0], [0.0, 0.0, 3.0], [1.0, -1.0, 0.0]])
    y = torch.tensor([0, 1, 2, 1])
    try:
        ok = _moderate_ok(z, y) and _moderate_ok(z.double(), y)
    except AssertionError:
        ok = False
    if not ok:
        return ("O resultado já não confere com logits moderados (veja test_cross_entropy e "
                "test_cross_entropy_grad): corrija isso primeiro.")
    return ("Com logits moderados valor e gradiente conferem, então o problema é numérico: "
            "com logits grandes, exp estoura e log(softmax) dá log(0) = -inf. Calcule o log "
            "da probabilidade como logit menos o log-sum-exp da linha.")


_HINT = _stable_hint()


def _check_ce_large(z, y):
    ref_in = z.clone().requires_grad_(True)
    ref = nn.CrossEntropyLoss()(ref_in, y)
    ref.backward()
    out, grad = _ce_and_grad(z, y)
    expect(bool(torch.isfinite(out)),
           f"cross_entropy deu {out.detach().item()} com logits grandes. " + _HINT)
    assert_close(out, ref, "cross_entropy com logits grandes", rtol=1e-3, atol=1e-3, hint=_HINT)
    assert_close(grad, ref_in.grad, "o gradiente de cross_entropy com logits grandes",
                 rtol=1e-3, atol=1e-3, hint=_HINT)


_check_ce_large(torch.tensor([[10000.0, 0.0, -10000.0], [1000.0, 1001.0, 999.0],
                              [-10000.0, -10001.0, -10002.0]]), torch.tensor([2, 1, 2]))
reseed(0)
_check_ce_large(torch.randn(6, 5) * 1e4, torch.randint(0, 5, (6,)))
### BEGIN HIDDEN TESTS
reseed()
for _dtype in (torch.float32, torch.float64):
    _check_ce_large(torch.randn(10, 7, dtype=_dtype) * 1e4, torch.randint(0, 7, (10,)))
    _check_ce_large(torch.randn(4, 3, dtype=_dtype) - 1e4, torch.randint(0, 3, (4,)))
### END HIDDEN TESTS
print("cross_entropy (logits grandes): testes visíveis OK")

# %% [markdown]
# ## 4. Por que logits, e não probabilidades
#
# `nn.CrossEntropyLoss` já faz a softmax por dentro (ela é log-softmax seguida da
# *negative log-likelihood*). Se o modelo termina com uma softmax e a saída dele vai para a
# perda, a softmax é aplicada **duas vezes**. Nada quebra, não há mensagem de erro, e a perda
# tem valores de aparência normal. Veja uma amostra em que o modelo está confiante e
# **errado** (o rótulo é a classe 2, a que ele acha menos provável):

# %%
label = torch.tensor([2])
z_right = torch.tensor([[8.0, 0.0, -8.0]], requires_grad=True)
z_double = torch.tensor([[8.0, 0.0, -8.0]], requires_grad=True)

loss_right = nn.CrossEntropyLoss()(z_right, label)  # logits: o uso certo
loss_double = nn.CrossEntropyLoss()(torch.softmax(z_double, dim=1), label)  # softmax duas vezes
loss_right.backward()
loss_double.backward()
print(f"logits:           perda = {loss_right.item():7.4f}   gradiente = {z_right.grad}")
print(f"softmax na perda: perda = {loss_double.item():7.4f}   gradiente = {z_double.grad}")

# %% [markdown]
# Com logits, a perda é 16 e o gradiente é $\hat y - y \approx (1, 0, -1)$: um erro grande
# empurra forte. Com a softmax dupla a perda parece moderada (cerca de 1,55) e o gradiente é
# quase zero: justamente as amostras mais erradas são as que menos ensinam. Além disso, as
# "probabilidades" entram na segunda softmax como logits entre 0 e 1, então a perda nunca passa
# de um piso: com $C$ classes e o modelo 100% certo ela ainda vale $\log(1 + (C-1)/e)$,
# cerca de 1,46 para 10 classes.
#
# Num treino pequeno (um classificador linear de 10 classes em pontos 2-D, SGD, mesmas
# condições) a diferença aparece na acurácia:

# %%
torch.manual_seed(0)
n_points, n_classes = 500, 10
centers = torch.randn(n_classes, 2) * 4
y_blobs = torch.randint(0, n_classes, (n_points,))
x_blobs = centers[y_blobs] + torch.randn(n_points, 2)


def train_blobs(double_softmax, steps=200, lr=0.5):
    torch.manual_seed(1)  # os mesmos pesos iniciais nos dois treinos
    model = nn.Linear(2, n_classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    history = {"perda vista": [], "acurácia": []}
    for _ in range(steps):
        out = model(x_blobs)
        if double_softmax:
            out = torch.softmax(out, dim=1)  # o erro: probabilidades na perda
        loss = loss_fn(out, y_blobs)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            accuracy = (model(x_blobs).argmax(dim=1) == y_blobs).float().mean()
        history["perda vista"].append(loss.item())
        history["acurácia"].append(accuracy.item())
    return history


runs = {"logits (certo)": train_blobs(False), "softmax + CrossEntropyLoss": train_blobs(True)}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.5))
for name, history in runs.items():
    for ax, key in zip(axes, history):
        ax.plot(history[key], label=name)
        ax.set_title(key)
        ax.set_xlabel("passo do otimizador")
axes[0].axhline(math.log(1 + (n_classes - 1) / math.e), color="gray", ls="--", lw=1,
                label="piso da softmax dupla")
axes[0].legend()
plt.show()
for name, history in runs.items():
    print(f"{name:27}: perda vista {history['perda vista'][-1]:.3f}, "
          f"acurácia final {history['acurácia'][-1]:.1%}")

# %% [markdown]
# A perda que o treino errado vê ("perda vista") fica parada por volta de 2, acima do piso, e
# não diz nada de útil; a acurácia fica muito atrás.
#
# Regra: **o modelo devolve logits** (sem softmax no fim), a perda recebe logits, e a softmax
# só aparece quando você quer ler probabilidades (`torch.softmax(model(x), dim=1)`, por
# exemplo para mostrar a confiança de uma previsão). Para a classe prevista nem isso é
# preciso: o `argmax` dos logits é o mesmo da softmax.
#
# ## 5. Alvos one-hot e alvos suaves
#
# A fórmula geral, com $y_{i,c}$ dentro da soma, aceita qualquer distribuição de
# probabilidade como alvo, não só "1 na classe certa". Um alvo **one-hot** (uma linha com um 1
# e o resto 0) dá exatamente a perda dos rótulos inteiros; um alvo **suave** (*soft target*),
# como `[0.7, 0.2, 0.1]`, aparece em destilação de modelos, em misturas de imagens (*mixup*) e
# no *label smoothing*. Desde o PyTorch 1.10, `nn.CrossEntropyLoss` aceita alvos assim: um
# tensor **float** `(N, C)` com o shape dos logits, em vez dos índices `(N,)`.

# %%
torch.manual_seed(0)
logits = torch.randn(4, 3)
labels = torch.tensor([0, 2, 1, 2])
one_hot = F.one_hot(labels, num_classes=3).float()  # F.one_hot devolve int64: converta
print("one-hot:\n", one_hot)
print("com índices:", nn.CrossEntropyLoss()(logits, labels).item())
print("com one-hot:", nn.CrossEntropyLoss()(logits, one_hot).item())

soft = torch.tensor([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5], [0.1, 0.8, 0.1], [0.0, 0.0, 1.0]])
print("com alvos suaves:", nn.CrossEntropyLoss()(logits, soft).item())

# %% [markdown]
# ### Exercício 3 — `cross_entropy_onehot` (2 pontos)
#
# Implemente `cross_entropy_onehot(logits, targets)` com a fórmula geral
# $-\frac{1}{N}\sum_i\sum_c y_{i,c}\log \hat y_{i,c}$: `targets` tem o shape `(N, C)` dos logits
# e cada linha é uma distribuição de probabilidade (one-hot ou suave). Devolva um tensor 0-dim
# igual a `nn.CrossEntropyLoss()(logits, targets)`, estável para logits da ordem de $10^3$.
# Mesmas proibições do exercício anterior.
#
# Dica: um alvo 0 multiplicado por $\log \hat y = -\infty$ dá `nan`; com o log calculado pelo
# log-sum-exp esse $-\infty$ nunca aparece.

# %% exercise="cross_entropy_onehot"
def cross_entropy_onehot(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Entropia cruzada média (tensor 0-dim) de logits (N, C) e alvos-probabilidade (N, C)."""
    ### BEGIN SOLUTION
    log_probs = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    return -(targets * log_probs).sum(dim=1).mean()
    ### END SOLUTION


# %% test="test_cross_entropy_onehot" points=1
import torch
from torch import nn
from torch.nn import functional as F
from helpers.checks import (CROSS_ENTROPY_SHORTCUTS, assert_close, expect, forbid,
                            named_mistake, quietly, reseed, runtime_error_as_failure)

_RUNTIME_HINT = ("Confira os shapes intermediários (o log-sum-exp de cada linha tem shape "
                 "(N, 1) com keepdim=True; targets tem o shape (N, C) dos logits) e não altere "
                 "logits in-place.")


def _check_onehot(z, t):
    n, c = z.shape
    ref_in = z.clone().requires_grad_(True)
    ref = nn.CrossEntropyLoss()(ref_in, t)
    ref.backward()
    mistakes = {
        "A perda foi somada sobre o batch em vez de tirar a média (o resultado é N× o "
        "esperado).": ref * n,
        "A média foi tirada sobre os N×C elementos: ela é só sobre as N amostras.": ref / c,
        "A soma foi dividida pelo número de classes C, e não pelo número de amostras N.":
            ref * n / c,
        "O sinal está trocado: repare no menos da fórmula.": -ref,
        "Parece que a softmax foi aplicada duas vezes: a função recebe logits brutos.":
            nn.CrossEntropyLoss()(torch.softmax(z, 1), t),
        "A normalização foi feita ao longo da dimensão 0: cada LINHA é uma amostra.":
            -(t * torch.log_softmax(z, 0)).sum() / n,
        "Com alvos suaves, todas as classes entram na soma, cada uma com o seu peso y_ic, "
        "e não só a classe de maior alvo.": nn.CrossEntropyLoss()(z, t.argmax(1)),
    }
    z_in = z.clone().requires_grad_(True)
    t_in = t.clone()
    with (runtime_error_as_failure(f"cross_entropy_onehot falhou com logits {tuple(z.shape)} e "
                                   f"alvos {tuple(t.shape)}", _RUNTIME_HINT),
          forbid(*CROSS_ENTROPY_SHORTCUTS, namespace=globals())):
        out = quietly(cross_entropy_onehot, z_in, t_in)
    expect(isinstance(out, torch.Tensor) and out.dim() == 0,
           "cross_entropy_onehot deve devolver um tensor 0-dim (a média do batch), mas "
           f"devolveu {tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__}.")
    expect(torch.equal(z_in.detach(), z) and torch.equal(t_in, t),
           "cross_entropy_onehot alterou logits ou targets recebidos.")
    assert_close(out, ref, "cross_entropy_onehot(logits, targets)",
                 hint=named_mistake(out, mistakes, expected=ref))
    expect(out.requires_grad, "O resultado não rastreia gradientes: use operações do torch "
           "sobre logits, sem .detach(), .item() ou .numpy().")
    with runtime_error_as_failure("backward() da perda devolvida por cross_entropy_onehot "
                                  "falhou", "Não altere in-place tensores que entram na conta."):
        out.backward()
    assert_close(z_in.grad, ref_in.grad, "o gradiente de cross_entropy_onehot")


reseed(0)
_z = torch.randn(5, 4) * 2
_check_onehot(_z, F.one_hot(torch.tensor([0, 3, 1, 1, 2]), 4).float())  # one-hot
_check_onehot(_z, torch.softmax(torch.randn(5, 4), dim=1))  # alvos suaves
_check_onehot(torch.randn(3, 6, dtype=torch.float64),
              F.one_hot(torch.tensor([5, 0, 2]), 6).double())
### BEGIN HIDDEN TESTS
reseed()
for _n, _c in [(1, 2), (8, 10), (16, 3)]:
    for _dtype in (torch.float32, torch.float64):
        _z = torch.randn(_n, _c, dtype=_dtype) * 3
        _check_onehot(_z, F.one_hot(torch.randint(0, _c, (_n,)), _c).to(_dtype))
        _check_onehot(_z, torch.softmax(torch.randn(_n, _c, dtype=_dtype) * 2, dim=1))
### END HIDDEN TESTS
print("cross_entropy_onehot: testes visíveis OK")

# %% test="test_cross_entropy_onehot_stable" points=1
import torch
from torch import nn
from torch.nn import functional as F
from helpers.checks import (CROSS_ENTROPY_SHORTCUTS, assert_close, expect, forbid, quietly,
                            reseed, runtime_error_as_failure)

_RUNTIME_HINT = ("Confira os shapes intermediários (o log-sum-exp de cada linha tem shape "
                 "(N, 1) com keepdim=True; targets tem o shape (N, C) dos logits) e não altere "
                 "logits in-place.")


def _onehot_and_grad(z, t):
    """Perda e gradiente da resposta, com os erros do torch explicados em português."""
    z_in = z.clone().requires_grad_(True)
    with (runtime_error_as_failure(f"cross_entropy_onehot falhou com logits {tuple(z.shape)} e "
                                   f"alvos {tuple(t.shape)}", _RUNTIME_HINT),
          forbid(*CROSS_ENTROPY_SHORTCUTS, namespace=globals())):
        out = quietly(cross_entropy_onehot, z_in, t.clone())
        expect(isinstance(out, torch.Tensor) and out.dim() == 0,
               "cross_entropy_onehot deve devolver um tensor 0-dim.")
        expect(out.requires_grad, "O resultado não rastreia gradientes.")
        out.backward()
    return out, z_in.grad


def _matches(actual, expected):
    """Confere como os testes dos valores (tolerância do dtype), sem falhar."""
    try:
        torch.testing.assert_close(actual, expected, check_dtype=False)
    except (AssertionError, TypeError, ValueError):
        return False
    return True


def _moderate_ok(z, t):
    ref_in = z.clone().requires_grad_(True)
    ref = nn.CrossEntropyLoss()(ref_in, t)
    ref.backward()
    out, grad = _onehot_and_grad(z, t)
    return _matches(out, ref) and _matches(grad, ref_in.grad)


def _stable_hint():
    """A dica numérica só vale se valor e gradiente já conferem com logits moderados."""
    # a linha [4, -4, 0] com alvo na classe 1 tem probabilidade ~3e-4: um eps no log aparece
    z = torch.tensor([[2.0, 1.0, 0.1], [4.0, -4.0, 0.0], [0.0, 0.0, 3.0]])
    t = torch.tensor([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    try:
        ok = _moderate_ok(z, t) and _moderate_ok(z.double(), t.double())
    except AssertionError:
        ok = False
    if not ok:
        return ("O resultado já não confere com logits moderados (veja "
                "test_cross_entropy_onehot): corrija isso primeiro.")
    return ("Com logits moderados valor e gradiente conferem, então o problema é numérico: "
            "com logits grandes, log(softmax) dá log(0) = -inf (e 0 × -inf = nan). Calcule o "
            "log da probabilidade como logit menos o log-sum-exp da linha.")


_HINT = _stable_hint()


def _check_onehot_large(z, t):
    ref_in = z.clone().requires_grad_(True)
    ref = nn.CrossEntropyLoss()(ref_in, t)
    ref.backward()
    out, grad = _onehot_and_grad(z, t)
    expect(bool(torch.isfinite(out)),
           f"cross_entropy_onehot deu {out.detach().item()} com logits grandes. " + _HINT)
    assert_close(out, ref, "cross_entropy_onehot com logits grandes", rtol=1e-3, atol=1e-3,
                 hint=_HINT)
    assert_close(grad, ref_in.grad, "o gradiente de cross_entropy_onehot com logits grandes",
                 rtol=1e-3, atol=1e-3, hint=_HINT)


_check_onehot_large(torch.tensor([[1000.0, 0.0, -1000.0], [-1000.0, -1001.0, -999.0]]),
                    torch.tensor([[0.0, 0.0, 1.0], [0.5, 0.0, 0.5]]))
reseed(0)
_z = torch.randn(6, 5) * 1e3
_check_onehot_large(_z, F.one_hot(torch.randint(0, 5, (6,)), 5).float())
_check_onehot_large(_z, torch.softmax(torch.randn(6, 5), dim=1))
### BEGIN HIDDEN TESTS
reseed()
for _dtype in (torch.float32, torch.float64):
    _z = torch.randn(10, 7, dtype=_dtype) * 1e3
    _check_onehot_large(_z, F.one_hot(torch.randint(0, 7, (10,)), 7).to(_dtype))
    _check_onehot_large(_z, torch.softmax(torch.randn(10, 7, dtype=_dtype), dim=1))
### END HIDDEN TESTS
print("cross_entropy_onehot (logits grandes): testes visíveis OK")

# %% [markdown]
# ## 6. Regressão: `nn.MSELoss`
#
# Quando o modelo prevê números (um preço, uma temperatura, uma coordenada), a perda mais comum
# é o erro quadrático médio:
#
# $$L = \frac{1}{N} \sum_{i=1}^{N} (y_i - \hat y_i)^2,$$
#
# onde $y_i$ é o valor real e $\hat y_i$ o previsto. Quando cada amostra tem várias saídas
# (shape `(N, D)`), `nn.MSELoss` tira a média sobre **todos** os $N \cdot D$ elementos.
# Predição e alvo devem ter o **mesmo shape** (veja em "Erros comuns" o que acontece quando
# não têm).

# %%
torch.manual_seed(0)
pred = torch.randn(4, 2)
target = torch.randn(4, 2)
print("nn.MSELoss:       ", nn.MSELoss()(pred, target).item())
print("média dos quadrados:", ((pred - target) ** 2).sum().item() / pred.numel())

# %% [markdown]
# ### Exercício 4 — `mse` (2 pontos)
#
# Implemente `mse(pred, target)`: o erro quadrático médio entre dois tensores do mesmo shape
# (qualquer shape), como tensor 0-dim, com valor e gradiente iguais aos de `nn.MSELoss()`.
# Sem atalho: `F.mse_loss` e `nn.MSELoss` falham dentro do teste.

# %% exercise="mse"
def mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Erro quadrático médio (tensor 0-dim) entre pred e target do mesmo shape."""
    ### BEGIN SOLUTION
    return ((pred - target) ** 2).mean()
    ### END SOLUTION


# %% test="test_mse" points=1
import torch
from torch import nn
from helpers.checks import (assert_close, expect, forbid, named_mistake, quietly, reseed,
                            runtime_error_as_failure)

_RUNTIME_HINT = ("pred e target já chegam com o mesmo shape: não transponha nem mude o shape "
                 "deles, e não os altere in-place.")


def _check_mse(pred, target):
    ref = nn.MSELoss()(pred, target)
    diff = pred - target
    mistakes = {
        "A perda foi somada em vez de tirar a média (o resultado é numel× o esperado).":
            ref * pred.numel(),
        "Há um 1/2 a mais: é a média dos quadrados, sem fator.": ref / 2,
        "Faltou elevar as diferenças ao quadrado.": diff.mean(),
        "Faltou elevar as diferenças ao quadrado (e o sinal de pred - target importa aí).":
            -diff.mean(),
        "Isso é o erro ABSOLUTO médio: eleve as diferenças ao quadrado.": diff.abs().mean(),
        "Isso é a raiz do erro quadrático médio: não tire a raiz.": ref.sqrt(),
        "A média é sobre todos os elementos (numel), não só sobre a primeira dimensão.":
            ref * pred.numel() / pred.shape[0],
    }
    p_in, t_in = pred.clone(), target.clone()
    with (runtime_error_as_failure(f"mse falhou com tensores de shape {tuple(pred.shape)}",
                                   _RUNTIME_HINT),
          forbid("torch.nn.functional.mse_loss", "torch.nn.MSELoss", namespace=globals())):
        out = quietly(mse, p_in, t_in)
    expect(torch.equal(p_in, pred) and torch.equal(t_in, target)
           and not p_in.requires_grad and not t_in.requires_grad,
           "mse alterou pred ou target recebidos: calcule a perda em tensores novos, sem "
           "operações in-place nem requires_grad_ nas entradas.")
    expect(isinstance(out, torch.Tensor), "mse deve devolver um tensor (sem .item()), mas "
           f"devolveu {type(out).__name__}.")
    expect(out.dim() == 0, "mse deve devolver um tensor 0-dim (a média de todos os elementos), "
           f"mas o resultado tem shape {tuple(out.shape)}.")
    assert_close(out, ref, f"mse(pred, target) com shape {tuple(pred.shape)}",
                 hint=named_mistake(out, mistakes, expected=ref))


reseed(0)
_check_mse(torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.5, 1.0, 3.0, 6.0]))
_check_mse(torch.randn(5, 1), torch.randn(5, 1))  # o exemplo do texto-base
_check_mse(torch.randn(4, 3), torch.randn(4, 3))
_check_mse(torch.randn(6, dtype=torch.float64), torch.randn(6, dtype=torch.float64))
### BEGIN HIDDEN TESTS
reseed()
for _shape in [(1,), (10,), (7, 1), (3, 5), (2, 3, 4)]:
    for _dtype in (torch.float32, torch.float64):
        _check_mse(torch.randn(_shape, dtype=_dtype) * 3, torch.randn(_shape, dtype=_dtype))
### END HIDDEN TESTS
print("mse: testes visíveis OK")

# %% test="test_mse_grad" points=1
import torch
from torch import nn
from helpers.checks import (assert_close, expect, forbid, named_mistake, quietly, reseed,
                            runtime_error_as_failure)

_RUNTIME_HINT = ("pred e target já chegam com o mesmo shape: não transponha nem mude o shape "
                 "deles, e não os altere in-place.")


def _check_mse_grad(pred, target):
    ref_in = pred.clone().requires_grad_(True)
    nn.MSELoss()(ref_in, target).backward()
    p_in = pred.clone().requires_grad_(True)
    t_in = target.clone()
    with (runtime_error_as_failure(f"mse falhou com tensores de shape {tuple(pred.shape)}",
                                   _RUNTIME_HINT),
          forbid("torch.nn.functional.mse_loss", "torch.nn.MSELoss", namespace=globals())):
        out = quietly(mse, p_in, t_in)
    expect(torch.equal(p_in.detach(), pred) and torch.equal(t_in, target)
           and p_in.requires_grad and not t_in.requires_grad,
           "mse alterou pred ou target recebidos: calcule a perda em tensores novos, sem "
           "operações in-place nem requires_grad_ nas entradas.")
    expect(isinstance(out, torch.Tensor) and out.dim() == 0, "mse deve devolver um tensor 0-dim.")
    expect(out.requires_grad, "O resultado não rastreia gradientes: use operações do torch "
           "sobre pred, sem .detach(), .item() ou .numpy().")
    with runtime_error_as_failure("backward() da perda devolvida por mse falhou",
                                  "Não altere in-place tensores que entram na conta."):
        out.backward()
    hint = named_mistake(p_in.grad, {
        "A perda foi somada em vez de tirar a média.": ref_in.grad * pred.numel(),
        "Há um 1/2 a mais na perda.": ref_in.grad / 2,
        "A média é sobre todos os elementos (numel), não só sobre a primeira dimensão.":
            ref_in.grad * pred.numel() / pred.shape[0],
    }, expected=ref_in.grad)
    assert_close(p_in.grad, ref_in.grad, "o gradiente de mse em relação a pred", hint=hint)


reseed(0)
_check_mse_grad(torch.randn(8, 1), torch.randn(8, 1))
_check_mse_grad(torch.randn(4, 3, dtype=torch.float64), torch.randn(4, 3, dtype=torch.float64))
### BEGIN HIDDEN TESTS
reseed()
for _shape in [(1,), (12,), (5, 2), (2, 3, 4)]:
    for _dtype in (torch.float32, torch.float64):
        _check_mse_grad(torch.randn(_shape, dtype=_dtype) * 2, torch.randn(_shape, dtype=_dtype))
### END HIDDEN TESTS
print("mse (gradiente): testes visíveis OK")

# %% [markdown]
# ## 7. `reduction`: média ou soma
#
# Todas as perdas de `torch.nn` têm o argumento `reduction`: `"mean"` (o padrão) tira a média
# das perdas das amostras, `"sum"` soma, e `"none"` devolve a perda de cada amostra, shape
# `(N,)`. O valor muda por um fator $N$, e o **gradiente também**:

# %%
torch.manual_seed(0)
N = 32
logits = torch.randn(N, 10, requires_grad=True)
labels = torch.randint(0, 10, (N,))

grads = {}
for reduction in ("mean", "sum"):
    logits.grad = None
    nn.CrossEntropyLoss(reduction=reduction)(logits, labels).backward()
    grads[reduction] = logits.grad.clone()
    print(f"reduction={reduction!r:7}: norma do gradiente = {grads[reduction].norm():.4f}")
ratio = grads["sum"] / grads["mean"]
print(f"razão sum/mean: entre {ratio.min():.4f} e {ratio.max():.4f}  (N = {N})")
print("por amostra (reduction='none'):",
      tuple(nn.CrossEntropyLoss(reduction="none")(logits, labels).shape))

# %% [markdown]
# Com `"sum"`, dobrar o batch dobra o gradiente, e a taxa de aprendizado boa passa a depender do
# tamanho do batch. Com `"mean"` o gradiente tem a mesma escala para qualquer $N$: é por isso
# que é o padrão, e é o que os seus exercícios devolvem.
#
# ## 8. Erros comuns
#
# Cada célula abaixo provoca o erro de verdade (capturado, para o notebook seguir) e imprime a
# mensagem como o PyTorch a escreve.
#
# **Número de rótulos diferente do batch.** Os logits têm 4 linhas e há 3 rótulos (um batch
# cortado de um lado só, ou rótulos de outro batch):

# %%
logits = torch.randn(4, 3)
try:
    nn.CrossEntropyLoss()(logits, torch.tensor([0, 2, 1]))
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# Causa e correção: logits `(N, C)` e rótulos `(N,)` precisam do mesmo $N$. Confira
# `logits.shape` e `labels.shape` lado a lado; se o modelo achatou a entrada errado (por
# exemplo `x.view(-1, 784)` num tensor que não tinha 784 valores por amostra), o $N$ dos logits
# muda.
#
# **Rótulos float usados como índices de classe.**

# %%
labels_float = torch.tensor([0.0, 2.0, 1.0, 1.0])
try:
    nn.CrossEntropyLoss()(logits, labels_float)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Causa: rótulos de shape `(N,)` são índices de classe, e índices precisam ser inteiros
# (`int64`); eles vieram `float` (de um `numpy` float, de uma conta, de um
# `torch.tensor([0., 2., ...])`). Correção: `labels.long()`. `int32` também é recusado, com a
# mesma mensagem terminando em `got Int`.
#
# **One-hot com o dtype errado.** `F.one_hot` devolve `int64`; passado direto como alvo de
# probabilidades (shape `(N, C)`):

# %%
try:
    nn.CrossEntropyLoss()(logits, F.one_hot(torch.tensor([0, 2, 1, 1]), num_classes=3))
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Causa: com shape `(N, C)` o alvo é lido como probabilidades, que precisam ser float.
# Correção: `.float()` (ou, melhor ainda, passe os índices `(N,)` direto, sem one-hot).
#
# **Rótulos com shape `(N, 1)`.** Vêm de um `DataFrame` ou de um `unsqueeze` a mais:

# %%
try:
    nn.CrossEntropyLoss()(logits, torch.tensor([[0], [2], [1], [1]]))
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Correção: `labels.squeeze(1)` (ou `labels.view(-1)`), para o shape `(N,)`.
#
# **Rótulo fora do intervalo.** Com $C$ classes os rótulos vão de $0$ a $C-1$; classes
# numeradas de 1 a $C$ dão:

# %%
try:
    nn.CrossEntropyLoss()(logits, torch.tensor([1, 2, 3, 1]))
except IndexError as err:
    print("IndexError:", err)

# %% [markdown]
# Correção: subtraia 1 dos rótulos (ou confira se a última camada tem mesmo $C$ saídas). Na GPU
# esse erro aparece como um `device-side assert`, bem menos claro: vale testar na CPU.
#
# **`MSELoss` com shapes `(N, 1)` e `(N,)`.** Esse não dá erro, só um aviso, e o resultado está
# errado: o broadcasting transforma as $N$ diferenças numa matriz $N \times N$ (todas as
# predições contra todos os alvos).

# %%
torch.manual_seed(0)
pred = torch.randn(5, 1)  # saída de nn.Linear(..., 1)
target = torch.randn(5)  # alvos lidos como um vetor
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    wrong = nn.MSELoss()(pred, target)
for w in caught:
    print(f"{w.category.__name__}: {w.message}")
right = nn.MSELoss()(pred.squeeze(1), target)
print(f"perda com broadcasting: {wrong:.4f}   perda certa: {right:.4f}")

# %% [markdown]
# Correção: deixe os dois com o mesmo shape (`pred.squeeze(1)` ou `target.unsqueeze(1)`).
# Leve esse aviso a sério: o treino roda, a perda diminui, e o modelo aprende a prever a média
# dos alvos.
#
# **Softmax antes da `CrossEntropyLoss`.** Não dá erro nem aviso: veja a seção 4. Se o seu
# modelo termina em `nn.Softmax`, tire essa camada.
#
# ## Aprofundamento (opcional): o gradiente da entropia cruzada
#
# Para uma amostra com logits $z$, alvo $y$ (one-hot ou suave, somando 1) e
# $\hat y = \operatorname{softmax}(z)$, a perda é $\ell = -\sum_c y_c z_c + \log\sum_k e^{z_k}$.
# Derivando, $\partial \ell / \partial z_c = -y_c + e^{z_c}/\sum_k e^{z_k}$, ou seja:
#
# $$\nabla_z \ell = \hat y - y.$$
#
# É a conta mais bonita do aprendizado profundo: o gradiente é a diferença entre o que o modelo
# previu e o que devia prever (na média do batch, dividida por $N$). Ele nunca passa de 1 em
# módulo, e é grande exatamente quando o modelo está errado, o oposto do que vimos com a
# softmax dupla.

# %%
torch.manual_seed(0)
logits = torch.randn(4, 3, requires_grad=True)
labels = torch.tensor([0, 2, 1, 2])
nn.CrossEntropyLoss()(logits, labels).backward()
by_hand = (torch.softmax(logits, dim=1) - F.one_hot(labels, 3).float()) / len(labels)
print("autograd:\n", logits.grad)
print("(ŷ - y) / N:\n", by_hand.detach())

# %% [markdown]
# ## Aprofundamento (opcional): `log_softmax` + `NLLLoss` e *label smoothing*
#
# `nn.CrossEntropyLoss` é, por dentro, `nn.LogSoftmax(dim=1)` seguida de `nn.NLLLoss` (que só
# escolhe $-\log \hat y_{i,t_i}$ e tira a média). Alguns modelos terminam em `LogSoftmax` e
# usam `NLLLoss`: é equivalente e estável. O que não se faz é `Softmax` + `CrossEntropyLoss`.
#
# O argumento `label_smoothing=ε` troca o alvo one-hot por $(1-\varepsilon)\,y + \varepsilon/C$:
# a classe certa fica com um pouco menos de 1 e as outras com um pouco mais de 0. O modelo
# deixa de ser recompensado por logits cada vez maiores, o que costuma ajudar contra
# overfitting em classificadores grandes.

# %%
torch.manual_seed(0)
logits = torch.randn(5, 4)
labels = torch.tensor([0, 3, 1, 1, 2])
log_probs = nn.LogSoftmax(dim=1)(logits)
print("CrossEntropyLoss:        ", nn.CrossEntropyLoss()(logits, labels).item())
print("LogSoftmax + NLLLoss:    ", nn.NLLLoss()(log_probs, labels).item())

eps, n_classes = 0.1, 4
smoothed = (1 - eps) * F.one_hot(labels, n_classes).float() + eps / n_classes
print("label_smoothing=0.1:     ", nn.CrossEntropyLoss(label_smoothing=eps)(logits, labels).item())
print("alvos suavizados à mão:  ", nn.CrossEntropyLoss()(logits, smoothed).item())

# %% [markdown]
# ## Resumo
#
# - A **softmax** transforma logits em probabilidades; subtrair o máximo de cada linha não muda
#   o resultado e evita `inf`/`nan`.
# - A **entropia cruzada** é $-\frac{1}{N}\sum_i\sum_c y_{i,c}\log\hat y_{i,c}$; com rótulos
#   inteiros, $-\frac1N\sum_i \log\hat y_{i,t_i}$. O log da softmax se calcula como
#   $z - \operatorname{logsumexp}(z)$, estável para logits enormes.
# - `nn.CrossEntropyLoss` recebe **logits** e rótulos `int64` `(N,)`, ou alvos float `(N, C)`
#   (one-hot, suaves). Softmax antes dela não dá erro, mas encolhe os gradientes e piora o
#   treino.
# - `nn.MSELoss` é a média dos quadrados das diferenças, para regressão; predição e alvo com o
#   mesmo shape.
# - `reduction="sum"` multiplica perda e gradiente por $N$; `"mean"` (o padrão) mantém a
#   escala independente do batch.
#
# Na próxima aula, os **otimizadores** (SGD com momentum e Adam): o que eles fazem com o
# gradiente que essas perdas produzem.
