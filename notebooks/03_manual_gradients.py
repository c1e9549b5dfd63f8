# %% [markdown]
# # Aula 03 — Gradientes à mão, diferenças finitas e inferência sem gradiente
#
# Nas aulas anteriores o autograd calculou os gradientes por nós. Nesta aula fazemos o caminho
# inverso: derivamos os gradientes com lápis e papel, conferimos a conta com o autograd e com
# diferenças finitas, e depois vemos como **desligar** o autograd quando ele não é necessário
# (validação e inferência).
#
# **Objetivos**
#
# - Derivar à mão o gradiente de funções simples ($x^2$, $2x^2 + 3y^3$) e de uma regressão linear
#   com perda quadrática média.
# - Fazer a backpropagation à mão, etapa por etapa, e ver que os gradientes **se somam** quando
#   uma variável é usada em dois lugares.
# - Conferir um gradiente com o autograd (`backward()`) e com **diferenças centrais**, medindo
#   o **erro relativo**, em `float64`.
# - Saber o que fazem `model.eval()`, `torch.no_grad()` e `torch.inference_mode()`, e por que
#   são chaves independentes.
#
# **Tempo estimado:** 45 min (+ 20 min de aprofundamento opcional: a tabela de erros das
# diferenças finitas e as medidas de memória e de tempo do grafo computacional).

# %%
import torch
from torch import nn

import contextlib
import time

# %% [markdown]
# ## 1. Gradientes em funções simples
#
# Para que derivar à mão se o autograd faz isso? Porque é assim que se **confere** o autograd
# (e o seu código em volta dele): um gradiente com o sinal trocado ou multiplicado por 2 não
# quebra nada, o modelo só treina mal. Saber a resposta esperada em casos pequenos é a melhor
# ferramenta de depuração que existe.
#
# ### Exemplo 1: $f(x) = x^2$
#
# A derivada é $\frac{df}{dx} = 2x$. Em $x = 3$, o gradiente é $2 \cdot 3 = 6$.

# %%
x = torch.tensor(3.0, requires_grad=True)
y = x**2

y.backward()
print(f"Gradiente de y em relação a x: {x.grad}")  # esperado: 2 * 3 = 6

# %% [markdown]
# O mesmo vale **elemento a elemento** para um tensor. Como `backward()` precisa de uma saída
# escalar, somamos: em $s = \sum_j x_j^2$ cada $x_i$ aparece em um único termo, então
# $\frac{\partial s}{\partial x_i} = 2x_i$, e `x.grad` é a derivada de $x^2$ em cada posição.

# %%
x = torch.tensor([-1.0, 0.5, 2.0, 3.0], requires_grad=True)
(x**2).sum().backward()
print("autograd:", x.grad)
print("à mão:   ", 2 * x.detach())

# %% [markdown]
# ### Exercício 1 — `grad_square` (1 ponto)
#
# Implemente `grad_square(x)`, que devolve a derivada de $x^2$ **elemento a elemento**, com o
# mesmo shape de `x` (que pode ter qualquer shape, inclusive 0-dim).
#
# É um exercício *analítico*: escreva a fórmula. O teste roda a sua função com o autograd
# desligado, e `backward()`, `torch.autograd.*` e `torch.func` falham lá dentro.

# %% exercise="grad_square"
def grad_square(x: torch.Tensor) -> torch.Tensor:
    """Derivada de x**2 em relação a x, elemento a elemento (sem autograd)."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION


# %% test="test_grad_square" points=1
import torch
from helpers.checks import analytic, assert_close, assert_shape, autograd_grads, quietly, reseed


def _check_square(x):
    with analytic(globals()):
        g = quietly(grad_square, x)
    assert_shape(g, x.shape, "grad_square(x)")
    (ref,) = autograd_grads(lambda t: t**2, x)
    assert_close(g, ref, "grad_square(x)", hint="Derive x² de novo: qual é a derivada de xⁿ?")


_check_square(torch.tensor([-1.5, 0.0, 0.5, 2.0, 3.0], dtype=torch.float64))
### BEGIN HIDDEN TESTS
reseed()
for _x in [torch.tensor(3.0, dtype=torch.float64),
           torch.randn(4, 5, dtype=torch.float64) * 3,
           torch.randn(2, 3, 2, dtype=torch.float64)]:
    _check_square(_x)
### END HIDDEN TESTS
print("grad_square: testes visíveis OK")

# %% [markdown]
# ### Exemplo 2: função de várias variáveis
#
# Seja $f(x, y) = 2x^2 + 3y^3$. As derivadas parciais são
#
# $$\frac{\partial f}{\partial x} = 4x \qquad\text{e}\qquad \frac{\partial f}{\partial y} = 9y^2.$$
#
# Em $x = 2$ e $y = 4$: $4 \cdot 2 = 8$ e $9 \cdot 4^2 = 144$.

# %%
x = torch.tensor(2.0, requires_grad=True)
y = torch.tensor(4.0, requires_grad=True)
z = 2 * x**2 + 3 * y**3

z.backward()
print(f"Gradiente de z em relação a x: {x.grad}")  # esperado: 8
print(f"Gradiente de z em relação a y: {y.grad}")  # esperado: 144

# %% [markdown]
# ### Exercício 2 — `grad_poly` (2 pontos)
#
# Implemente `grad_poly(x, y)`, que devolve a tupla `(df_dx, df_dy)` com as derivadas parciais de
# $f = 2x^2 + 3y^3$, elemento a elemento: `df_dx` tem o shape de `x` e `df_dy` o de `y` (nos
# testes, `x` e `y` têm o mesmo shape). *Analítico*: sem autograd.

# %% exercise="grad_poly"
def grad_poly(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Derivadas parciais (df/dx, df/dy) de f = 2x² + 3y³, elemento a elemento (sem autograd)."""
    ### BEGIN SOLUTION
    return 4 * x, 9 * y**2
    ### END SOLUTION


# %% test="test_grad_poly_dx" points=1
import torch
from helpers.checks import (analytic, assert_close, assert_shape, assert_tuple, autograd_grads,
                            quietly, reseed)


def _check_poly_dx(x, y):
    with analytic(globals()):
        out = quietly(grad_poly, x, y)
    assert_tuple(out, 2, "grad_poly", "(df_dx, df_dy)")
    assert_shape(out[0], x.shape, "df_dx")
    ref = autograd_grads(lambda a, b: 2 * a**2 + 3 * b**3, x, y)[0]
    assert_close(out[0], ref, "df_dx", hint="Derive 2x² em relação a x (y é constante aí).")


# o exemplo do texto: x = 2, y = 4 dá df/dx = 8
_check_poly_dx(torch.tensor(2.0, dtype=torch.float64), torch.tensor(4.0, dtype=torch.float64))
_check_poly_dx(torch.tensor([-1.5, 0.5, 3.0], dtype=torch.float64),
               torch.tensor([2.0, -3.0, 0.5], dtype=torch.float64))
### BEGIN HIDDEN TESTS
reseed()
for _shape in [(5,), (3, 4), (2, 2, 3)]:
    _check_poly_dx(torch.randn(_shape, dtype=torch.float64) * 3,
                   torch.randn(_shape, dtype=torch.float64) * 3)
### END HIDDEN TESTS
print("grad_poly (df/dx): testes visíveis OK")

# %% test="test_grad_poly_dy" points=1
import torch
from helpers.checks import (analytic, assert_close, assert_shape, assert_tuple, autograd_grads,
                            quietly, reseed)


def _check_poly_dy(x, y):
    with analytic(globals()):
        out = quietly(grad_poly, x, y)
    assert_tuple(out, 2, "grad_poly", "(df_dx, df_dy)")
    assert_shape(out[1], y.shape, "df_dy")
    ref = autograd_grads(lambda a, b: 2 * a**2 + 3 * b**3, x, y)[1]
    assert_close(out[1], ref, "df_dy", hint="Derive 3y³ em relação a y: o expoente desce e diminui em 1.")


# o exemplo do texto: x = 2, y = 4 dá df/dy = 144
_check_poly_dy(torch.tensor(2.0, dtype=torch.float64), torch.tensor(4.0, dtype=torch.float64))
_check_poly_dy(torch.tensor([-1.5, 0.5, 3.0], dtype=torch.float64),
               torch.tensor([2.0, -3.0, 0.5], dtype=torch.float64))
### BEGIN HIDDEN TESTS
reseed()
for _shape in [(5,), (3, 4), (2, 2, 3)]:
    _check_poly_dy(torch.randn(_shape, dtype=torch.float64) * 3,
                   torch.randn(_shape, dtype=torch.float64) * 3)
### END HIDDEN TESTS
print("grad_poly (df/dy): testes visíveis OK")

# %% [markdown]
# ### Exemplo 3: a backpropagation à mão, etapa por etapa
#
# O autograd não conhece fórmulas prontas de funções compostas: ele guarda cada operação do
# forward e, no backward, aplica a regra da cadeia **uma operação por vez**, de trás para
# frente. Vamos fazer o mesmo com $f(x) = x^2 \sin x$, escrita em etapas:
#
# $$a = x^2, \qquad b = \sin x, \qquad f = a \cdot b .$$
#
# Repare que $x$ é usado **duas vezes** (em $a$ e em $b$): o grafo tem uma bifurcação. No
# backward, começamos com $\partial f/\partial f = 1$ e descemos:
#
# 1. $f = a b$: $\ \bar a = \partial f/\partial a = b$ e $\bar b = \partial f/\partial b = a$;
# 2. $a = x^2$ manda para $x$ a parcela $\bar a \cdot 2x$;
# 3. $b = \sin x$ manda para $x$ a parcela $\bar b \cdot \cos x$;
# 4. as duas parcelas chegam ao mesmo $x$ e **se somam**:
#    $\ \partial f/\partial x = 2x \sin x + x^2 \cos x$ (a regra do produto, reencontrada).

# %%
x = torch.tensor(1.5, requires_grad=True)
a = x**2
b = torch.sin(x)
f = a * b
f.backward()

with torch.no_grad():  # a mesma conta, à mão
    f_bar = torch.tensor(1.0)  # ∂f/∂f
    a_bar, b_bar = f_bar * b, f_bar * a  # etapa 1
    from_a = a_bar * 2 * x  # etapa 2
    from_b = b_bar * torch.cos(x)  # etapa 3
    x_bar = from_a + from_b  # etapa 4: as parcelas se somam na bifurcação
print(f"parcela via a: {from_a.item():.4f}   parcela via b: {from_b.item():.4f}")
print(f"à mão: {x_bar.item():.6f}   autograd: {x.grad.item():.6f}")

# %% [markdown]
# Esquecer uma das parcelas (ficar só com o caminho por $a$, por exemplo) é o erro clássico da
# backpropagation à mão. A soma na bifurcação é a mesma regra que faz `.grad` **acumular**
# entre chamadas de `backward()` (aula 02).
#
# ## 2. Diferenças finitas: conferir um gradiente sem derivar nada
#
# Quando a derivada à mão é trabalhosa (ou quando é justamente ela que está em dúvida), dá para
# aproximá-la avaliando só a função: a derivada é a inclinação entre dois pontos bem próximos.
# A **diferença central**
#
# $$f'(x) \approx \frac{f(x+\varepsilon) - f(x-\varepsilon)}{2\varepsilon}$$
#
# erra por um termo da ordem de $\varepsilon^2$ (a progressiva, $\frac{f(x+\varepsilon) -
# f(x)}{\varepsilon}$, erra da ordem de $\varepsilon$). Mas $\varepsilon$ não pode ser
# minúsculo: $f(x+\varepsilon)$ e $f(x-\varepsilon)$ ficam quase iguais e a subtração perde os
# dígitos significativos. A receita: **`float64`**, diferenças **centrais** e um
# $\varepsilon$ moderado ($10^{-3}$ a $10^{-6}$). O aprofundamento a seguir mostra de onde
# ela vem; se quiser, pule para "Várias variáveis".
#
# ### Aprofundamento (opcional): o erro de truncamento e o de arredondamento
#
# Pela série de Taylor,
#
# $$f(x \pm \varepsilon) = f(x) \pm \varepsilon f'(x) + \frac{\varepsilon^2}{2} f''(x)
#   \pm \frac{\varepsilon^3}{6} f'''(x) + \dots$$
#
# - **Diferença progressiva**: $\dfrac{f(x+\varepsilon) - f(x)}{\varepsilon}
#   = f'(x) + \dfrac{\varepsilon}{2} f''(x) + \dots$ — erro proporcional a $\varepsilon$.
# - **Diferença central**: $\dfrac{f(x+\varepsilon) - f(x-\varepsilon)}{2\varepsilon}
#   = f'(x) + \dfrac{\varepsilon^2}{6} f'''(x) + \dots$ — os termos pares se cancelam e o erro
#   cai para a ordem de $\varepsilon^2$.
#
# O segundo erro é o de
# **arredondamento**: $f(x+\varepsilon)$ e $f(x-\varepsilon)$ ficam quase iguais, a subtração
# cancela os dígitos significativos e o que sobra (da ordem de $u\,|f|$, onde $u$ é a precisão
# da máquina) é dividido por $\varepsilon$. Um erro cresce com $\varepsilon$, o outro diminui.
# A célula abaixo mede os dois para $f = \sin$ em $x = 1$, onde $f'(1) = \cos 1$.

# %%
for dtype in (torch.float32, torch.float64):
    print(f"{dtype} (precisão da máquina u = {torch.finfo(dtype).eps:.1e})")
    print("      eps   erro progressiva   erro central")
    x0 = torch.tensor(1.0, dtype=dtype)
    exact = torch.cos(torch.tensor(1.0, dtype=torch.float64))
    for eps in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7):
        forward = (torch.sin(x0 + eps) - torch.sin(x0)) / eps
        central = (torch.sin(x0 + eps) - torch.sin(x0 - eps)) / (2 * eps)
        print(f"  {eps:7.0e}   {abs(forward.double() - exact):16.1e}"
              f"   {abs(central.double() - exact):12.1e}")

# %% [markdown]
# Leia a tabela assim:
#
# - Enquanto o arredondamento não domina, o erro da progressiva cai 10× quando $\varepsilon$ cai
#   10×, e o da central cai 100×.
# - Em `float32` ($u \approx 10^{-7}$) o arredondamento aparece cedo: o melhor que a diferença
#   central consegue fica por volta de $10^{-5}$, e com $\varepsilon$ pequeno o resultado é lixo.
# - Em `float64` ($u \approx 2 \cdot 10^{-16}$) há folga: com $\varepsilon = 10^{-3}$ o erro
#   central é da ordem de $10^{-7}$, e o arredondamento (perto de $u/\varepsilon \approx
#   10^{-13}$) nem aparece.
#
# Por isso conferências numéricas de gradiente se fazem em **`float64`**, com diferenças
# **centrais** e um $\varepsilon$ moderado. É o que faz `torch.autograd.gradcheck`: ele usa
# $\varepsilon = 10^{-6}$ por padrão e avisa (e quase sempre falha) se as entradas não forem
# `float64`.
#
# ### Várias variáveis: uma coordenada de cada vez
#
# Para $f:\mathbb{R}^n \to \mathbb{R}$, a derivada parcial em relação a $x_i$ é a mesma conta
# deslocando **só** a coordenada $i$: com $e_i$ o vetor que tem 1 na posição $i$ e 0 no resto,
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon}.$$
#
# São $2n$ avaliações de $f$ para um gradiente, contra um único `backward()` do autograd: ótimo
# para conferir, inviável para treinar uma rede com milhões de parâmetros.
#
# Um cuidado: é tentador deslocar `x[i]` *in-place* (`x[i] += eps`) e depois desfazer. Só que em
# ponto flutuante somar e subtrair o mesmo número nem sempre devolve o valor original:

# %%
v = 1.1  # floats do Python são float64
back = v + 1e-3 - 2e-3 + 1e-3
print(back, back == v)

# %% [markdown]
# Quem chama a sua função não espera que ela mexa no tensor que passou. Trabalhe com cópias
# (`x + passo`, `x.clone()`), ou guarde o valor original e escreva-o de volta.
#
# ### Exercício 3 — `numerical_grad` (3 pontos)
#
# Implemente `numerical_grad(f, x, eps=1e-3)`, que aproxima o gradiente de `f` em `x` por
# **diferenças centrais**, uma entrada de cada vez:
#
# - `f` recebe um tensor do shape de `x` e devolve um tensor 0-dim;
# - `x` pode ter **qualquer shape** (0-dim, 1-D, 2-D, ...); o resultado tem o shape de `x`;
# - use o `eps` recebido como argumento;
# - `x` tem de ficar **exatamente** como estava (bit a bit) depois da chamada.
#
# Os testes usam `float64` e exigem concordância com o autograd até $10^{-6}$ com o `eps`
# padrão. *Analítico*: sem autograd (a função roda com ele desligado).

# %% exercise="numerical_grad"
def numerical_grad(f, x: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    """Gradiente de f (que devolve um tensor 0-dim) em x, por diferenças centrais."""
    ### BEGIN SOLUTION
    grad = torch.empty(x.numel(), dtype=x.dtype)
    for i in range(x.numel()):
        step = torch.zeros(x.numel(), dtype=x.dtype)
        step[i] = eps
        step = step.reshape(x.shape)
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad.reshape(x.shape)
    ### END SOLUTION


# %% test="test_numerical_grad" points=1
import torch
from helpers.checks import analytic, assert_close, assert_shape, autograd_grads, quietly, reseed


def _f_smooth(x):
    # ∂²f/∂xᵢ² >= 0.4 (a progressiva erra por mais de 1e-4) e |∂³f/∂xᵢ³| <= 1 (a central, por < 2e-7)
    return (torch.sin(x) + 0.6 * x**2).sum() + 0.1 * x.sum() ** 2


_x = torch.tensor([-2.0, -0.7, 0.0, 0.4, 1.3, 2.5], dtype=torch.float64)
with analytic(globals()):
    _g = quietly(numerical_grad, _f_smooth, _x)
assert_shape(_g, _x.shape, "numerical_grad(f, x)")
assert_close(_g, autograd_grads(_f_smooth, _x)[0], "numerical_grad(f, x)", rtol=0, atol=1e-6,
             hint="Com eps=1e-3 em float64 o erro deveria ficar abaixo de 1e-6: são diferenças "
                  "centrais, divididas pela distância entre os dois pontos avaliados?")

# com um eps grande o erro da diferença central aparece: para f = Σ x³ ele é exatamente eps²
_eps = 0.1
with analytic(globals()):
    _g = quietly(numerical_grad, lambda t: (t**3).sum(), _x, eps=_eps)
assert_close(_g, autograd_grads(lambda t: (t**3).sum(), _x)[0] + _eps**2,
             "numerical_grad(f, x, eps=0.1)", rtol=0, atol=1e-6,
             hint="O argumento eps está sendo usado?")
### BEGIN HIDDEN TESTS
def _f_coupled(x):
    return torch.log1p((x**2).sum()) + (x[:-1] * x[1:]).sum() + torch.cos(x).sum()


reseed()
for _f in (_f_smooth, _f_coupled):
    for _ in range(3):
        _x = torch.randn(7, dtype=torch.float64) * 1.5
        with analytic(globals()):
            _g = quietly(numerical_grad, _f, _x)
        assert_shape(_g, _x.shape, "numerical_grad(f, x)")
        assert_close(_g, autograd_grads(_f, _x)[0], "numerical_grad(f, x)", rtol=0, atol=1e-6)
for _eps in (0.05, 0.2):
    _x = torch.randn(5, dtype=torch.float64)
    with analytic(globals()):
        _g = quietly(numerical_grad, lambda t: (t**3).sum(), _x, eps=_eps)
    assert_close(_g, 3 * _x**2 + _eps**2, f"numerical_grad(f, x, eps={_eps})", rtol=0, atol=1e-6,
                 hint="O argumento eps está sendo usado?")
# gradientes perto de 100: em float32 o espaçamento (~8e-6) já passa de 1e-6
_x = torch.tensor([49.3, -50.7, 51.1], dtype=torch.float64)
with analytic(globals()):
    _g = quietly(numerical_grad, lambda t: (t**2).sum(), _x)
assert_close(_g, 2 * _x, "numerical_grad(f, x) com gradientes grandes", rtol=0, atol=1e-6,
             hint="Faça as contas no dtype de x (float64): em float32 a precisão não chega a 1e-6.")
### END HIDDEN TESTS
print("numerical_grad: testes visíveis OK")

# %% test="test_numerical_grad_shapes" points=1
import torch
from helpers.checks import analytic, assert_close, assert_shape, autograd_grads, quietly, reseed


def _f_matrix(x):
    # mistura entradas da mesma linha e de colunas diferentes
    return (torch.sin(x) + 0.6 * x**2).sum() + (x[..., 0] * x[..., -1]).sum()


def _f_scalar(x):
    return torch.sin(x) + 0.6 * x**2


_cases = [
    (_f_matrix, torch.tensor([[0.3, -1.2, 2.0, 0.8], [1.5, 0.1, -0.4, -2.2], [0.0, 0.9, 1.1, -0.6]],
                             dtype=torch.float64)),
    (_f_scalar, torch.tensor(0.7, dtype=torch.float64)),
]
for _f, _x in _cases:
    with analytic(globals()):
        _g = quietly(numerical_grad, _f, _x)
    assert_shape(_g, _x.shape, f"numerical_grad(f, x) para x de shape {tuple(_x.shape)}")
    assert_close(_g, autograd_grads(_f, _x)[0], f"numerical_grad(f, x) para x de shape "
                 f"{tuple(_x.shape)}", rtol=0, atol=1e-6,
                 hint="Cada entrada de x (em qualquer shape) deve ser deslocada sozinha.")
### BEGIN HIDDEN TESTS
reseed()
for _shape in [(2, 3, 2), (1, 5), (4, 1)]:
    _x = torch.randn(_shape, dtype=torch.float64)
    with analytic(globals()):
        _g = quietly(numerical_grad, _f_matrix, _x)
    assert_shape(_g, _x.shape, f"numerical_grad(f, x) para x de shape {_shape}")
    assert_close(_g, autograd_grads(_f_matrix, _x)[0], f"numerical_grad(f, x) para x de shape "
                 f"{_shape}", rtol=0, atol=1e-6)
_x = torch.randn((), dtype=torch.float64)
with analytic(globals()):
    _g = quietly(numerical_grad, _f_scalar, _x, eps=1e-4)
assert_shape(_g, (), "numerical_grad(f, x) para x 0-dim")
assert_close(_g, autograd_grads(_f_scalar, _x)[0], "numerical_grad(f, x) para x 0-dim",
             rtol=0, atol=1e-6)
### END HIDDEN TESTS
print("numerical_grad (shapes): testes visíveis OK")

# %% test="test_numerical_grad_unchanged" points=1
import torch
from helpers.checks import analytic, assert_close, autograd_grads, expect, quietly, reseed


def _f_smooth(x):
    return (torch.sin(x) + 0.6 * x**2).sum()


def _fragile_values(eps, n):
    # valores v em que deslocar e desfazer in-place não devolve v exatamente
    pool = torch.linspace(-2.5, 2.5, 5001, dtype=torch.float64)
    undo_once = (pool + eps) - eps != pool
    undo_twice = ((pool + eps) - 2 * eps) + eps != pool
    undo_steps = (((pool + eps) - eps) - eps) + eps != pool
    picks = [pool[undo_once][:n], pool[undo_twice][:n], pool[undo_steps][:n]]
    return torch.cat(picks)


def _check_unchanged(x, eps):
    before = x.clone()
    with analytic(globals()):
        g = quietly(numerical_grad, _f_smooth, x, eps=eps)
    expect(x.shape == before.shape and x.dtype == before.dtype,
           "numerical_grad mudou o shape ou o dtype do x recebido.")
    expect(torch.equal(x, before),
           "numerical_grad alterou o tensor x recebido (mesmo que por um arredondamento: "
           "somar e depois subtrair eps não devolve sempre o valor original). Não modifique "
           "x in-place, ou restaure o valor original guardado.")
    # tolerância folgada: a precisão é conferida em test_numerical_grad
    assert_close(g, autograd_grads(_f_smooth, before)[0], "numerical_grad(f, x)",
                 rtol=0, atol=1e-2)


_check_unchanged(_fragile_values(1e-3, 2), 1e-3)
### BEGIN HIDDEN TESTS
reseed()
_check_unchanged(_fragile_values(1e-3, 4).reshape(3, 4), 1e-3)
_check_unchanged(_fragile_values(1e-4, 3), 1e-4)
_check_unchanged(torch.randn(3, 5, dtype=torch.float64) * 2, 1e-3)
### END HIDDEN TESTS
print("numerical_grad (x intacto): testes visíveis OK")

# %% [markdown]
# ### Comparando dois gradientes: o erro relativo
#
# "Bateu com o autograd" precisa de uma régua. A diferença absoluta $|g_{num} - g_{auto}|$
# engana quando os gradientes são grandes (um erro de $10^{-3}$ num gradiente de $10^4$ é
# ótimo) ou minúsculos. O **erro relativo** não depende da escala:
#
# $$\text{erro relativo} = \frac{|g_{num} - g_{auto}|}{\max(|g_{num}|, |g_{auto}|)} .$$
#
# Com diferenças centrais em `float64` e $\varepsilon = 10^{-3}$, espere algo perto de
# $10^{-7}$ ou menos; um erro relativo de $10^{-2}$ ou maior indica um gradiente errado. Para
# $f = e^x$ (derivada $e^x$), em pontos de escalas bem diferentes:

# %%
x = torch.tensor([-5.0, 0.0, 5.0, 10.0], dtype=torch.float64)
eps = 1e-3
g_num = (torch.exp(x + eps) - torch.exp(x - eps)) / (2 * eps)  # função elemento a elemento
g_auto = torch.exp(x)
abs_err = (g_num - g_auto).abs()
rel_err = abs_err / torch.maximum(g_num.abs(), g_auto.abs())
for xi, ea, er in zip(x.tolist(), abs_err.tolist(), rel_err.tolist()):
    print(f"x = {xi:5.1f}   erro absoluto = {ea:.1e}   erro relativo = {er:.1e}")

# %% [markdown]
# O erro absoluto cresce com $e^x$ e, em $x = 10$, passaria de qualquer tolerância fixa pequena;
# o relativo fica em $\varepsilon^2/6 \approx 1.7 \cdot 10^{-7}$ em todos os pontos. (Os testes
# desta aula usam funções com gradientes de ordem 1, onde a tolerância absoluta basta.)
#
# ## 3. O gradiente de uma regressão linear
#
# Agora um caso com cara de aprendizado de máquina. Temos $N$ exemplos, cada um com $d$
# atributos (as linhas de $X$, shape `(N, d)`), alvos $y$ (shape `(N,)`), pesos $w$ (shape
# `(d,)`) e um bias escalar $b$. A previsão e a perda quadrática média são
#
# $$\hat y_i = x_i \cdot w + b, \qquad r_i = \hat y_i - y_i, \qquad
#   L = \frac{1}{N}\sum_{i=1}^{N} r_i^2 .$$
#
# Pela regra da cadeia, $\frac{\partial L}{\partial r_i} = \frac{2}{N} r_i$. Como
# $\frac{\partial r_i}{\partial w_j} = x_{ij}$ e $\frac{\partial r_i}{\partial b} = 1$:
#
# $$\frac{\partial L}{\partial w_j} = \frac{2}{N}\sum_{i=1}^{N} r_i\, x_{ij}
#   \quad\Longrightarrow\quad \nabla_w L = \frac{2}{N} X^\top r,
#   \qquad\qquad
#   \frac{\partial L}{\partial b} = \frac{2}{N}\sum_{i=1}^{N} r_i .$$
#
# Os erros clássicos nessa conta: esquecer o 2 que desce do quadrado, esquecer o $\frac{1}{N}$ da
# média, e inverter o resíduo ($y - \hat y$ troca o sinal do gradiente inteiro, e o gradiente
# descendente passa a subir a perda).
#
# Antes do caso geral, confira a versão com um único peso e sem bias,
# $L(w) = \frac{1}{N}\sum_i (w x_i - y_i)^2$, cuja derivada é
# $\frac{dL}{dw} = \frac{2}{N}\sum_i (w x_i - y_i)\,x_i$:

# %%
torch.manual_seed(0)
xs = torch.randn(20, dtype=torch.float64)
ys = 3 * xs + 0.1 * torch.randn(20, dtype=torch.float64)
w = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)

loss = ((w * xs - ys) ** 2).mean()
loss.backward()

by_hand = 2 / len(xs) * ((w.detach() * xs - ys) * xs).sum()
print(f"autograd: {w.grad.item():.12f}")
print(f"à mão:    {by_hand.item():.12f}")

# %% [markdown]
# ### Exercício 4 — `linreg_grads` (3 pontos)
#
# Implemente `linreg_grads(w, b, x, y)`, que devolve `(dL_dw, dL_db)` para
# `L = mean((x @ w + b - y)**2)`, com `x` de shape `(N, d)`, `w` `(d,)`, `b` 0-dim e `y` `(N,)`:
#
# - `dL_dw` com shape `(d,)`;
# - `dL_db` **0-dim** (shape `()`, como `b`), não `(1,)` nem `(N,)`.
#
# *Analítico*: use as fórmulas acima, sem autograd. Os testes comparam com o autograd em `float64`.

# %% exercise="linreg_grads"
def linreg_grads(w: torch.Tensor, b: torch.Tensor, x: torch.Tensor,
                 y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(dL/dw, dL/db) de L = mean((x @ w + b - y)**2), derivados à mão."""
    ### BEGIN SOLUTION
    n = x.shape[0]
    residual = x @ w + b - y
    dw = 2 / n * (x.T @ residual)
    db = 2 / n * residual.sum()
    return dw, db
    ### END SOLUTION


# %% test="test_linreg_grads_dw" points=1
import torch
from helpers.checks import (analytic, assert_close, assert_shape, assert_tuple, autograd_grads,
                            factor_hint, quietly, reseed)


def _check_dw(n, d):
    x = torch.randn(n, d, dtype=torch.float64)
    w = torch.randn(d, dtype=torch.float64)
    b = torch.randn((), dtype=torch.float64)
    y = x @ torch.randn(d, dtype=torch.float64) + torch.randn(n, dtype=torch.float64)
    with analytic(globals()):
        out = quietly(linreg_grads, w, b, x, y)
    assert_tuple(out, 2, "linreg_grads", "(dL_dw, dL_db)")
    assert_shape(out[0], w.shape, "dL_dw")
    ref = autograd_grads(lambda w_, b_: ((x @ w_ + b_ - y) ** 2).mean(), w, b)[0]
    causes = {
        n: f"O fator é {n} = N, o número de exemplos: faltou o 1/N da média.",
        2: "Sobrou um fator 2.",
        0.5: "Faltou o 2 que desce do quadrado.",
        -1: "O resíduo está invertido (y - ŷ em vez de ŷ - y).",
    }
    assert_close(out[0], ref, f"dL_dw com N={n}, d={d}", hint=factor_hint(
        out[0], ref, causes,
        "Confira o 2 que desce do quadrado, o 1/N da média e o sinal do resíduo."))


reseed(0)
_check_dw(10, 3)
### BEGIN HIDDEN TESTS
reseed()
_check_dw(17, 4)
_check_dw(6, 6)  # N == d: x @ r teria o shape certo e os valores errados
### END HIDDEN TESTS
print("linreg_grads (dL/dw): testes visíveis OK")

# %% test="test_linreg_grads_db" points=1
import torch
from helpers.checks import (analytic, assert_close, assert_tuple, autograd_grads, expect,
                            factor_hint, quietly, reseed)


def _check_db(n, d):
    x = torch.randn(n, d, dtype=torch.float64)
    w = torch.randn(d, dtype=torch.float64)
    b = torch.randn((), dtype=torch.float64)
    y = x @ torch.randn(d, dtype=torch.float64) + torch.randn(n, dtype=torch.float64)
    with analytic(globals()):
        out = quietly(linreg_grads, w, b, x, y)
    assert_tuple(out, 2, "linreg_grads", "(dL_dw, dL_db)")
    db = out[1]
    expect(isinstance(db, torch.Tensor), f"dL_db deveria ser um torch.Tensor, mas é "
           f"{type(db).__name__}.")
    expect(db.dim() == 0, f"dL_db deve ser um tensor 0-dim (shape ()), como b, mas tem shape "
           f"{tuple(db.shape)}. Some sobre os exemplos e não guarde dimensões extras.")
    ref = autograd_grads(lambda w_, b_: ((x @ w_ + b_ - y) ** 2).mean(), w, b)[1]
    causes = {
        n: f"O resultado é {n}× o esperado, e {n} = N, o número de exemplos: faltou o 1/N da média.",
        2: "Sobrou um fator 2.",
        0.5: "Faltou o 2 que desce do quadrado.",
        -1: "O sinal está trocado: o resíduo está invertido (y - ŷ em vez de ŷ - y).",
    }
    assert_close(db, ref, f"dL_db com N={n}, d={d}", hint=factor_hint(
        db, ref, causes,
        "Confira o 2 que desce do quadrado, o 1/N da média e o sinal do resíduo."))


reseed(0)
_check_db(10, 3)
### BEGIN HIDDEN TESTS
reseed()
_check_db(17, 4)
_check_db(6, 6)
### END HIDDEN TESTS
print("linreg_grads (dL/db): testes visíveis OK")

# %% test="test_linreg_grads_sizes" points=1
import torch
from helpers.checks import (analytic, assert_close, assert_shape, assert_tuple, autograd_grads,
                            quietly, reseed)


def _check_sizes(n, d):
    x = torch.randn(n, d, dtype=torch.float64) * 2
    w = torch.randn(d, dtype=torch.float64)
    b = torch.randn((), dtype=torch.float64)
    y = torch.randn(n, dtype=torch.float64) * 3 + 1
    with analytic(globals()):
        out = quietly(linreg_grads, w, b, x, y)
    assert_tuple(out, 2, "linreg_grads", "(dL_dw, dL_db)")
    ref_dw, ref_db = autograd_grads(lambda w_, b_: ((x @ w_ + b_ - y) ** 2).mean(), w, b)
    name = f"com N={n}, d={d}"
    assert_shape(out[0], (d,), f"dL_dw {name}")
    assert_shape(out[1], (), f"dL_db {name}")
    assert_close(out[0], ref_dw, f"dL_dw {name}")
    assert_close(out[1], ref_db, f"dL_db {name}")


reseed(0)
_check_sizes(8, 1)
_check_sizes(3, 5)
### BEGIN HIDDEN TESTS
reseed()
for _n, _d in [(1, 1), (1, 3), (4, 4), (500, 2), (33, 7)]:
    _check_sizes(_n, _d)
### END HIDDEN TESTS
print("linreg_grads (vários tamanhos): testes visíveis OK")

# %% [markdown]
# ## 4. Validação e inferência: `model.eval()` e `torch.no_grad()`
#
# Durante a validação ou o teste não otimizamos nada, então não precisamos de gradientes. Dois
# ajustes entram em jogo, e eles são **independentes**:
#
# | chave | o que muda | o que **não** muda |
# |---|---|---|
# | `model.eval()` / `model.train()` | o comportamento de camadas como `Dropout` (em eval, não zera nada) e `BatchNorm` (em eval, usa as estatísticas acumuladas em vez das do batch) | se o autograd rastreia as operações |
# | `with torch.no_grad():` | o autograd para de rastrear as operações: os resultados saem sem `grad_fn` e nada é guardado para um `backward()` | o modo das camadas |
#
# `model.eval()` muda um atributo do modelo (`model.training` vira `False`, nele e nos submódulos);
# `torch.no_grad()` liga um modo do PyTorch, não do modelo: vale para tudo o que roda dentro do
# bloco, qualquer que seja o modelo. Para inferir, queremos as duas coisas. Vamos ver as quatro
# combinações num modelo pequeno com dropout:

# %%
torch.manual_seed(0)
model = nn.Sequential(
    nn.Linear(8, 32),
    nn.ReLU(),
    nn.Dropout(p=0.5),
    nn.Linear(32, 2),
)
x_val = torch.randn(4, 8)

for training in (True, False):
    model.train(training)
    for grad_on in (True, False):
        with torch.set_grad_enabled(grad_on):
            first, second = model(x_val), model(x_val)
        print(f"train={training!s:5}  grad ligado={grad_on!s:5}  "
              f"saídas iguais nas 2 chamadas={torch.equal(first, second)!s:5}  "
              f"grad_fn={type(first.grad_fn).__name__ if first.grad_fn else None}")

# %% [markdown]
# O dropout só depende de `train`/`eval` (em treino, duas chamadas dão saídas diferentes), e o
# `grad_fn` só depende do gradiente estar ligado. Um exemplo de que `no_grad` não substitui
# `eval`: em modo de treino, uma `BatchNorm` **atualiza** as médias acumuladas a cada forward,
# com ou sem gradiente. Validar com `no_grad` mas sem `eval` altera o modelo.

# %%
bn = nn.BatchNorm1d(3)
batch = torch.randn(16, 3) * 2 + 5
print("running_mean antes:             ", bn.running_mean)
with torch.no_grad():
    bn(batch)
print("depois de no_grad em modo train:", bn.running_mean)
bn.eval()
with torch.no_grad():
    bn(batch)
print("depois de no_grad em modo eval: ", bn.running_mean)

# %% [markdown]
# ### Aprofundamento (opcional): o que o grafo custa, medindo
#
# Para poder calcular o `backward()`, o autograd **guarda** tensores do forward (entradas das
# camadas lineares, saídas das ReLU, ...). Eles ficam vivos enquanto o resultado (e portanto o
# grafo) existir. O gancho `torch.autograd.graph.saved_tensors_hooks` é chamado para cada tensor
# que o autograd guarda; com ele contamos quantos são e quanto ocupam (fora os parâmetros, que
# existiriam de qualquer jeito).

# %%
def saved_activations(fn, model):
    """Roda fn() e mede os tensores que o autograd guardou para o backward (sem os parâmetros)."""
    param_ptrs = {p.data_ptr() for p in model.parameters()}
    saved = {}  # indexado pelo endereço: o mesmo tensor guardado duas vezes conta uma

    def pack(t):
        if t.data_ptr() not in param_ptrs:
            saved[t.data_ptr()] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    return out, len(saved), sum(saved.values())


torch.manual_seed(0)
mlp = nn.Sequential(nn.Linear(256, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                    nn.Linear(1024, 10)).eval()
batch = torch.randn(512, 256)

out, n_saved, n_bytes = saved_activations(lambda: mlp(batch), mlp)
print(f"com grafo: {n_saved} tensores guardados, {n_bytes / 2**20:.1f} MiB, "
      f"grad_fn = {type(out.grad_fn).__name__}")
with torch.no_grad():
    out, n_saved, n_bytes = saved_activations(lambda: mlp(batch), mlp)
print(f"no_grad:   {n_saved} tensores guardados, {n_bytes / 2**20:.1f} MiB, grad_fn = {out.grad_fn}")

# %% [markdown]
# Com o grafo, ativações intermediárias que poderiam ser descartadas logo depois de usadas
# continuam na memória até o resultado ser apagado; com `no_grad`, nada é guardado. Essa memória
# cresce com o tamanho do batch e com a profundidade do modelo; por isso, na validação, costuma
# caber um batch maior do que no treino.
#
# E o tempo? Rastrear as operações tem um custo fixo por operação. A célula abaixo cronometra o forward
# de um MLP pequeno (em que esse custo fixo pesa mais, porque cada conta é barata) nos três
# modos, alternando-os e ficando com o melhor de algumas rodadas para reduzir o ruído. Os
# números dependem da máquina e da carga dela: rode de novo e compare.

# %%
torch.manual_seed(0)
small = nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                      nn.Linear(64, 10)).eval()
x_small = torch.randn(16, 32)
modes = {"com grafo": contextlib.nullcontext, "no_grad": torch.no_grad,
         "inference_mode": torch.inference_mode}


def microseconds_per_forward(mode, reps=25):
    with mode():
        start = time.perf_counter()
        for _ in range(reps):
            small(x_small)
        return (time.perf_counter() - start) / reps * 1e6


for mode in modes.values():  # aquecimento: a primeira chamada paga inicializações
    microseconds_per_forward(mode, reps=2)
best = {name: float("inf") for name in modes}
deadline = time.perf_counter() + 1.0  # no máximo cerca de 1 s de medição
for _ in range(20):  # o mínimo de várias rodadas curtas sofre pouco com interrupções
    for name, mode in modes.items():
        best[name] = min(best[name], microseconds_per_forward(mode))
    if time.perf_counter() > deadline:
        break
for name, us in best.items():
    print(f"{name:15}: {us:6.1f} µs por forward")

# %% [markdown]
# Em CPU, com modelos grandes, a diferença de tempo do forward costuma ser pequena (as
# multiplicações de matrizes dominam); a economia de memória não depende disso. E na validação
# o maior ganho de tempo vem de não chamar `backward()` nem `optimizer.step()`, que nem fazem
# sentido ali.
#
# ### `torch.inference_mode()`
#
# `torch.inference_mode()` é uma versão mais radical de `no_grad`: além de não rastrear as
# operações, dispensa a contabilidade de versões dos tensores, o que a deixa um pouco mais
# barata. Em troca, os tensores criados lá dentro são *tensores de inferência*. Eles podem
# entrar depois em contas rastreadas, **mas o autograd não pode guardá-los para o backward**:
# somar a um parâmetro funciona (a derivada da soma não precisa do valor), multiplicar não (a
# derivada em relação ao parâmetro precisaria dele).

# %%
with torch.inference_mode():
    pred = model(x_val)
print("requires_grad:", pred.requires_grad, "| grad_fn:", pred.grad_fn,
      "| tensor de inferência:", pred.is_inference())

weight = torch.ones(2, requires_grad=True)
print("pred + weight funciona:", (pred + weight).grad_fn)
try:
    (pred * weight).sum()
except RuntimeError as err:
    print("RuntimeError:", str(err).split(".")[0])

# %% [markdown]
# Regra prática: `inference_mode` quando o resultado só vai ser lido (predição, métricas);
# `no_grad` quando ele ainda pode voltar a participar de um treino (ou `pred.clone()` fora do
# `inference_mode`, que devolve um tensor normal).
#
# O padrão de validação completo, com um modelo de verdade (o do texto-base só dizia
# `model = ...`):

# %%
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(32, 1))
x_val, y_val = torch.randn(64, 8), torch.randn(64, 1)
loss_fn = nn.MSELoss()

model.eval()  # dropout desligado, BatchNorm com as estatísticas acumuladas
with torch.no_grad():  # nada de grafo: menos memória, nenhum grad_fn
    val_loss = loss_fn(model(x_val), y_val)
model.train()  # de volta ao modo de treino antes da próxima época
print(f"perda de validação: {val_loss.item():.4f}")

# %% [markdown]
# ### Exercício 5 — `predict` (1 ponto)
#
# Implemente `predict(model, x)`, que devolve a saída do modelo para `x` **em modo de avaliação
# e com o rastreamento de gradientes desligado durante o forward** (`torch.no_grad()` ou
# `torch.inference_mode()`). A saída não pode ter `grad_fn` e deve ser igual a `model.eval()(x)`;
# para um modelo com dropout, duas chamadas dão o mesmo resultado. Pode deixar o modelo em modo
# eval.
#
# Atenção: o teste observa o forward por dentro (com um gancho). Chamar o modelo com o gradiente
# ligado e fazer `.detach()` depois **não** passa: o grafo já teria sido montado.

# %% exercise="predict"
def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Saída de model para x em modo eval, sem rastrear o grafo."""
    ### BEGIN SOLUTION
    model.eval()
    with torch.no_grad():
        return model(x)
    ### END SOLUTION


# %% test="test_predict" points=1
import torch
from torch import nn
from helpers.checks import ForwardRecorder, assert_close, assert_detached, expect, quietly, reseed


def _check_predict(model, x):
    model.eval()
    with torch.no_grad():
        ref = model(x)
    model.train()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with ForwardRecorder(model) as rec:
        out = quietly(predict, model, x)
    grad_left_on = torch.is_grad_enabled()
    torch.set_grad_enabled(True)  # as células seguintes precisam dele ligado
    expect(grad_left_on,
           "predict deixou o rastreamento de gradientes desligado depois de terminar: "
           "desligue-o só em volta da chamada do modelo, com um bloco with.")
    expect(len(rec.calls) > 0, "predict não chamou o modelo.")
    expect(all(not training for training, _ in rec.calls),
           "O forward rodou em modo de treino: o modelo precisa estar em modo de avaliação.")
    expect(all(not grad_on for _, grad_on in rec.calls),
           "O forward rodou com o rastreamento de gradientes ligado. Desligue-o em volta da "
           "chamada do modelo (um .detach() depois não basta: o grafo já foi montado).")
    assert_detached(out, "predict(model, x)")
    assert_close(out, ref, "predict(model, x)")
    for k, v in model.state_dict().items():
        expect(torch.equal(v, state[k]), f"predict alterou o estado do modelo ({k}).")
    return out


reseed(0)
_model = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(32, 3))
_check_predict(_model, torch.randn(16, 6))
### BEGIN HIDDEN TESTS
reseed()
_model = nn.Sequential(nn.Linear(5, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(p=0.3),
                       nn.Linear(16, 2))
with torch.no_grad():  # estatísticas acumuladas diferentes das do batch de teste
    _model.train()
    for _ in range(3):
        _model(torch.randn(32, 5) * 2 + 1)
_x = torch.randn(8, 5, requires_grad=True)
_out1 = _check_predict(_model, _x)
_out2 = _check_predict(_model, _x)
expect(torch.equal(_out1, _out2), "Duas chamadas de predict deram resultados diferentes.")
_model.eval()
_check_predict(_model, torch.randn(3, 5))
### END HIDDEN TESTS
print("predict: testes visíveis OK")

# %% [markdown]
# ## Erros comuns
#
# As mensagens abaixo são as que o PyTorch imprime (em inglês); cada célula provoca o erro de
# propósito e o captura, para a aula seguir.
#
# ### `RuntimeError: Inference tensors cannot be saved for backward.`
#
# **Causa:** um tensor criado dentro de `torch.inference_mode()` entrou numa conta cujo
# backward precisa do valor dele (uma multiplicação por um parâmetro, uma camada do modelo).
# **Correção:** use `torch.no_grad()` onde o resultado ainda vai voltar a um treino, ou faça
# `t.clone()` fora do `inference_mode` para ter um tensor normal.

# %%
try:
    (pred * weight).sum()
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `RuntimeError: a view of a leaf Variable that requires grad is being used in an in-place operation.`
#
# **Causa:** deslocar uma entrada *in-place* (`x[i] += eps`) num tensor folha que rastreia,
# por exemplo ao escrever diferenças finitas para um parâmetro. **Correção:** trabalhe numa
# cópia fora do grafo (`x.detach().clone()`) ou faça a conta com `x + passo`, sem alterar `x`.

# %%
x_param = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
try:
    x_param[0] += 1e-3
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `RuntimeError: expected m1 and m2 to have the same dtype, but got: double != float`
#
# **Causa:** misturar `float64` (das conferências numéricas) com `float32` (o padrão do torch e
# dos modelos) numa mesma conta. **Correção:** converta um dos lados: `x.double()` ou
# `model.double()` para conferir em `float64`, `x.float()` para voltar ao padrão.

# %%
try:
    torch.randn(2, 3, dtype=torch.float64) @ torch.randn(3, 2)
except RuntimeError as err:
    print(f"RuntimeError: {err}")

# %% [markdown]
# ### `ValueError: Expected more than 1 value per channel when training, got input size torch.Size([1, ...])`
#
# **Causa:** prever um único exemplo com um modelo que tem `BatchNorm` ainda em modo de treino:
# as estatísticas do batch não existem com um só exemplo. **Correção:** `model.eval()` antes de
# inferir (e `torch.no_grad()` em volta do forward).

# %%
bn_model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
try:
    bn_model(torch.randn(1, 3))
except ValueError as err:
    print(f"ValueError: {err}")
bn_model.eval()
with torch.no_grad():
    print("em eval:", bn_model(torch.randn(1, 3)).shape)

# %% [markdown]
# ## Resumo
#
# - Derivar à mão casos pequenos é como se confere um gradiente: $\frac{d}{dx}x^2 = 2x$;
#   para $2x^2 + 3y^3$, $\partial_x = 4x$ e $\partial_y = 9y^2$.
# - Na regressão linear com $L = \frac{1}{N}\sum_i (x_i\cdot w + b - y_i)^2$:
#   $\nabla_w L = \frac{2}{N}X^\top r$ e $\partial_b L = \frac{2}{N}\sum_i r_i$, com
#   $r = Xw + b - y$. Os erros típicos são o 2, o $\frac1N$ e o sinal do resíduo.
# - Diferenças **centrais** têm erro $O(\varepsilon^2)$, as progressivas $O(\varepsilon)$; o
#   arredondamento cresce quando $\varepsilon$ diminui. Confira gradientes em `float64`, com
#   $\varepsilon$ moderado, deslocando uma entrada por vez e sem alterar o tensor original.
# - `model.eval()` muda o comportamento de dropout e BatchNorm; `torch.no_grad()` desliga a
#   rastreamento do grafo. São independentes: para validar e inferir, use os dois (e
#   `model.train()` antes de voltar a treinar).
# - Na backpropagation à mão, siga o grafo de trás para frente, uma operação por vez; quando
#   uma variável é usada em dois lugares, as parcelas se somam.
# - Compare gradientes pelo **erro relativo**, que não depende da escala.
# - O grafo guarda ativações para o `backward()`; sem ele essa memória não é ocupada.
#   `torch.inference_mode()` vai além de `no_grad`, ao preço de tensores que o autograd não
#   pode guardar para um `backward()`.
#
# **Próxima aula:** `nn.Module`, a forma de organizar parâmetros e forward que o resto do
# curso usa.
#
# ## Para ir além
#
# - `torch.autograd.gradcheck(f, (x,))` automatiza a conferência da seção 2 (entradas `float64`
#   com `requires_grad=True`).
# - `torch.func.grad(f)` devolve uma **função** que calcula o gradiente de `f`, no estilo do
#   JAX: `torch.func.grad(f)(x)` é o gradiente em `x`.
# - Derive à mão o gradiente da regressão logística com entropia cruzada: o resultado,
#   $\frac{1}{N}X^\top(\sigma(Xw + b) - y)$, tem a mesma forma do da regressão linear.
