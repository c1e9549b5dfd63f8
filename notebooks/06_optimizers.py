# %% [markdown]
# # Aula 06 — Otimizadores: SGD, momentum, weight decay e Adam
#
# Nas aulas anteriores calculamos gradientes (aulas 02 e 03), montamos modelos (aula 04) e
# medimos o erro deles com funções de perda (aula 05). Falta a peça que **muda os pesos**: o
# otimizador. Nesta aula você usa os otimizadores do `torch.optim` e escreve os seus próprios,
# SGD com momentum e Adam, como subclasses de `torch.optim.Optimizer`, conferindo passo a passo
# que eles fazem exatamente o mesmo que os do PyTorch.
#
# **Objetivos**
#
# - Escrever o ciclo de cada passo de treino: `zero_grad`, forward, `backward`, `step`.
# - Entender a regra do SGD com **momentum** e **weight decay** e a do **Adam** (médias móveis,
#   correção de viés, $\varepsilon$), a ponto de implementá-las.
# - Implementar um otimizador como subclasse de `torch.optim.Optimizer` (`defaults`,
#   `param_groups`, `self.state`, `step()` sob `torch.no_grad()`).
# - Ver, num gráfico, o que a taxa de aprendizado e o momentum fazem com o caminho do otimizador.
# - Reconhecer os erros comuns: lista de parâmetros vazia, `zero_grad` esquecido, `step()` antes
#   do `backward()`, tensor no lugar de uma lista de tensores, *in-place* numa folha.
#
# Tempo estimado: 45 min (+ 20 min de aprofundamento opcional)

# %%
import matplotlib.pyplot as plt
import torch
from torch import nn

from helpers.optim_paths import optimizer_path, plot_path_grid, plot_paths, ravine, rosenbrock

# %% [markdown]
# ## 1. O ciclo de um passo: `zero_grad`, forward, `backward`, `step`
#
# O otimizador (*optimizer*) atualiza os parâmetros do modelo usando os gradientes que o
# `backward()` deixou em cada `.grad`. Ele recebe, ao ser criado, **quais** tensores vai
# atualizar (`model.parameters()`) e os hiperparâmetros (a taxa de aprendizado, `lr`, e outros).
# Cada passo de treino tem sempre as mesmas quatro linhas:
#
# 1. `optimizer.zero_grad()`: apaga os gradientes do passo anterior (na aula 02 vimos que o
#    `backward()` **soma** no `.grad` que já existe). No PyTorch 2.x ele põe `None` em `.grad`.
# 2. forward e perda: `loss = loss_fn(model(x), y)`.
# 3. `loss.backward()`: preenche o `.grad` de cada parâmetro.
# 4. `optimizer.step()`: atualiza cada parâmetro a partir do seu `.grad`.
#
# O `zero_grad()` pode vir no começo do passo (como aqui) ou logo depois do `step()`; o que
# importa é que os gradientes velhos tenham sumido antes do próximo `backward()`.
#
# Um exemplo completo: uma regressão linear $y \approx 3x + 1$ com `torch.optim.SGD`.

# %%
torch.manual_seed(0)
x = torch.randn(64, 1)
y = 3 * x + 1 + 0.1 * torch.randn(64, 1)

model = nn.Linear(1, 1)
loss_fn = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for step in range(1, 31):
    optimizer.zero_grad()          # 1. apaga os gradientes velhos
    loss = loss_fn(model(x), y)    # 2. forward e perda
    loss.backward()                # 3. gradientes novos em cada .grad
    optimizer.step()               # 4. atualiza os parâmetros
    if step % 10 == 0:
        print(f"passo {step:2d}: perda = {loss.item():.4f}")
print(f"peso = {model.weight.item():.3f}, bias = {model.bias.item():.3f}  (esperado: perto de 3 e 1)")

# %% [markdown]
# O otimizador guarda os parâmetros em **grupos** (`optimizer.param_groups`, uma lista de
# dicionários): cada grupo tem a lista `"params"` e os seus hiperparâmetros. Dá para dar
# hiperparâmetros diferentes a partes diferentes do modelo passando uma lista de dicionários, e
# o que não for dito num grupo vem dos valores padrão (`optimizer.defaults`).

# %%
print("grupos:", len(optimizer.param_groups))
print("hiperparâmetros do grupo 0:",
      {k: v for k, v in optimizer.param_groups[0].items() if k in ("lr", "momentum", "weight_decay")})

two_groups = torch.optim.SGD(
    [{"params": [model.weight]}, {"params": [model.bias], "lr": 0.01}], lr=0.1)
print("lr de cada grupo:", [g["lr"] for g in two_groups.param_groups])

# %% [markdown]
# ### Exercício 1 — `minimize` (2 pontos)
#
# O mesmo ciclo serve para minimizar qualquer função, não só a perda de um modelo: o
# "parâmetro" pode ser um tensor qualquer. Implemente `minimize(f, x0, optimizer, lr, steps)`:
#
# - `f` recebe um tensor do shape de `x0` e devolve um tensor 0-dim;
# - `optimizer` é `"sgd"` (`torch.optim.SGD`) ou `"adam"` (`torch.optim.Adam`), com os
#   valores padrão de tudo, menos `lr`;
# - roda `steps` passos do ciclo (`zero_grad`, forward, `backward`, `step`) sobre uma **cópia**
#   de `x0` (que é um tensor folha e rastreia gradientes);
# - devolve o ponto final **sem rastreamento** (sem `requires_grad` nem `grad_fn`);
# - `x0` fica intacto: mesmo valor, nenhum `.grad`, o mesmo `requires_grad` de antes.

# %% exercise="minimize"
def minimize(f, x0: torch.Tensor, optimizer: str, lr: float, steps: int) -> torch.Tensor:
    """Minimiza f a partir de uma cópia de x0 com torch.optim.SGD ("sgd") ou Adam ("adam")."""
    ### BEGIN SOLUTION
    x = x0.detach().clone().requires_grad_(True)
    optimizer_class = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[optimizer]
    opt = optimizer_class([x], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        f(x).backward()
        opt.step()
    return x.detach()
    ### END SOLUTION


# %% test="test_minimize" points=1
import torch
from helpers.checks import (assert_close, assert_detached, assert_minimize_matches, expect, forbid,
                            quietly, reseed)


def _minimize(*args):
    # helpers.optim_paths.optimizer_path (a demo of section 4) runs the same cycle: not allowed here
    with forbid("helpers.optim_paths.optimizer_path", namespace=globals(),
                reason="Escreva o ciclo zero_grad, forward, backward, step você mesmo."):
        return quietly(minimize, *args)


def _check_minimize_leaves_x0(f, x0, name, lr, steps):
    saved = x0.detach().clone()
    rg = x0.requires_grad
    try:
        out = _minimize(f, x0, name, lr, steps)
    except ValueError as err:
        raise AssertionError(f"minimize falhou: {err}. A cópia de x0 que o otimizador recebe "
                             "precisa ser um tensor folha.") from None
    expect(torch.equal(x0.detach(), saved), "minimize alterou o x0 recebido: trabalhe numa cópia.")
    expect(x0.grad is None, "minimize deixou um .grad em x0: os gradientes devem ir para a cópia.")
    expect(x0.requires_grad == rg, f"minimize mudou o requires_grad de x0 (era {rg}).")
    assert_detached(out, "o resultado de minimize")
    expect(out.shape == x0.shape, f"o resultado tem shape {tuple(out.shape)}, mas x0 tem "
                                  f"{tuple(x0.shape)}.")
    expect(out.dtype == x0.dtype, f"o resultado tem dtype {out.dtype}, mas x0 tem {x0.dtype}: a "
                                  "cópia de x0 deve manter o dtype.")
    return out


def _bowl(x):
    return ((x - torch.tensor([1.0, -2.0, 0.5], dtype=x.dtype)) ** 2).sum()


reseed(0)
_x0 = torch.randn(3, dtype=torch.float64)
_out = _check_minimize_leaves_x0(_bowl, _x0, "sgd", 0.1, 0)
assert_close(_out, _x0, "minimize com steps=0", hint="Com steps=0 nenhum passo é dado.")
for _name, _lr, _steps in (("sgd", 0.1, 100), ("adam", 0.05, 400)):
    _out = _check_minimize_leaves_x0(_bowl, _x0, _name, _lr, _steps)
    assert_minimize_matches(_out, torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64), _bowl, _x0,
                            _name, _lr, _steps, rtol=0, atol=1e-2,
                            hint="O ponto final deveria estar perto do mínimo de f.")
### BEGIN HIDDEN TESTS
def _reference_minimize(f, x0, name, lr, steps):
    x = x0.detach().clone().requires_grad_(True)
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[name]([x], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        f(x).backward()
        opt.step()
    return x.detach()


def _f(x):
    return (torch.sin(x) + 0.3 * x**2).sum()


reseed()
for _name in ("sgd", "adam"):
    for _shape in ((3,), (2, 3), ()):
        _x0 = torch.randn(_shape, dtype=torch.float64)
        _out = _check_minimize_leaves_x0(_f, _x0, _name, 0.05, 7)
        assert_minimize_matches(_out, _reference_minimize(_f, _x0, _name, 0.05, 7), _f, _x0,
                                _name, 0.05, 7)
### END HIDDEN TESTS
print("minimize (x0 intacto, resultado sem rastreamento, mínimo): testes visíveis OK")

# %% test="test_minimize_steps" points=1
import torch
from helpers.checks import assert_minimize_matches, expect, forbid, quietly, reseed


def _minimize(*args):
    # helpers.optim_paths.optimizer_path (a demo of section 4) runs the same cycle: not allowed here
    with forbid("helpers.optim_paths.optimizer_path", namespace=globals(),
                reason="Escreva o ciclo zero_grad, forward, backward, step você mesmo."):
        return quietly(minimize, *args)


def _square(x):
    return (x**2).sum()


reseed(0)
_x0 = torch.randn(4, dtype=torch.float64)
_lr = 0.1
# em f = Σ x², um passo de SGD multiplica x por (1 − 2·lr): depois de k passos, x0·(1 − 2·lr)^k
_saved = _x0.clone()
for _steps in (1, 2, 3):
    _out = _minimize(_square, _x0, "sgd", _lr, _steps)
    expect(torch.equal(_x0, _saved), "minimize alterou o x0 recebido: trabalhe numa cópia.")
    assert_minimize_matches(_out, _x0 * (1 - 2 * _lr) ** _steps, _square, _x0, "sgd", _lr, _steps,
                            name=f"minimize(Σx², x0, 'sgd', lr={_lr}, steps={_steps})",
                            hint="Com SGD em Σx², cada passo multiplica x por (1 − 2·lr).")
# no primeiro passo o Adam anda quase exatamente lr em cada coordenada, contra o gradiente
_out = _minimize(_square, _x0, "adam", _lr, 1)
assert_minimize_matches(_out, _x0 - _lr * torch.sign(_x0), _square, _x0, "adam", _lr, 1,
                        name=f"minimize(Σx², x0, 'adam', lr={_lr}, steps=1)", rtol=0, atol=1e-6,
                        hint="No primeiro passo, o Adam anda cerca de lr em cada coordenada.")
expect(not torch.equal(_minimize(_square, _x0, "sgd", _lr, 1),
                       _minimize(_square, _x0, "adam", _lr, 1)),
       "'sgd' e 'adam' deram o mesmo resultado: cada nome deve usar o seu otimizador.")
### BEGIN HIDDEN TESTS
def _reference_minimize(f, x0, name, lr, steps):
    x = x0.detach().clone().requires_grad_(True)
    opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam}[name]([x], lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        f(x).backward()
        opt.step()
    return x.detach()


def _valley(x):
    return (1 - x[0]) ** 2 + 5 * (x[1] - x[0] ** 2) ** 2 + (x[2:] ** 4).sum()


reseed()
for _name, _lr in (("sgd", 0.01), ("adam", 0.1), ("adam", 0.003), ("sgd", 0.002)):
    for _steps in (1, 2, 13, 40):
        _x0 = torch.randn(4, dtype=torch.float64)
        assert_minimize_matches(_minimize(_valley, _x0, _name, _lr, _steps),
                                _reference_minimize(_valley, _x0, _name, _lr, _steps),
                                _valley, _x0, _name, _lr, _steps)
### END HIDDEN TESTS
print("minimize (passos de SGD e Adam): testes visíveis OK")

# %% [markdown]
# ## 2. SGD com momentum e weight decay
#
# O **SGD** (*stochastic gradient descent*, descida de gradiente estocástica) dá um passo contra
# o gradiente, do tamanho da taxa de aprendizado $\eta$ (o `lr`):
#
# $$w \leftarrow w - \eta\, \nabla L(w).$$
#
# "Estocástico" porque o gradiente vem de um mini-batch, não do conjunto todo. Duas extensões
# aparecem em quase todo treino:
#
# - **Weight decay** ($\lambda$, o `weight_decay`): soma $\lambda w$ ao gradiente, que é o
#   gradiente de uma penalidade $\frac{\lambda}{2}\lVert w\rVert^2$ na perda (regularização L2).
#   Ele puxa os pesos para zero e ajuda contra o overfitting.
# - **Momentum** ($\mu$, o `momentum`): em vez do gradiente do passo, usa uma "velocidade" $v$
#   que acumula os gradientes anteriores com peso $\mu$ (tipicamente 0,9). Direções em que o
#   gradiente se repete ganham velocidade; direções em que ele troca de sinal se cancelam.
#
# A regra completa, por parâmetro, a cada passo (é o algoritmo da documentação de
# `torch.optim.SGD` com `dampening=0` e `nesterov=False`, os padrões):
#
# $$
# \begin{aligned}
# g &\leftarrow \nabla L(w) + \lambda\, w \\
# v &\leftarrow \mu\, v + g \\
# w &\leftarrow w - \eta\, v
# \end{aligned}
# $$
#
# com $v$ começando em zero. O texto-base escreve as duas primeiras linhas numa só,
# $v_t = \mu v_{t-1} + \nabla L(w_t) + \lambda w_t$, que é a mesma coisa. O PyTorch inicializa o
# buffer de momentum com o primeiro gradiente, $v_1 = g_1$, que é exatamente $\mu \cdot 0 + g_1$.
# Com $\mu = 0$ sobra $w \leftarrow w - \eta\,(\nabla L + \lambda w)$.
#
# Conferindo três passos da regra à mão, em números comuns do Python, contra o `torch.optim.SGD`
# num parâmetro de um só número com $L(w) = w^2$ (então $\nabla L = 2w$):

# %%
lr, mu, lam = 0.1, 0.9, 0.01

w_t = torch.tensor(1.0, requires_grad=True)
sgd = torch.optim.SGD([w_t], lr=lr, momentum=mu, weight_decay=lam)

w, v = 1.0, 0.0
for step in range(1, 4):
    sgd.zero_grad()
    (w_t**2).backward()
    sgd.step()

    g = 2 * w + lam * w  # gradiente da perda + weight decay
    v = mu * v + g       # velocidade
    w = w - lr * v
    print(f"passo {step}: à mão w = {w:.6f}   torch.optim.SGD w = {w_t.item():.6f}")

# %% [markdown]
# ### Por dentro de um `torch.optim.Optimizer`
#
# Todo otimizador do PyTorch é uma subclasse de `torch.optim.Optimizer`, e a sua também será.
# O que a classe base faz por você:
#
# - `super().__init__(params, defaults)` aceita `model.parameters()` (um gerador), uma lista de
#   tensores ou uma lista de dicionários (grupos), e monta `self.param_groups`: cada grupo é um
#   dicionário com `"params"` e os hiperparâmetros, completados com `defaults`.
# - `self.state` é um dicionário (um `defaultdict(dict)`) indexado pelo **próprio parâmetro**:
#   `self.state[p]` começa vazio e guarda o que o otimizador precisa lembrar entre passos
#   daquele parâmetro (o $v$ do momentum, por exemplo). Cada parâmetro tem o seu.
# - `zero_grad()` já vem pronto.
#
# O que você escreve é o `step()`: para cada grupo, para cada parâmetro com gradiente, a
# atualização. Ela roda sob `torch.no_grad()`: mexer *in-place* num tensor folha que rastreia
# gradientes é proibido (veja "Erros comuns"), e a atualização não deve entrar em grafo nenhum.
#
# Um exemplo que **não** é o SGD: o *sign SGD*, que anda $\eta$ na direção do sinal do
# gradiente, $w \leftarrow w - \eta\,\operatorname{sign}(\nabla L)$, e conta num estado quantas
# vezes atualizou cada parâmetro.

# %%
class SignSGD(torch.optim.Optimizer):
    """w ← w − lr · sign(grad): só a direção do gradiente importa."""

    def __init__(self, params, lr):
        defaults = {"lr": lr}
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:  # parâmetro que não participou deste backward
                    continue
                state = self.state[p]
                if not state:  # primeira vez deste parâmetro: cria o estado dele
                    state["updates"] = 0
                state["updates"] += 1
                p.add_(torch.sign(p.grad), alpha=-group["lr"])  # p ← p − lr·sign(grad), in-place


torch.manual_seed(0)
net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
unused = nn.Linear(3, 1)  # fora do forward: nunca recebe gradiente
opt = SignSGD(list(net.parameters()) + list(unused.parameters()), lr=0.01)
for _ in range(3):
    opt.zero_grad()
    net(torch.randn(8, 2)).pow(2).mean().backward()
    opt.step()
print("estado do primeiro peso:", opt.state[net[0].weight])
print("parâmetros com estado:", len(opt.state), "de", sum(len(g["params"]) for g in opt.param_groups))

# %% [markdown]
# O parâmetro sem gradiente (`unused`) foi pulado e ficou sem estado, como nos otimizadores do
# PyTorch. Os hiperparâmetros são lidos de `group[...]` e não de atributos guardados no
# `__init__`: assim cada grupo pode ter os seus.
#
# ### Exercício 2 — `ManualSGD` (4 pontos)
#
# Complete `ManualSGD(params, lr, momentum=0.0, weight_decay=0.0)`, uma subclasse de
# `torch.optim.Optimizer` que aplica a regra acima: $g \leftarrow \nabla L + \lambda w$;
# $v \leftarrow \mu v + g$; $w \leftarrow w - \eta v$, com um $v$ por parâmetro.
#
# - pule os parâmetros cujo `.grad` é `None` (também um que já teve gradiente e tem um $v$
#   guardado: sem gradiente neste passo, ele não se move);
# - os testes treinam duas cópias de uma rede pequena (em `float64`) com os mesmos batches, uma
#   com o seu otimizador e outra com `torch.optim.SGD`, e comparam os parâmetros depois de cada
#   um de 20 passos, para várias combinações de `momentum` e `weight_decay`. Em parte dos passos
#   os gradientes são zerados com `zero_grad(set_to_none=False)`, que zera o `.grad` *in-place*.

# %% exercise="ManualSGD"
class ManualSGD(torch.optim.Optimizer):
    """SGD com momentum e weight decay: g ← ∇L + λw;  v ← μv + g;  w ← w − ηv."""

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        ### BEGIN SOLUTION
        defaults = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay}
        super().__init__(params, defaults)
        ### END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        ### BEGIN SOLUTION
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if "velocity" not in state:
                    state["velocity"] = torch.zeros_like(p)
                v = state["velocity"]
                v.mul_(group["momentum"]).add_(g)
                p.sub_(group["lr"] * v)
        ### END SOLUTION


# %% test="test_ManualSGD" points=1
import torch
from helpers.checks import assert_optimizer_matches, reseed

reseed(0)
assert_optimizer_matches(ManualSGD, torch.optim.SGD, {"lr": 0.1},
                         hint="Sem momentum nem weight decay, o passo é w ← w − η·grad.")
assert_optimizer_matches(ManualSGD, torch.optim.SGD, {"lr": 0.05}, as_list=True)
### BEGIN HIDDEN TESTS
reseed()
for _lr in (0.3, 0.01):
    assert_optimizer_matches(ManualSGD, torch.optim.SGD, {"lr": _lr}, late_from=4)
### END HIDDEN TESTS
print("ManualSGD (sem momentum nem weight decay): testes visíveis OK")

# %% test="test_ManualSGD_momentum" points=1
import torch
from helpers.checks import assert_optimizer_matches, reseed

_hint = ("Confira o momentum: v ← μ·v + g, um v guardado para cada parâmetro, começando de zero "
         "(no primeiro passo v = g).")
reseed(0)
assert_optimizer_matches(ManualSGD, torch.optim.SGD, {"lr": 0.05, "momentum": 0.9}, drop_from=6,
                         hint=_hint)
### BEGIN HIDDEN TESTS
reseed()
for _lr, _mu in ((0.1, 0.5), (0.02, 0.99)):
    assert_optimizer_matches(ManualSGD, torch.optim.SGD, {"lr": _lr, "momentum": _mu},
                             late_from=5, drop_from=int(torch.randint(3, 12, ())), as_list=True,
                             hint=_hint)
### END HIDDEN TESTS
print("ManualSGD (momentum): testes visíveis OK")

# %% test="test_ManualSGD_weight_decay" points=1
import torch
from helpers.checks import assert_optimizer_matches, reseed

_hint = "Confira o weight decay: ele soma λ·w ao gradiente (g ← ∇L + λ·w)."
reseed(0)
assert_optimizer_matches(ManualSGD, torch.optim.SGD, {"lr": 0.1, "weight_decay": 0.1}, hint=_hint)
### BEGIN HIDDEN TESTS
reseed()
for _lr, _lam in ((0.05, 0.5), (0.2, 0.01)):
    assert_optimizer_matches(ManualSGD, torch.optim.SGD, {"lr": _lr, "weight_decay": _lam},
                             late_from=3, hint=_hint)
### END HIDDEN TESTS
print("ManualSGD (weight decay): testes visíveis OK")

# %% test="test_ManualSGD_momentum_weight_decay" points=1
import torch
from helpers.checks import assert_optimizer_matches, reseed

_hint = ("Com momentum e weight decay juntos, λ·w entra no gradiente antes do momentum: "
         "g ← ∇L + λ·w, depois v ← μ·v + g.")
reseed(0)
assert_optimizer_matches(ManualSGD, torch.optim.SGD,
                         {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01}, drop_from=7,
                         hint=_hint)
### BEGIN HIDDEN TESTS
reseed()
for _lr, _mu, _lam in ((0.1, 0.5, 0.05), (0.01, 0.95, 0.3)):
    assert_optimizer_matches(ManualSGD, torch.optim.SGD,
                             {"lr": _lr, "momentum": _mu, "weight_decay": _lam},
                             late_from=6, drop_from=int(torch.randint(3, 12, ())), as_list=True,
                             hint=_hint)
### END HIDDEN TESTS
print("ManualSGD (momentum e weight decay): testes visíveis OK")

# %% [markdown]
# ## 3. Adam
#
# O **Adam** (*adaptive moment estimation*) dá a cada parâmetro, elemento a elemento, o seu
# próprio tamanho de passo. Ele mantém duas médias móveis exponenciais por parâmetro: $m$, a
# do gradiente (como um momentum), e $v$, a do gradiente ao quadrado (o "tamanho típico" do
# gradiente). O passo divide uma pela raiz da outra: onde o gradiente é grande e constante o
# passo fica perto de $\eta$; onde ele é grande mas troca de sinal, o passo encolhe.
#
# Com $t$ o número de passos **daquele parâmetro** (começando em 1), a cada passo:
#
# $$
# \begin{aligned}
# m &\leftarrow \beta_1\, m + (1 - \beta_1)\, g \\
# v &\leftarrow \beta_2\, v + (1 - \beta_2)\, g^2 \\
# \hat m &= \frac{m}{1 - \beta_1^{\,t}}, \qquad \hat v = \frac{v}{1 - \beta_2^{\,t}} \\
# w &\leftarrow w - \eta\, \frac{\hat m}{\sqrt{\hat v} + \varepsilon}
# \end{aligned}
# $$
#
# com $m$ e $v$ começando em zero e os padrões $\eta = 10^{-3}$, $\beta_1 = 0{,}9$,
# $\beta_2 = 0{,}999$, $\varepsilon = 10^{-8}$ ($g^2$, a raiz e a divisão são elemento a
# elemento).
#
# - **Correção de viés** ($\hat m$, $\hat v$): como $m$ e $v$ começam em zero, nos primeiros
#   passos eles são pequenos demais. No primeiro passo $m = (1-\beta_1)\, g = 0{,}1\, g$, e
#   dividir por $1 - \beta_1^1 = 0{,}1$ devolve exatamente $g$. Com o tempo
#   $\beta^t \to 0$ e a correção some.
# - $\varepsilon$ entra **depois** da raiz e só evita a divisão por zero.
# - $t$ é contado **por parâmetro** (fica em `self.state[p]`): um parâmetro que recebe o
#   primeiro gradiente no quinto passo do treino está no seu passo $t = 1$.
#
# A correção de viés em números, no primeiro passo:

# %%
beta1, beta2 = 0.9, 0.999
g = torch.tensor([0.5, -2.0, 1e-3])
m = (1 - beta1) * g
v = (1 - beta2) * g**2
print("m sem correção:   ", m)
print("m̂ = m / (1 − β1): ", m / (1 - beta1))
print("passo / lr:        ", (m / (1 - beta1)) / ((v / (1 - beta2)).sqrt() + 1e-8))

# %% [markdown]
# No primeiro passo, $\hat m / \sqrt{\hat v} = g/|g|$: o Adam anda $\eta$ em cada coordenada,
# qualquer que seja o tamanho do gradiente (só $\varepsilon$ pesa quando $|g|$ é comparável a
# ele). É por isso que o mesmo `lr=1e-3` funciona em tantos modelos.
#
# ### Exercício 3 — `ManualAdam` (4 pontos)
#
# Complete `ManualAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)`, subclasse de
# `torch.optim.Optimizer`, com a regra acima: correção de viés, $\varepsilon$ depois da raiz,
# $m$, $v$ e $t$ guardados por parâmetro; pule os parâmetros cujo `.grad` é `None` (também os
# que já têm estado guardado). Os testes comparam com `torch.optim.Adam` (sem weight decay) ao
# longo de 20 passos, com vários `lr`, `betas` e `eps`, com um parâmetro que só recebe gradiente
# a partir de um passo no meio do treino e com outro que deixa de recebê-lo.

# %% exercise="ManualAdam"
class ManualAdam(torch.optim.Optimizer):
    """Adam: médias móveis m (de g) e v (de g²), com correção de viés e ε depois da raiz."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        ### BEGIN SOLUTION
        defaults = {"lr": lr, "betas": betas, "eps": eps}
        super().__init__(params, defaults)
        ### END SOLUTION

    @torch.no_grad()
    def step(self, closure=None):
        ### BEGIN SOLUTION
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["t"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["t"] += 1
                t, m, v = state["t"], state["m"], state["v"]
                m.mul_(beta1).add_((1 - beta1) * p.grad)
                v.mul_(beta2).add_((1 - beta2) * p.grad**2)
                m_hat = m / (1 - beta1**t)
                v_hat = v / (1 - beta2**t)
                p -= group["lr"] * m_hat / (v_hat.sqrt() + group["eps"])
        ### END SOLUTION


# %% test="test_ManualAdam" points=1
import torch
from helpers.checks import assert_optimizer_matches, reseed

_hint = ("Confira as médias móveis m e v (começando de zero) e a correção de viés "
         "m / (1 − β1^t), v / (1 − β2^t).")
reseed(0)
assert_optimizer_matches(ManualAdam, torch.optim.Adam, {}, hint=_hint)
assert_optimizer_matches(ManualAdam, torch.optim.Adam, {"lr": 0.01}, as_list=True, drop_from=6,
                         hint=_hint)
### BEGIN HIDDEN TESTS
reseed()
assert_optimizer_matches(ManualAdam, torch.optim.Adam, {"lr": 0.003},
                         drop_from=int(torch.randint(3, 12, ())), hint=_hint)
### END HIDDEN TESTS
print("ManualAdam (valores padrão): testes visíveis OK")

# %% test="test_ManualAdam_betas" points=1
import torch
from helpers.checks import assert_optimizer_matches, reseed

_hint = ("Confira o uso de β1 (na média de g) e de β2 (na média de g²), lidos do argumento betas, "
         "e a correção de viés com os dois.")
reseed(0)
assert_optimizer_matches(ManualAdam, torch.optim.Adam, {"lr": 0.02, "betas": (0.5, 0.9)}, hint=_hint)
### BEGIN HIDDEN TESTS
reseed()
for _lr, _betas in ((0.05, (0.8, 0.99)), (0.001, (0.95, 0.9999)), (0.01, (0.0, 0.5))):
    assert_optimizer_matches(ManualAdam, torch.optim.Adam, {"lr": _lr, "betas": _betas},
                             as_list=True, hint=_hint)
### END HIDDEN TESTS
print("ManualAdam (betas): testes visíveis OK")

# %% test="test_ManualAdam_eps" points=1
import torch
from helpers.checks import assert_optimizer_matches, reseed

_hint = "Confira onde entra o ε: ele é somado depois da raiz, √v̂ + ε."
reseed(0)
assert_optimizer_matches(ManualAdam, torch.optim.Adam, {"lr": 0.01, "eps": 0.1}, hint=_hint)
### BEGIN HIDDEN TESTS
reseed()
for _lr, _eps in ((0.05, 1e-2), (0.002, 0.5), (0.01, 1e-3)):
    assert_optimizer_matches(ManualAdam, torch.optim.Adam, {"lr": _lr, "eps": _eps}, hint=_hint)
### END HIDDEN TESTS
print("ManualAdam (eps): testes visíveis OK")

# %% test="test_ManualAdam_late" points=1
import torch
from helpers.checks import assert_optimizer_matches, reseed

_hint = ("Confira as médias móveis m e v (começando de zero) e a correção de viés "
         "m / (1 − β1^t), v / (1 − β2^t).")
_late_hint = ("O número de passos t da correção de viés é contado por parâmetro: no passo em que "
              "um parâmetro recebe o primeiro gradiente, o t dele é 1, qualquer que seja o passo "
              "do treino.")
reseed(0)
assert_optimizer_matches(ManualAdam, torch.optim.Adam, {"lr": 0.01}, late_from=5, hint=_hint,
                         late_hint=_late_hint)
### BEGIN HIDDEN TESTS
reseed()
for _late in (2, 9):
    assert_optimizer_matches(ManualAdam, torch.optim.Adam, {"lr": 0.02, "betas": (0.8, 0.99)},
                             late_from=_late, drop_from=int(torch.randint(3, 12, ())),
                             as_list=True, hint=_hint, late_hint=_late_hint)
### END HIDDEN TESTS
print("ManualAdam (passos contados por parâmetro): testes visíveis OK")

# %% [markdown]
# ## 4. Explorando a taxa de aprendizado e o momentum
#
# Nada mostra melhor o que os hiperparâmetros fazem do que o caminho do otimizador. A função
# `ravine` de `helpers.optim_paths` é um vale estreito, $f(x, y) = \frac{1}{2}(x^2 + 20y^2)$,
# 20 vezes mais curvo em $y$ do que em $x$, com o mínimo em $(0, 0)$ (a estrela). A grade abaixo
# roda 50 passos de `torch.optim.SGD` a partir de $(-2, 1)$ para três taxas de aprendizado e três
# valores de momentum.

# %%
plot_path_grid(ravine, (-2.0, 1.0), lrs=[0.01, 0.05, 0.11], momentums=[0.0, 0.5, 0.9], steps=50)

# %% [markdown]
# O que observar:
#
# - **Sem momentum** (primeira linha): com `lr=0.01` o passo é curto e o caminho não chega ao
#   mínimo em 50 passos na direção rasa ($x$). Com `lr=0.11` o passo é longo demais para a
#   direção íngreme ($y$): o caminho pula de um lado para o outro do vale cada vez mais longe e
#   **diverge**. No SGD simples, a curvatura maior limita a taxa de aprendizado
#   (aqui, $\eta < 2/20 = 0{,}1$), e a curvatura menor decide a velocidade.
# - **Com momentum**, a velocidade acumulada anda mais rápido ao longo do vale raso, e
#   `lr=0.11` deixa de divergir. Momentum alto demais, porém, passa do ponto e fica
#   orbitando o mínimo antes de parar.
#
# Se os widgets (`ipywidgets`) funcionarem no seu ambiente (Jupyter ou Colab), a célula abaixo
# cria controles para explorar outros valores; sem eles, a grade acima é a versão estática.

# %%
from IPython.display import display


def show_sgd_path(lr=0.05, momentum=0.5, steps=50):
    path = optimizer_path(ravine, (-2.0, 1.0),
                          lambda ps: torch.optim.SGD(ps, lr=lr, momentum=momentum), steps)
    end = "divergiu" if len(path) < steps + 1 else f"f final = {float(ravine(path[-1])):.3g}"
    display(plot_paths(ravine, {f"SGD lr={lr:.3g} momentum={momentum:.2f}": path},
                       title=end))


try:
    import ipywidgets as widgets

    widgets.interact(show_sgd_path,
                     lr=widgets.FloatLogSlider(value=0.05, base=10, min=-3, max=-0.5, step=0.1),
                     momentum=widgets.FloatSlider(value=0.5, min=0.0, max=0.99, step=0.01),
                     steps=widgets.IntSlider(value=50, min=5, max=200, step=5))
except ImportError:
    print("ipywidgets não está instalado: use a grade estática acima "
          "(ou chame show_sgd_path(lr=..., momentum=...) numa célula).")

# %% [markdown]
# ## Erros comuns
#
# Cada célula abaixo provoca o erro de verdade (e o captura, para o notebook seguir) e mostra a
# mensagem como o PyTorch a escreve.
#
# **`ValueError: optimizer got an empty parameter list`**: o otimizador recebeu zero
# parâmetros. Acontece com um modelo cujas camadas não foram registradas (guardadas numa lista
# comum do Python em vez de `nn.ModuleList`, ou criadas só no `forward`), ou com um gerador
# `model.parameters()` que já foi consumido por um `list(...)` anterior.

# %%
class Forgetful(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(4, 4), nn.Linear(4, 1)]  # lista comum: o nn.Module não vê

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


try:
    torch.optim.SGD(Forgetful().parameters(), lr=0.1)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# Correção: `self.layers = nn.ModuleList([...])` (ou `nn.Sequential`), e confira
# `len(list(model.parameters()))` antes de criar o otimizador.
#
# **`TypeError: params argument given to the optimizer should be an iterable of Tensors or
# dicts, but got torch.FloatTensor`**: o otimizador espera uma coleção de tensores, mesmo
# quando há um só.

# %%
w = torch.randn(3, requires_grad=True)
try:
    torch.optim.SGD(w, lr=0.1)
except TypeError as err:
    print("TypeError:", err)
print("assim funciona:", torch.optim.SGD([w], lr=0.1).param_groups[0]["params"][0] is w)

# %% [markdown]
# Correção: `torch.optim.SGD([w], lr=0.1)`, com o tensor dentro de uma lista.
#
# **`ValueError: can't optimize a non-leaf Tensor`**: o otimizador só atualiza tensores folha.
# Um `x0.clone()` de um tensor que rastreia gradientes já é resultado de uma operação.

# %%
x0 = torch.randn(3, requires_grad=True)
try:
    torch.optim.SGD([x0.clone()], lr=0.1)
except ValueError as err:
    print("ValueError:", err)
print("x0.detach().clone().requires_grad_() é folha:", x0.detach().clone().requires_grad_().is_leaf)

# %% [markdown]
# **`RuntimeError: a leaf Variable that requires grad is being used in an in-place
# operation.`**: atualizar um parâmetro *in-place* (`w -= ...`) com o autograd ligado. O
# autograd se recusa, porque a operação entraria no grafo do próprio parâmetro.

# %%
w = torch.randn(3, requires_grad=True)
(w**2).sum().backward()
try:
    w -= 0.1 * w.grad
except RuntimeError as err:
    print("RuntimeError:", err)
with torch.no_grad():
    w -= 0.1 * w.grad
print("sob no_grad funciona; w continua folha:", w.is_leaf, "e rastreando gradientes:", w.requires_grad)

# %% [markdown]
# Correção: faça atualizações manuais dentro de `with torch.no_grad():`, ou decore o `step()`
# do seu otimizador com `@torch.no_grad()`. (`w = w - 0.1 * w.grad` não dá erro, mas cria um
# **novo** tensor, que não é folha, e o otimizador e o modelo continuam com o antigo.)
#
# **`step()` antes do `backward()`: nada acontece, sem erro nenhum.** Depois do `zero_grad()` os
# gradientes são `None`, e os otimizadores pulam parâmetros sem gradiente. O modelo
# simplesmente não aprende.

# %%
torch.manual_seed(0)
model = nn.Linear(1, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
before = model.weight.detach().clone()
optimizer.zero_grad()
grad_at_step = model.weight.grad
optimizer.step()  # cedo demais: ainda não houve backward
loss = loss_fn(model(x), y)
loss.backward()
print("grad no momento do step:", grad_at_step,
      "| peso mudou?", not torch.equal(before, model.weight.detach()))

# %% [markdown]
# Correção: a ordem é sempre `zero_grad()`, forward, `backward()`, `step()`. Um teste rápido
# quando o modelo "não aprende": compare uma cópia dos pesos antes e depois de um passo.
#
# **`zero_grad()` esquecido: a perda oscila ou explode, também sem erro.** Sem zerar, cada
# `backward()` soma o gradiente novo a todos os anteriores (aula 02), e o passo usa a soma de
# tudo o que já aconteceu. A mesma regressão do começo, com e sem `zero_grad()`:

# %%
def losses(zero_grad, steps=40):
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = []
    for _ in range(steps):
        if zero_grad:
            optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses(zero_grad=True), label="com zero_grad()")
ax.plot(losses(zero_grad=False), label="sem zero_grad()")
ax.set_yscale("log")
ax.set_xlabel("passo")
ax.set_ylabel("perda")
ax.legend()
plt.close(fig)
display(fig)

# %% [markdown]
# Sem `zero_grad()` o gradiente acumulado faz o papel de um momentum sem freio: a perda cai,
# passa do ponto e fica oscilando, sem nunca chegar perto do mínimo. Correção: `optimizer.zero_grad()` em todo passo (ou
# `model.zero_grad()`, que faz o mesmo com os parâmetros do modelo).
#
# ## Aprofundamento (opcional): SGD contra Adam num vale curvo
#
# A função de Rosenbrock, $f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2$, tem o mínimo em $(1, 1)$ no
# fundo de um vale estreito e curvo: um teste clássico para otimizadores. Os dois caminhos
# abaixo dão 300 passos a partir de $(-1{,}5;\ 2)$.

# %%
start = (-1.5, 2.0)
paths = {
    "SGD lr=2e-3 momentum=0.9": optimizer_path(
        rosenbrock, start, lambda ps: torch.optim.SGD(ps, lr=2e-3, momentum=0.9), 300),
    "Adam lr=0.1": optimizer_path(rosenbrock, start, lambda ps: torch.optim.Adam(ps, lr=0.1), 300),
}
for label, path in paths.items():
    print(f"{label:26}: ponto final ({path[-1, 0]:.3f}, {path[-1, 1]:.3f}), f = {rosenbrock(path[-1]):.4f}")
more = {"SGD lr=3e-3 momentum=0.9": lambda ps: torch.optim.SGD(ps, lr=3e-3, momentum=0.9),
        "Adam lr=0.5": lambda ps: torch.optim.Adam(ps, lr=0.5)}
for label, make in more.items():
    path = optimizer_path(rosenbrock, start, make, 300)
    print(f"{label:26}: " + ("divergiu" if len(path) < 301 else f"f = {rosenbrock(path[-1]):.4f}"))
plot_paths(rosenbrock, paths, xlim=(-2.0, 2.0), ylim=(-1.0, 3.0), minimum=(1.0, 1.0),
           title="300 passos em Rosenbrock")

# %% [markdown]
# Aqui o SGD com momentum bem ajustado chega mais perto do mínimo, mas com `lr=3e-3` ele já
# diverge: as paredes do vale são tão íngremes que um passo um pouco maior joga o ponto para
# longe. O Adam anda no máximo cerca de `lr` por coordenada a cada passo, então percorre o vale
# mais devagar, mas aguenta taxas de aprendizado de 0,01 a 0,5 sem divergir. Essa robustez, e não
# a velocidade num problema específico, é o motivo de ele ser o padrão em tantos projetos.
#
# ## Aprofundamento (opcional): weight decay acoplado e desacoplado
#
# No SGD do PyTorch (e no `Adam`), o weight decay é a penalidade L2: $\lambda w$ entra **no
# gradiente**, antes do momentum. Outra forma, chamada *decoupled weight decay*, encolhe os pesos
# diretamente, $w \leftarrow w - \eta\lambda w$, fora do gradiente. Sem momentum, as duas dão
# exatamente o mesmo passo ($w - \eta(\nabla L + \lambda w)$). Com momentum (ou no Adam, em que o
# gradiente é dividido por $\sqrt{\hat v}$) elas diferem: é a diferença entre `torch.optim.Adam`
# com `weight_decay` e `torch.optim.AdamW`, que usa a forma desacoplada e costuma regularizar
# melhor. Para o SGD, conferindo:

# %%
def after_steps(decoupled, momentum, steps=10, lr=0.1, lam=0.1):
    w = torch.tensor(1.0)
    v = torch.tensor(0.0)
    for _ in range(steps):
        g = 2 * w  # gradiente de L(w) = w²
        if decoupled:
            w = w - lr * lam * w
        else:
            g = g + lam * w
        v = momentum * v + g
        w = w - lr * v
    return w.item()


for momentum in (0.0, 0.9):
    print(f"momentum={momentum}: acoplado w = {after_steps(False, momentum):.6f}, "
          f"desacoplado w = {after_steps(True, momentum):.6f}")

# %% [markdown]
# ## Aprofundamento (opcional): o que o `torch.optim` faz além disto
#
# - `torch.optim.SGD` também tem `dampening` (multiplica o $g$ que entra em $v$ por
#   $1 - \text{dampening}$) e `nesterov=True` (o passo usa $g + \mu v$, "olhando adiante").
# - O `torch.optim.Adam` escreve a mesma conta de outro jeito, dobrando a correção de viés no
#   tamanho do passo: $w \leftarrow w - \frac{\eta}{1-\beta_1^t}\cdot\frac{m}{\sqrt{v}/\sqrt{1-\beta_2^t} + \varepsilon}$.
#   É algebricamente igual à regra com $\hat m$ e $\hat v$; os resultados diferem só no
#   arredondamento.
# - Em GPU, os otimizadores usam por padrão implementações `foreach` (uma operação para todos os
#   parâmetros de uma vez) ou `fused`, bem mais rápidas que um laço em Python por parâmetro. A
#   conta é a mesma.
# - `optimizer.state_dict()` guarda o estado (buffers de momentum, $m$, $v$, $t$) para retomar um
#   treino de onde parou; `torch.optim.lr_scheduler` muda a taxa de aprendizado ao longo do treino
#   escrevendo em `group["lr"]`, que é por isso que o `step()` lê os hiperparâmetros do grupo.
#
# ## Resumo
#
# - Cada passo de treino: `optimizer.zero_grad()`, forward e perda, `loss.backward()`,
#   `optimizer.step()`. Esquecer o `zero_grad()` soma gradientes velhos; chamar o `step()` antes
#   do `backward()` não faz nada.
# - SGD: $g \leftarrow \nabla L + \lambda w$; $v \leftarrow \mu v + g$; $w \leftarrow w - \eta v$.
#   O momentum acelera nos vales rasos e tolera taxas de aprendizado maiores; a taxa de
#   aprendizado grande demais faz o caminho divergir.
# - Adam: médias móveis $m$ e $v$ do gradiente e do seu quadrado, correção de viés
#   $1 - \beta^t$ com $t$ contado por parâmetro, passo $\eta\,\hat m/(\sqrt{\hat v} + \varepsilon)$.
# - Um otimizador é uma subclasse de `torch.optim.Optimizer`: `defaults` no
#   `super().__init__`, hiperparâmetros lidos de cada grupo de `self.param_groups`, estado de
#   cada parâmetro em `self.state[p]`, `step()` sob `torch.no_grad()` pulando `.grad` igual a `None`.
#
# Na próxima aula juntamos tudo num **loop de treinamento** completo, com `DataLoader`,
# épocas, validação e o MNIST.
