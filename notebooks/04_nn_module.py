# %% [markdown]
# # Aula 04 — `nn.Module`: construindo redes com PyTorch
#
# Até aqui os parâmetros eram tensores soltos (`W`, `b`) que nós mesmos criávamos, passávamos ao
# otimizador e zerávamos. Numa rede de verdade são dezenas de tensores. A classe
# **`torch.nn.Module`** é a classe base de todas as redes neurais do PyTorch: ela guarda as
# camadas, encontra os parâmetros delas sozinha e implementa `.to(device)`, `train()`/`eval()`,
# `state_dict()` e tudo o que o loop de treinamento vai precisar.
#
# **Objetivos**
#
# - Escrever uma rede como subclasse de `nn.Module` (`__init__` com as camadas, `forward` com as
#   contas), incluindo o *flatten* que transforma imagens `(N, 1, 28, 28)` em `(N, 784)`.
# - Entender **como** o módulo encontra os parâmetros (atribuição de atributo), e por que uma
#   lista comum do Python os esconde do otimizador — e consertar com `nn.ModuleList`.
# - Inspecionar um modelo com `named_parameters()` e `state_dict()`, contar e congelar
#   parâmetros, e movê-lo para o device com `.to(device)`.
# - Montar a mesma rede com `nn.Sequential`, e redes de profundidade qualquer a partir de uma
#   lista de tamanhos.
# - Saber o que `train()` e `eval()` mudam, usando `Dropout` como exemplo.
#
# Tempo estimado: 45 min (+ 15 min de aprofundamento opcional)

# %%
import io

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

# %% [markdown]
# ## 1. Uma rede é uma classe: `nn.Module`
#
# Para construir uma rede neural você:
#
# 1. herda de `nn.Module` (e chama `super().__init__()` antes de qualquer outra coisa);
# 2. cria as camadas (por exemplo `nn.Linear`) no construtor `__init__()`, como atributos;
# 3. implementa o método `forward()`, que diz o que fazer com a entrada.
#
# Este é o MLP (*multilayer perceptron*) do texto-base, com uma camada escondida, copiado como
# está:

# %%
class SeedMLP(nn.Module):
    """O MLP do texto-base, sem mudanças (falta uma coisa: veja abaixo)."""

    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()  # função de ativação
        self.fc2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        out = self.fc1(x)
        out = self.relu(out)
        out = self.fc2(out)
        return out


input_size = 28 * 28  # imagens MNIST de 28x28
hidden_size = 128
output_size = 10  # 10 classes (dígitos de 0 a 9)

torch.manual_seed(0)
seed_model = SeedMLP(input_size, hidden_size, output_size)
print(seed_model)

# %% [markdown]
# Nunca chamamos `forward` diretamente: chamamos o próprio modelo, `seed_model(x)`, que roda o
# `forward` (e os ganchos que o PyTorch pendura nele). Vamos passar um batch com o formato do
# MNIST: 4 imagens, 1 canal, 28×28 pixels (valores aleatórios bastam para ver os shapes).

# %%
images = torch.randn(4, 1, 28, 28)
try:
    seed_model(images)
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# Quebrou. `nn.Linear(784, 128)` age sobre a **última** dimensão da entrada e espera que ela
# tenha 784 números; a nossa última dimensão tem 28 (as outras são tratadas como batch: o PyTorch
# juntou 4·1·28 = 112 "linhas" de 28). O texto-base esqueceu de **achatar** (*flatten*) cada
# imagem num vetor de 784, mantendo a dimensão do batch:

# %%
print(images.shape, "->", images.flatten(1).shape)  # achata da dimensão 1 em diante
print(torch.flatten(images, start_dim=1).shape, images.view(images.size(0), -1).shape,
      nn.Flatten()(images).shape)  # três formas equivalentes
print("flatten() sem argumento achata o batch junto:", images.flatten().shape)

# %% [markdown]
# Achatando no começo do `forward`, o mesmo modelo funciona com imagens `(N, 1, 28, 28)` e com
# vetores `(N, 784)` que já venham achatados (achatar um `(N, 784)` não muda nada). A saída tem
# uma linha por imagem e uma coluna por classe: são os *logits*, que a aula 05 transforma em
# probabilidades e numa perda.
#
# ### Exercício 1 — `MLP` (3 pontos)
#
# Escreva a classe `MLP(input_size, hidden_size, output_size)` como a do texto-base, com os
# atributos `fc1` (`nn.Linear`), `relu` (a ReLU: `nn.ReLU()` ou a função `F.relu`) e `fc2`
# (`nn.Linear`), sem camadas a mais. O `forward` deve aceitar qualquer entrada `(N, ...)`:
# achate tudo menos a dimensão do batch, para `(N, input_size)`, e devolva
# `fc2(relu(fc1(x)))` com shape `(N, output_size)`.

# %% exercise="MLP"
class MLP(nn.Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        ### BEGIN SOLUTION
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, output_size)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        x = x.flatten(1)
        return self.fc2(self.relu(self.fc1(x)))
        ### END SOLUTION


# %% test="test_MLP_layers" points=1
import torch
from torch import nn
from helpers.checks import construct, expect, quietly, reseed, runtime_error_as_failure


def _check_mlp_layers(i, h, o):
    model = construct(MLP, i, h, o)
    expect(isinstance(model, nn.Module), "MLP deve herdar de nn.Module.")
    for attr, n_in, n_out in (("fc1", i, h), ("fc2", h, o)):
        layer = getattr(model, attr, None)
        expect(isinstance(layer, nn.Linear),
               f"model.{attr} deveria ser um nn.Linear, mas é {type(layer).__name__}.")
        expect((layer.in_features, layer.out_features) == (n_in, n_out),
               f"Em MLP({i}, {h}, {o}), model.{attr} é Linear({layer.in_features}, "
               f"{layer.out_features}), mas deveria ser Linear({n_in}, {n_out}).")
    expect(hasattr(model, "relu"), "MLP não tem o atributo relu (a ativação entre fc1 e fc2).")
    t = torch.randn(6, 5) * 100  # valores grandes: uma ReLU com teto (ReLU6) não passa
    relu_hint = "guarde nn.ReLU() (com parênteses) ou a função F.relu."
    with runtime_error_as_failure("model.relu(t)", relu_hint):
        r = quietly(model.relu, t.clone())
    expect(isinstance(r, torch.Tensor) and torch.equal(r, torch.relu(t)),
           "model.relu(t) deveria aplicar a ReLU, max(0, t), sem teto para valores grandes: "
           + relu_hint)
    n = sum(p.numel() for p in model.parameters())
    want = i * h + h + h * o + o
    expect(n <= want, f"MLP({i}, {h}, {o}) tem {n} parâmetros, mais que os {want} de fc1 e fc2: "
           "há camadas a mais.")
    expect(n >= want, f"MLP({i}, {h}, {o}) tem {n} parâmetros, menos que os {want} de fc1 e fc2: "
           "falta algum bias?")


reseed(0)
_check_mlp_layers(784, 128, 10)
_check_mlp_layers(12, 5, 3)
### BEGIN HIDDEN TESTS
reseed()
for _ in range(3):
    _i, _h, _o = (int(v) for v in torch.randint(1, 40, (3,)))
    _check_mlp_layers(_i, _h, _o)
### END HIDDEN TESTS
print("MLP (camadas): testes visíveis OK")

# %% test="test_MLP_forward" points=2
import torch
from helpers.checks import assert_close, assert_shape, construct, expect, quietly, reseed
from helpers.checks import runtime_error_as_failure


def _check_mlp_forward(model, x, hint=""):
    name = f"MLP(x) com x de shape {tuple(x.shape)}"
    original = x.clone()
    with runtime_error_as_failure(f"MLP com entrada de shape {tuple(x.shape)}",
                                  "A entrada precisa virar (N, input_size) antes de fc1: achate "
                                  "todas as dimensões menos a do batch, sem números fixos "
                                  "como 784."):
        out = quietly(model, x)
    expect(torch.equal(x, original), f"{name} modificou a entrada x: o forward não deve alterar "
           "o tensor recebido (nada de operações in-place, como relu_, em x ou numa view dele).")
    with torch.no_grad(), runtime_error_as_failure(
            f"Aplicando model.fc1 e model.fc2 a x de shape {tuple(x.shape)}",
            "model.fc1 deve ser a primeira camada e model.fc2 a segunda."):
        hidden = model.fc1(original.flatten(1))
        ref = model.fc2(torch.relu(hidden))
        no_relu = model.fc2(hidden)
    assert_shape(out, ref.shape, name)
    if not torch.allclose(out, ref):
        expect(not torch.allclose(out, torch.relu(ref)),
               f"{name}: a saída não tem valores negativos; não aplique a ReLU depois de fc2 "
               "(os logits podem ser negativos).")
        expect(not torch.allclose(out, no_relu), f"{name}: faltou a ReLU entre fc1 e fc2.")
    assert_close(out, ref, name, hint=hint)


_BIG = ("Com entradas grandes a ativação entre fc1 e fc2 deve ser a ReLU, max(0, t), sem teto "
        "(nn.ReLU6 e F.hardtanh cortam os valores grandes).")
reseed(0)
_model = construct(MLP, 784, 32, 10)
_check_mlp_forward(_model, torch.randn(8, 1, 28, 28))  # um batch com o formato do MNIST
_check_mlp_forward(_model, torch.randn(8, 784))  # já achatado
_check_mlp_forward(_model, 200 * torch.randn(8, 784), _BIG)  # fc1 dá valores além de ±50
_model = construct(MLP, 24, 6, 3)
_check_mlp_forward(_model, torch.randn(5, 2, 3, 4))
### BEGIN HIDDEN TESTS
reseed()
_model = construct(MLP, 784, 20, 10)
_check_mlp_forward(_model, torch.randn(1, 1, 28, 28))  # batch de uma imagem
_check_mlp_forward(_model, torch.randn(3, 28, 28))
_check_mlp_forward(_model, 300 * torch.randn(4, 1, 28, 28), _BIG)
_model = construct(MLP, 15, 15, 15)
_check_mlp_forward(_model, torch.randn(15, 15))
_check_mlp_forward(_model, torch.randn(7, 5, 3))
### END HIDDEN TESTS
print("MLP (forward): testes visíveis OK")

# %% [markdown]
# ## 2. Como o módulo encontra os parâmetros
#
# O PyTorch rastreia automaticamente os parâmetros de todo `nn.Module` **atribuído como
# atributo**. Não é mágica: `nn.Module` intercepta `self.nome = valor`. Se o valor é um
# `nn.Module` (uma camada) ou um `nn.Parameter`, ele fica registrado; qualquer outra coisa vira
# um atributo comum do Python, invisível para `.parameters()`.

# %%
class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer = nn.Linear(3, 2)  # módulo: registrado (com os seus pesos e bias)
        self.scale = nn.Parameter(torch.ones(2))  # parâmetro: registrado
        self.offset = torch.zeros(2, requires_grad=True)  # tensor comum: NÃO registrado

    def forward(self, x):
        return self.layer(x) * self.scale + self.offset


for name, p in Tiny().named_parameters():
    print(f"{name:13} shape={tuple(p.shape)}")

# %% [markdown]
# `offset` não aparece: o otimizador, que recebe `model.parameters()`, nunca o atualizaria.
# O mesmo acontece, de forma bem mais traiçoeira, com camadas guardadas numa **lista comum** do
# Python. Parece razoável guardar as camadas escondidas numa lista, mas `nn.Module` só vê o
# atributo `self.hidden`, que é uma lista, e não olha dentro dela. Nada dá erro: o modelo roda,
# a perda até cai (a última camada treina), e a camada escondida fica parada. Vamos ver
# acontecer, treinando a mesma rede com uma lista comum e com `nn.ModuleList`, a lista que
# registra o que guarda.

# %%
class PlainListNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = [nn.Linear(2, 32)]  # lista comum: a camada NÃO é registrada
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        return self.out(torch.relu(self.hidden[0](x)))


class ModuleListNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.ModuleList([nn.Linear(2, 32)])  # registrada
        self.out = nn.Linear(32, 1)

    def forward(self, x):
        return self.out(torch.relu(self.hidden[0](x)))


def train_and_watch(model, steps=300):
    """Treina com SGD e devolve a perda e o quanto os pesos escondidos andaram, a cada passo."""
    torch.manual_seed(1)
    x = torch.randn(256, 2)
    y = torch.sin(2 * x[:, :1]) * x[:, 1:]  # um alvo não linear
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    w0 = model.hidden[0].weight.detach().clone()
    losses, moved = [], []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        moved.append((model.hidden[0].weight.detach() - w0).norm().item())
    return losses, moved


torch.manual_seed(0)
plain = PlainListNet()
torch.manual_seed(0)
fixed = ModuleListNet()  # mesma semente: começa com os mesmos pesos
print("parâmetros de PlainListNet: ", [n for n, _ in plain.named_parameters()])
print("parâmetros de ModuleListNet:", [n for n, _ in fixed.named_parameters()])
plain_losses, plain_moved = train_and_watch(plain)
fixed_losses, fixed_moved = train_and_watch(fixed)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.5))
ax1.plot(plain_losses, label="lista comum")
ax1.plot(fixed_losses, label="nn.ModuleList")
ax1.set(title="perda de treino", xlabel="passo", yscale="log")
ax1.legend()
ax2.plot(plain_moved, label="lista comum")
ax2.plot(fixed_moved, label="nn.ModuleList")
ax2.set(title="quanto os pesos escondidos andaram: ‖W − W₀‖", xlabel="passo")
ax2.legend()
plt.tight_layout()
plt.show()
print(f"perda final: lista comum {plain_losses[-1]:.4f}, ModuleList {fixed_losses[-1]:.4f}")
print(f"‖W − W₀‖ da camada escondida: lista comum {plain_moved[-1]:.1f}, "
      f"ModuleList {fixed_moved[-1]:.2f}")

# %% [markdown]
# Com a lista comum os pesos escondidos não se movem nem um pouco (‖W − W₀‖ = 0): a rede treinou
# só a última camada, em cima de atributos aleatórios. E nenhuma mensagem avisou. Quando **todas**
# as camadas estão numa lista comum, pelo menos há um erro (veja "Erros comuns").
#
# A regra: camadas vão em atributos, em `nn.ModuleList` (uma lista registrada) ou em
# `nn.Sequential` (seção 4); um dicionário de camadas vai em `nn.ModuleDict`.
#
# ## 3. Inspecionar, contar, congelar e mover parâmetros
#
# `named_parameters()` percorre os parâmetros registrados com nomes que seguem os atributos
# (`fc1.weight`, `hidden.0.bias`, ...). Uma camada `nn.Linear(in, out)` tem pesos `(out, in)` e
# bias `(out,)`:

# %%
for name, p in seed_model.named_parameters():
    print(f"{name:11} shape={tuple(p.shape)!s:12} numel={p.numel():6}  "
          f"requires_grad={p.requires_grad}")

# %% [markdown]
# `state_dict()` é o dicionário `nome -> tensor` com tudo o que define o estado do modelo: é o
# que se salva em disco (aprofundamento no fim). Além dos parâmetros, ele guarda os *buffers*:
# tensores do estado que **não** são treinados pelo otimizador, como as médias acumuladas de uma
# `BatchNorm`:

# %%
with_norm = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
print("parameters():", [n for n, _ in with_norm.named_parameters()])
print("state_dict(): ", list(with_norm.state_dict()))

# %% [markdown]
# Por isso, para contar os números que o modelo **aprende**, a fonte é `.parameters()`, não o
# `state_dict()`. O total de `seed_model` é $784 \cdot 128 + 128 + 128 \cdot 10 + 10 = 101\,770$
# números.
#
# **Congelar** uma camada é desligar o `requires_grad` dos parâmetros dela com
# `requires_grad_(False)` (que também funciona num módulo inteiro): o `backward()` deixa o
# `.grad` dela em `None` e o otimizador não a altera. É o que se faz ao reaproveitar uma rede
# treinada e ajustar só a última camada (*fine-tuning*).

# %%
torch.manual_seed(0)
frozen_demo = SeedMLP(784, 128, 10)
frozen_demo.fc1.requires_grad_(False)  # congela fc1 (pesos e bias)
frozen_demo(images.flatten(1)).sum().backward()
for name, p in frozen_demo.named_parameters():
    grad = None if p.grad is None else tuple(p.grad.shape)
    print(f"{name:11} requires_grad={p.requires_grad!s:5}  grad={grad}")

# %% [markdown]
# Um `model.parameters()` que inclui parâmetros congelados pode ir para o otimizador sem
# problema (ele pula quem tem `.grad` igual a `None`), mas é comum passar só os treináveis:
# `torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)`.
#
# ### Exercício 2 — `count_parameters` (2 pontos)
#
# Implemente `count_parameters(model)`, que devolve (como `int`) o número de números
# **treináveis** do modelo: a soma dos `numel()` dos parâmetros com `requires_grad=True`.
# Parâmetros congelados não contam; um parâmetro compartilhado por duas camadas conta uma vez
# (como em `.parameters()`); buffers não são parâmetros.

# %% exercise="count_parameters"
def count_parameters(model: nn.Module) -> int:
    """Número de escalares treináveis (parâmetros com requires_grad) de model."""
    ### BEGIN SOLUTION
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
    ### END SOLUTION


# %% test="test_count_parameters" points=1
import numbers

import torch
from torch import nn
from helpers.checks import expect, quietly, reseed, runtime_error_as_failure


def _linear_size(layer):
    return layer.in_features * layer.out_features + layer.out_features


def _counted(model, name):
    with runtime_error_as_failure(f"count_parameters({name})",
                                  "Some p.numel() dos parâmetros treináveis (a soma pode ser 0)."):
        got = quietly(count_parameters, model)
    expect(isinstance(got, numbers.Integral) and not isinstance(got, bool),
           f"count_parameters({name}) deve devolver um int, mas devolveu "
           f"{type(got).__name__}: conte com numel(), que já é int, sem tensores nem floats.")
    return int(got)


def _check_count(model, want, name):
    got = _counted(model, name)
    if got == want:
        return
    everything = sum(p.numel() for p in model.parameters())
    expect(got != len(list(model.parameters())),
           f"count_parameters({name}) devolveu {got}, o número de tensores de parâmetros; "
           "conte os números dentro deles (numel).")
    expect(got != everything, f"count_parameters({name}) devolveu {got}, contando também os "
           "parâmetros congelados (requires_grad=False).")
    raise AssertionError(f"count_parameters({name}) devolveu {got}, mas o modelo tem {want} "
                         "números treináveis.")


reseed(0)
_model = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 3))
_check_count(_model, _linear_size(_model[0]) + _linear_size(_model[2]), "MLP 5-4-3")
_model[0].requires_grad_(False)
_check_count(_model, _linear_size(_model[2]), "MLP 5-4-3 com a primeira camada congelada")
### BEGIN HIDDEN TESTS
reseed()
_sizes = [int(v) for v in torch.randint(2, 30, (4,))]
_model = nn.Sequential(*(nn.Linear(a, b) for a, b in zip(_sizes[:-1], _sizes[1:])))
_check_count(_model, sum(_linear_size(m) for m in _model), f"MLP {_sizes}")
_model[1].weight.requires_grad_(False)  # só os pesos, o bias continua treinável
_check_count(_model, _linear_size(_model[0]) + _model[1].out_features + _linear_size(_model[2]),
             f"MLP {_sizes} com os pesos da camada do meio congelados")
_model.requires_grad_(False)
_check_count(_model, 0, "um modelo todo congelado")
### END HIDDEN TESTS
print("count_parameters: testes visíveis OK")

# %% test="test_count_parameters_shared" points=1
import numbers

import torch
from torch import nn
from helpers.checks import expect, quietly, reseed, runtime_error_as_failure


class _Tied(nn.Module):
    """Uma camada usada duas vezes, nn.Parameter diretos (um deles escalar) e uma BatchNorm."""

    def __init__(self, n):
        super().__init__()
        self.encoder = nn.Linear(n, n)
        self.decoder = self.encoder  # a mesma camada: os parâmetros dela contam uma vez
        self.scale = nn.Parameter(torch.ones(n))
        self.temperature = nn.Parameter(torch.tensor(1.0))  # 0 dimensões: numel() == 1
        self.norm = nn.BatchNorm1d(n)

    def forward(self, x):
        return self.decoder(self.norm(self.encoder(x))) * self.scale / self.temperature


def _counted(model, name):
    with runtime_error_as_failure(f"count_parameters({name})",
                                  "Some p.numel() dos parâmetros treináveis."):
        got = quietly(count_parameters, model)
    expect(isinstance(got, numbers.Integral) and not isinstance(got, bool),
           f"count_parameters({name}) deve devolver um int, mas devolveu "
           f"{type(got).__name__}: conte com numel(), que já é int, sem tensores nem floats.")
    return int(got)


def _check_count(model, want, name):
    got = _counted(model, name)
    if got == want:
        return
    trainable = [p for _, p in model.named_parameters(remove_duplicate=False) if p.requires_grad]
    everything = sum(p.numel() for p in model.parameters())
    expect(got != everything, f"count_parameters({name}) devolveu {got}, contando também os "
           "parâmetros congelados (requires_grad=False).")
    twice = sum(p.numel() for p in trainable)  # cada uso de um parâmetro compartilhado
    state = sum(t.numel() for t in model.state_dict().values())
    causes = []
    if got == twice:
        causes.append("contando de novo a cada uso os parâmetros compartilhados (a mesma camada, "
                      "ou o mesmo tensor, em dois lugares)")
    if got == state:
        causes.append("o tamanho do state_dict, que inclui buffers (como as médias da BatchNorm) "
                      "e repete parâmetros compartilhados")
    expect(not causes, f"count_parameters({name}) devolveu {got}: {'; ou '.join(causes)}. "
           "Conte cada parâmetro treinável uma vez, como model.parameters() os entrega.")
    expect(got < want, f"count_parameters({name}) devolveu {got}, mais que os {want} números "
           "treináveis: algum parâmetro foi contado duas vezes?")
    direct = sum(p.numel() for p in model.parameters(recurse=False) if p.requires_grad)
    scalars = sum(p.numel() for p in model.parameters() if p.requires_grad and p.dim() == 0)
    why = ""
    if direct and want - got == direct:
        why = " (nn.Parameter registrados diretamente no modelo também contam)"
    elif scalars and want - got == scalars:
        why = " (um parâmetro escalar, de shape (), também conta: numel() == 1)"
    raise AssertionError(f"count_parameters({name}) devolveu {got}, mas o modelo tem {want} "
                         f"números treináveis{why}.")


reseed(0)
_n = 6
_check_count(_Tied(_n), _n * _n + _n + _n + 1 + 2 * _n, "um modelo com uma camada compartilhada")
### BEGIN HIDDEN TESTS
reseed()
_n = int(torch.randint(3, 20, ()))
_model = _Tied(_n)
_model.norm.requires_grad_(False)
_check_count(_model, _n * _n + _n + _n + 1,
             "um modelo com camada compartilhada e BatchNorm congelada")
_a, _b = nn.Linear(_n, _n + 1), nn.Linear(_n, _n + 1)
_b.weight = _a.weight  # o mesmo tensor de pesos em duas camadas
_check_count(nn.ModuleList([_a, _b]), _n * (_n + 1) + 2 * (_n + 1), "pesos amarrados")
### END HIDDEN TESTS
print("count_parameters (compartilhados, buffers): testes visíveis OK")

# %% [markdown]
# ### `.to(device)`: levar o modelo para a GPU
#
# A célula de preparação do início da aula escolheu `device` (a GPU, se houver uma). Para
# treinar lá, o modelo **e** os dados precisam estar no mesmo device. `model.to(device)` move
# todos os parâmetros e buffers registrados (mais um motivo para não esconder camadas numa
# lista comum) e devolve o **próprio** módulo. Já `tensor.to(device)` devolve um tensor e
# não muda o original: é preciso reatribuir.

# %%
moved = seed_model.to(device)  # device vem da célula de preparação
print("model.to(device) devolve o mesmo objeto:", moved is seed_model)
print("parâmetros em:", next(seed_model.parameters()).device)
batch = images.flatten(1).to(device)  # reatribua: images fica onde estava
out = seed_model(batch)
print("saída:", tuple(out.shape), "em", out.device)

# %% [markdown]
# ## 4. `nn.Sequential`: quando a rede é uma fila de camadas
#
# Quando o `forward` só passa a saída de uma camada para a seguinte, não é preciso escrever uma
# classe: `nn.Sequential(camada1, camada2, ...)` faz exatamente isso. As camadas são
# registradas (com nomes `0`, `1`, ...) e podem ser acessadas por índice. Funções como a ReLU
# entram como módulos (`nn.ReLU()`), e o flatten também (`nn.Flatten()`, que por padrão achata
# da dimensão 1 em diante).

# %%
torch.manual_seed(0)
regressor = nn.Sequential(
    nn.Linear(3, 16),
    nn.Tanh(),
    nn.Linear(16, 1),
)
print(regressor)
print("regressor[0] é", regressor[0], "| nomes:", [n for n, _ in regressor.named_parameters()])
print("saída:", tuple(regressor(torch.randn(5, 3)).shape))

# %% [markdown]
# O `nn.Sequential` é prático, mas só serve para filas: se o `forward` precisa de duas entradas,
# de um atalho (`x + camada(x)`) ou de um `if`, escreva uma subclasse de `nn.Module`. Os dois
# estilos se misturam: um `nn.Sequential` pode ser um atributo de uma classe, e vice-versa.
#
# ### Exercício 3 — `mlp_sequential` (2 pontos)
#
# Implemente `mlp_sequential(input_size, hidden_size, output_size)`, que devolve o MLP do
# exercício 1 como um `nn.Sequential` de **exatamente quatro** módulos, nesta ordem: `Flatten`,
# `Linear`, `ReLU`, `Linear`. Assim `seq[1]` e `seq[3]` são as camadas lineares, e copiando para
# elas os pesos de um `MLP` as saídas ficam iguais.

# %% exercise="mlp_sequential"
def mlp_sequential(input_size: int, hidden_size: int, output_size: int) -> nn.Sequential:
    """O MLP como nn.Sequential: Flatten, Linear, ReLU, Linear."""
    ### BEGIN SOLUTION
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(input_size, hidden_size),
        nn.ReLU(),
        nn.Linear(hidden_size, output_size),
    )
    ### END SOLUTION


# %% test="test_mlp_sequential" points=1
import torch
from torch import nn
from helpers.checks import expect, quietly, reseed, runtime_error_as_failure


def _check_seq_layers(i, h, o):
    with runtime_error_as_failure(f"mlp_sequential({i}, {h}, {o})"):
        seq = quietly(mlp_sequential, i, h, o)
    expect(isinstance(seq, nn.Sequential),
           f"mlp_sequential deve devolver um nn.Sequential, mas devolveu {type(seq).__name__}.")
    kinds = [type(m).__name__ for m in seq]
    expect(len(seq) == 4 and all(isinstance(m, k) for m, k in
                                 zip(seq, (nn.Flatten, nn.Linear, nn.ReLU, nn.Linear))),
           f"mlp_sequential deve ter exatamente quatro módulos, [Flatten, Linear, ReLU, Linear], "
           f"mas tem {kinds}.")
    for k, n_in, n_out in ((1, i, h), (3, h, o)):
        expect((seq[k].in_features, seq[k].out_features) == (n_in, n_out),
               f"Em mlp_sequential({i}, {h}, {o}), seq[{k}] é Linear({seq[k].in_features}, "
               f"{seq[k].out_features}), mas deveria ser Linear({n_in}, {n_out}).")


reseed(0)
_check_seq_layers(784, 128, 10)
_check_seq_layers(12, 5, 3)
### BEGIN HIDDEN TESTS
reseed()
_i, _h, _o = (int(v) for v in torch.randint(1, 40, (3,)))
_check_seq_layers(_i, _h, _o)
### END HIDDEN TESTS
print("mlp_sequential (camadas): testes visíveis OK")

# %% test="test_mlp_sequential_outputs" points=1
import torch
from torch import nn
from helpers.checks import assert_close, assert_shape, expect, quietly, reseed
from helpers.checks import runtime_error_as_failure


def _check_seq_outputs(i, h, o, x):
    fc1, fc2 = nn.Linear(i, h), nn.Linear(h, o)  # um MLP de referência
    with runtime_error_as_failure(f"mlp_sequential({i}, {h}, {o})"):
        seq = quietly(mlp_sequential, i, h, o)
    expect(isinstance(seq, nn.Sequential) and len(seq) == 4,
           "mlp_sequential deve devolver um nn.Sequential de exatamente quatro módulos.")
    with runtime_error_as_failure("Copiando os pesos de nn.Linear para seq[1] e seq[3]",
                                  "seq[1] e seq[3] devem ser as camadas lineares."):
        seq[1].load_state_dict(fc1.state_dict())
        seq[3].load_state_dict(fc2.state_dict())
    name = f"mlp_sequential({i}, {h}, {o}) com x de shape {tuple(x.shape)}"
    with runtime_error_as_failure(name, "O Flatten deve manter a dimensão do batch."):
        out = quietly(seq, x)
    with torch.no_grad():
        ref = fc2(torch.relu(fc1(x.flatten(1))))
    assert_shape(out, ref.shape, name)
    assert_close(out, ref, name, hint="Confira a ordem: Flatten, Linear, ReLU, Linear.")


reseed(0)
_check_seq_outputs(784, 32, 10, torch.randn(8, 1, 28, 28))
_check_seq_outputs(12, 5, 3, torch.randn(4, 12))
### BEGIN HIDDEN TESTS
reseed()
_check_seq_outputs(784, 16, 10, torch.randn(1, 1, 28, 28))
_check_seq_outputs(24, 7, 2, torch.randn(6, 2, 3, 4))
### END HIDDEN TESTS
print("mlp_sequential (saídas): testes visíveis OK")

# %% [markdown]
# ## 5. Redes mais fundas, `Dropout`, `train()` e `eval()`
#
# Uma rede com várias camadas escondidas costuma ser descrita por uma lista de tamanhos, por
# exemplo `[784, 256, 128, 10]`: as camadas lineares ligam cada tamanho ao seguinte, e
# `zip(sizes[:-1], sizes[1:])` dá esses pares. As camadas criadas num laço vão para um
# `nn.ModuleList` (e o `forward` percorre a lista) ou, se for tudo uma fila, direto para um
# `nn.Sequential(*camadas)`.

# %%
sizes = [784, 256, 128, 10]
print(list(zip(sizes[:-1], sizes[1:])))
layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
print(layers)

# %% [markdown]
# Redes maiores decoram os dados de treino com facilidade (overfitting). Uma defesa simples é o
# **dropout**: durante o treino, `nn.Dropout(p)` zera cada número com probabilidade `p` e
# multiplica os que sobram por $1/(1-p)$, para que a média não mude; a rede aprende a não
# depender de nenhum neurônio isolado. Na avaliação queremos a rede inteira e uma resposta
# determinística, e o dropout não faz nada.
#
# Quem decide é o **modo** do módulo: `model.train()` liga o modo de treino e `model.eval()` o
# de avaliação, no módulo e em todos os submódulos (o atributo `training` de cada um). Os dois
# devolvem o próprio modelo, que o Jupyter mostraria se fosse a última linha da célula; por isso
# o `_ =` abaixo.

# %%
drop = nn.Dropout(p=0.5)
ones = torch.ones(2, 8)
print("treino:   ", drop(ones))  # um módulo novo começa em modo de treino
_ = drop.eval()
print("avaliação:", drop(ones))

# %% [markdown]
# Numa rede, o modo muda a saída: em treino, duas chamadas com a mesma entrada dão resultados
# diferentes; em avaliação, iguais.

# %%
torch.manual_seed(0)
net = nn.Sequential(nn.Flatten(), nn.Linear(784, 64), nn.ReLU(), nn.Dropout(0.5),
                    nn.Linear(64, 3))
x_demo = images[:2]
_ = net.train()
print("treino, 1ª chamada:    ", net(x_demo)[0].detach())
print("treino, 2ª chamada:    ", net(x_demo)[0].detach())
_ = net.eval()
print("avaliação, 2 chamadas: ", net(x_demo)[0].detach(), net(x_demo)[0].detach())
print("net.training =", net.training, "| net[3].training =", net[3].training)

# %% [markdown]
# Cuidado com a forma funcional: `F.dropout(x, p)` **não sabe** em que modo o módulo está, e o
# padrão dela é `training=True`. Dentro de um `forward`, use um `nn.Dropout` (que segue
# `train()`/`eval()`) ou passe o modo: `F.dropout(x, p, training=self.training)`.

# %%
print("F.dropout(x, 0.5), sem dizer o modo:", F.dropout(ones[0], 0.5))

# %% [markdown]
# ### Exercício 4 — `DeepMLP` (3 pontos)
#
# Escreva a classe `DeepMLP(sizes, dropout=0.0)`:
#
# - `len(sizes) - 1` camadas `nn.Linear`, a k-ésima de `sizes[k]` para `sizes[k + 1]`,
#   **registradas** (nada de lista comum), sem modificar a lista `sizes` recebida;
# - no `forward`, achate a entrada como no `MLP` e aplique as camadas em ordem, com uma ReLU
#   **entre** camadas consecutivas, seguida de dropout com probabilidade `dropout` quando
#   `dropout > 0`; **nada depois da última** camada (nem ReLU, nem dropout);
# - em modo `eval()` o dropout não faz nada; em modo `train()` ele sorteia.
#
# Com `sizes = [784, 256, 128, 10]`: Linear(784, 256), ReLU, Dropout, Linear(256, 128), ReLU,
# Dropout, Linear(128, 10). Com `sizes = [784, 10]`, só uma Linear.

# %% exercise="DeepMLP"
class DeepMLP(nn.Module):
    def __init__(self, sizes: list[int], dropout: float = 0.0):
        super().__init__()
        ### BEGIN SOLUTION
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        self.dropout = nn.Dropout(dropout)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        x = x.flatten(1)
        for layer in self.layers[:-1]:
            x = self.dropout(torch.relu(layer(x)))
        return self.layers[-1](x)
        ### END SOLUTION


# %% test="test_DeepMLP_layers" points=1
import torch
from helpers.checks import assert_linear_layers, construct, reseed

reseed(0)
for _sizes in ([784, 64, 10], [12, 8, 6, 5, 3], [6, 4]):
    assert_linear_layers(construct(DeepMLP, _sizes), _sizes, f"DeepMLP({_sizes})")
assert_linear_layers(construct(DeepMLP, [20, 10, 5], 0.3), [20, 10, 5], "DeepMLP([20, 10, 5], 0.3)")
### BEGIN HIDDEN TESTS
reseed()
for _n in (2, 3, 6):
    _sizes = [int(v) for v in torch.randint(1, 30, (_n,))]
    assert_linear_layers(construct(DeepMLP, _sizes, 0.2), _sizes, f"DeepMLP({_sizes}, 0.2)")
### END HIDDEN TESTS
print("DeepMLP (camadas): testes visíveis OK")

# %% test="test_DeepMLP_forward" points=1
import torch
from helpers.checks import assert_close, assert_linear_layers, assert_shape, construct, expect
from helpers.checks import quietly, reseed, runtime_error_as_failure


def _check_deep_eval(sizes, dropout, x, reference, hint=""):
    model = construct(DeepMLP, sizes, dropout)
    lins = assert_linear_layers(model, sizes, f"DeepMLP({sizes}, {dropout})")
    _ = model.eval()
    name = f"DeepMLP({sizes}, {dropout}) em modo eval com x de shape {tuple(x.shape)}"
    with runtime_error_as_failure(name, "Achate a entrada para (N, sizes[0]) antes da primeira "
                                  "camada, mantendo a dimensão do batch, e aplique todas as "
                                  "camadas, em ordem."):
        out = quietly(model, x)
        again = quietly(model, x)
    with torch.no_grad():
        ref = reference(lins, x.flatten(1))
    assert_shape(out, ref.shape, name)
    expect(torch.equal(out, again), f"{name}: duas chamadas deram saídas diferentes. O dropout "
           "deve ser desligado em eval (nn.Dropout, ou F.dropout(..., training=self.training)).")
    expect(torch.allclose(out, ref) or not torch.allclose(out, torch.relu(ref)),
           f"{name}: a saída não tem valores negativos; não aplique a ReLU depois da última camada.")
    assert_close(out, ref, name,
                 hint=hint or "Entre camadas consecutivas vai só a ReLU (e o dropout).")


_BIG = ("Com entradas grandes a ativação entre as camadas deve ser a ReLU, max(0, t), sem teto "
        "(nn.ReLU6 e F.hardtanh cortam os valores grandes).")
reseed(0)
_check_deep_eval([12, 8, 5], 0.0, torch.randn(6, 12),
                 lambda L, h: L[1](torch.relu(L[0](h))))
_check_deep_eval([784, 32, 10], 0.5, torch.randn(4, 1, 28, 28),
                 lambda L, h: L[1](torch.relu(L[0](h))))
_check_deep_eval([6, 4], 0.0, torch.randn(3, 2, 3), lambda L, h: L[0](h))
_check_deep_eval([10, 9, 8, 7, 3], 0.3, torch.randn(5, 10),
                 lambda L, h: L[3](torch.relu(L[2](torch.relu(L[1](torch.relu(L[0](h))))))))
_check_deep_eval([10, 16, 3], 0.0, 200 * torch.randn(8, 10),  # a 1ª camada dá valores além de ±50
                 lambda L, h: L[1](torch.relu(L[0](h))), _BIG)
### BEGIN HIDDEN TESTS
def _compose(lins, h):
    for k, lin in enumerate(lins):
        h = lin(h)
        if k < len(lins) - 1:
            h = torch.relu(h)
    return h


reseed()
for _n in (2, 3, 4, 6):
    _sizes = [int(v) for v in torch.randint(2, 30, (_n,))]
    _check_deep_eval(_sizes, float(torch.rand(())) * 0.8, torch.randn(7, _sizes[0]), _compose)
_check_deep_eval([784, 20, 10], 0.2, torch.randn(1, 1, 28, 28), _compose)
_check_deep_eval([12, 24, 24, 4], 0.1, 300 * torch.randn(6, 12), _compose, _BIG)
### END HIDDEN TESTS
print("DeepMLP (forward em eval): testes visíveis OK")

# %% test="test_DeepMLP_dropout" points=1
import torch
from helpers.checks import assert_close, assert_linear_layers, construct, expect, quietly
from helpers.checks import reseed, runtime_error_as_failure


def _train_outputs(model, x):
    _ = model.train()
    with runtime_error_as_failure(f"DeepMLP em modo train com x de shape {tuple(x.shape)}",
                                  "Confira o flatten da entrada e a ordem das camadas."):
        return quietly(model, x), quietly(model, x)


def _check_no_dropout(sizes, dropout, x, reference):
    """dropout=None: DeepMLP(sizes), sem o argumento (o padrão é 0.0)."""
    args = (sizes,) if dropout is None else (sizes, dropout)
    call = f"DeepMLP({', '.join(map(repr, args))})"
    model = construct(DeepMLP, *args)
    lins = assert_linear_layers(model, sizes, call)
    first, second = _train_outputs(model, x)
    why = ("sem o argumento dropout, o padrão deve ser 0.0" if dropout is None else
           "aqui não há onde aplicar dropout (dropout=0, ou uma camada só): nada de dropout na "
           "entrada nem na saída")
    expect(torch.equal(first, second),
           f"{call} em modo train deu saídas diferentes em duas chamadas, mas {why}.")
    with torch.no_grad():
        ref = reference(lins, x.flatten(1))
    assert_close(first, ref, f"{call} em modo train",
                 hint="Sem dropout, o modo train dá a mesma saída que o eval.")


def _check_dropout(sizes, p, x):
    model = construct(DeepMLP, sizes, p)
    lins = assert_linear_layers(model, sizes, f"DeepMLP({sizes}, {p})")
    seen = [[] for _ in lins]  # a entrada de cada camada, a cada chamada

    def _record(k):
        return lambda module, args: seen[k].append(args[0].detach().clone())

    hooks = [lin.register_forward_pre_hook(_record(k)) for k, lin in enumerate(lins)]
    try:
        first, second = _train_outputs(model, x)
    finally:
        for hook in hooks:
            hook.remove()
    name = f"DeepMLP({sizes}, {p}) em modo train"
    expect(not torch.equal(first, second), f"{name} deu a mesma saída em duas chamadas: o "
           "dropout não está sendo aplicado no treino.")
    if any(len(calls) != 2 for calls in seen):
        return  # as camadas foram chamadas de outro jeito (F.linear): só o sorteio é conferido
    inputs = [calls[0] for calls in seen]  # da primeira chamada
    expect(inputs[0].shape == x.flatten(1).shape and torch.equal(inputs[0], x.flatten(1)),
           f"{name}: a primeira camada não recebeu a entrada achatada; nada de dropout na entrada.")
    for k in range(1, len(lins)):
        with torch.no_grad():
            kept = torch.relu(lins[k - 1](inputs[k - 1]))  # a saída da camada anterior, com ReLU
        dropped = inputs[k]
        survived = dropped != 0
        expect(dropped.shape == kept.shape and bool((kept[survived] > 0).all()) and
               torch.allclose(dropped[survived], kept[survived] / (1 - p)),
               f"{name}: a entrada da camada {k} (contando de 0) não é a saída da camada {k - 1} "
               "com ReLU e dropout. O dropout vai entre as camadas (não na entrada), com a "
               "escala 1/(1-p) do nn.Dropout.")
        rate = 1 - float(survived[kept > 0].float().mean())
        expect(abs(rate - p) < 0.05, f"{name}: o dropout zerou {rate:.0%} dos números na entrada "
               f"da camada {k} (contando de 0), mas a probabilidade pedida é {p:.0%}; ele vai "
               "depois de cada ReLU.")


reseed(0)
_check_no_dropout([20, 16, 5], 0.0, torch.randn(8, 20), lambda L, h: L[1](torch.relu(L[0](h))))
_check_no_dropout([20, 16, 5], None, torch.randn(8, 20), lambda L, h: L[1](torch.relu(L[0](h))))
_check_no_dropout([12, 4], 0.5, torch.randn(8, 12), lambda L, h: L[0](h))  # uma camada só
_check_dropout([20, 128, 5], 0.5, torch.randn(256, 20))
_check_dropout([20, 64, 64, 5], 0.5, torch.randn(256, 20))
### BEGIN HIDDEN TESTS
def _compose(lins, h):
    for k, lin in enumerate(lins):
        h = lin(h)
        if k < len(lins) - 1:
            h = torch.relu(h)
    return h


reseed()
_check_no_dropout([784, 32, 16, 10], 0.0, torch.randn(5, 1, 28, 28), _compose)
_check_no_dropout([30, 20, 10, 5], None, torch.randn(6, 30), _compose)
_check_dropout([784, 128, 10], 0.2, torch.randn(128, 1, 28, 28))
_check_dropout([30, 64, 64, 128, 3], 0.3, torch.randn(256, 30))
### END HIDDEN TESTS
print("DeepMLP (dropout em train): testes visíveis OK")

# %% [markdown]
# ## Erros comuns
#
# As mensagens abaixo são as que o PyTorch imprime, produzidas por células de verdade.
#
# **`RuntimeError: mat1 and mat2 shapes cannot be multiplied (AxB and CxD)`**

# %%
torch.manual_seed(0)
wrong_size = SeedMLP(28, 128, 10)  # input_size errado: deveria ser 28 * 28
try:
    wrong_size(images.flatten(1))
except RuntimeError as err:
    print("RuntimeError:", err)

# %% [markdown]
# A entrada da camada chegou com `B` números por linha, mas a camada espera `C`
# (`in_features`). Ou a entrada não foi achatada (seção 1: `x.flatten(1)`), ou o `input_size`
# não é o número de valores de cada exemplo (aqui 28 em vez de 28·28 = 784). Compare
# `x.flatten(1).shape[1]` com o `in_features` da primeira camada.
#
# **`AttributeError: cannot assign module before Module.__init__() call`**

# %%
class NoSuper(nn.Module):
    def __init__(self):
        self.fc = nn.Linear(4, 2)  # falta super().__init__() antes desta linha


try:
    NoSuper()
except AttributeError as err:
    print("AttributeError:", err)

# %% [markdown]
# É o `__init__` de `nn.Module` que cria os registros de parâmetros e submódulos; sem ele não
# há onde registrar a camada. Chame `super().__init__()` na primeira linha do seu `__init__`.
#
# **`ValueError: optimizer got an empty parameter list`**

# %%
class AllInAList(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(4, 8), nn.Linear(8, 2)]  # lista comum: nada registrado

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


try:
    torch.optim.SGD(AllInAList().parameters(), lr=0.1)
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# `model.parameters()` veio vazio: as camadas estão numa lista comum do Python, que
# `nn.Module` não examina. Troque a lista por `nn.ModuleList([...])` (ou `nn.Sequential`).
# Quando só **parte** das camadas está na lista, não há erro nenhum, e elas simplesmente não
# treinam (seção 2). Confira sempre com `named_parameters()`.
#
# **`TypeError: linear(): argument 'input' (position 1) must be Tensor, not ReLU`**

# %%
class ReluTypo(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(4, 8), nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(nn.ReLU(self.fc1(x)))  # cria um módulo ReLU em vez de aplicá-lo


try:
    ReluTypo()(torch.randn(3, 4))
except TypeError as err:
    print("TypeError:", err)

# %% [markdown]
# `nn.ReLU(...)` **cria** uma camada (o argumento vira a opção `inplace`); não aplica a ReLU
# a nada. Crie a camada uma vez no `__init__` (`self.relu = nn.ReLU()`) e chame
# `self.relu(x)` no `forward`, ou use a função `F.relu(x)` / `torch.relu(x)`.
#
# ## Aprofundamento (opcional): salvar e carregar um modelo
#
# A forma recomendada de salvar um modelo é salvar o `state_dict()` (só tensores, com nomes) e,
# para carregar, criar o modelo com o mesmo código e chamar `load_state_dict`. Aqui o "arquivo"
# é um buffer na memória; com um caminho (`"mlp.pt"`) é igual.

# %%
torch.manual_seed(0)
original = SeedMLP(784, 128, 10)
file = io.BytesIO()
torch.save(original.state_dict(), file)

file.seek(0)
restored = SeedMLP(784, 128, 10)  # pesos aleatórios novos...
restored.load_state_dict(torch.load(file))  # ...substituídos pelos salvos
flat = images.flatten(1)
print("mesma saída:", torch.equal(original(flat), restored(flat)))

# %% [markdown]
# `load_state_dict` confere os nomes: se o modelo novo tem outros atributos (por exemplo, você
# renomeou `fc1`), ele se recusa, listando as chaves que faltam e as que sobram.

# %%
try:
    nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                  nn.Linear(128, 10)).load_state_dict(original.state_dict())
except RuntimeError as err:
    print("RuntimeError:", str(err)[:240], "...")

# %% [markdown]
# ## Aprofundamento (opcional): como `nn.Linear` começa
#
# Uma camada nova não começa com zeros. `nn.Linear(in, out)` sorteia pesos e bias uniformes em
# $[-1/\sqrt{in},\ 1/\sqrt{in}]$: quanto mais entradas, menores os pesos, para que a soma
# $Wx$ não cresça com o tamanho da camada.

# %%
torch.manual_seed(0)
fig, axes = plt.subplots(1, 3, figsize=(11, 2.8))  # cada painel com a sua escala: as contagens diferem muito
for ax, n_in in zip(axes, (16, 256, 4096)):
    layer = nn.Linear(n_in, 256)
    bound = 1 / n_in**0.5
    ax.hist(layer.weight.detach().flatten().numpy(), bins=40)
    ax.set(title=f"Linear({n_in}, 256): |w| ≤ {bound:.3f}", xlabel="peso")
    print(f"in={n_in:5}: maior |w| = {layer.weight.abs().max():.4f}, limite 1/√in = {bound:.4f}")
plt.tight_layout()
plt.show()

# %% [markdown]
# Por que não zeros (ou qualquer valor igual para todos)? Porque então todos os neurônios de
# uma camada calculam a mesma coisa, recebem o mesmo gradiente e continuam iguais para sempre:
# a camada funciona como se tivesse um neurônio só. `torch.nn.init` tem as inicializações
# conhecidas (`kaiming_uniform_`, `xavier_normal_`, `zeros_`, ...) para trocar a padrão:

# %%
torch.manual_seed(0)
same = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
for layer in (same[0], same[2]):
    nn.init.constant_(layer.weight, 0.5)  # todos iguais: a simetria nunca se quebra
    nn.init.zeros_(layer.bias)
optimizer = torch.optim.SGD(same.parameters(), lr=0.1)
x_sym, y_sym = torch.randn(64, 2), torch.randn(64, 1)
for _ in range(100):
    optimizer.zero_grad()
    F.mse_loss(same(x_sym), y_sym).backward()
    optimizer.step()
print("pesos da camada escondida depois de 100 passos (uma linha por neurônio):")
print(same[0].weight.detach())

# %% [markdown]
# ## Resumo
#
# - Uma rede é uma subclasse de `nn.Module`: `super().__init__()`, camadas como atributos no
#   `__init__`, as contas no `forward`; chama-se `model(x)`, não `model.forward(x)`.
# - `nn.Linear` age sobre a última dimensão: imagens `(N, 1, 28, 28)` precisam de
#   `x.flatten(1)` (ou `nn.Flatten()`) antes da primeira camada.
# - Só são registrados módulos e `nn.Parameter` atribuídos a atributos, ou guardados em
#   `nn.ModuleList`, `nn.ModuleDict` e `nn.Sequential`. Numa lista comum eles somem de
#   `.parameters()`, do otimizador, do `state_dict()` e de `.to(device)`, sem erro nenhum.
# - `named_parameters()` e `state_dict()` (parâmetros + buffers) mostram o que o modelo guarda;
#   conte parâmetros treináveis com `numel()` e `requires_grad`, congele com
#   `requires_grad_(False)`; `model.to(device)` move o modelo, e os dados vão junto.
# - `train()` e `eval()` mudam camadas como `Dropout` (e `BatchNorm`); use `nn.Dropout`, ou
#   `F.dropout(..., training=self.training)`.
#
# Na próxima aula, as **funções de perda**: de onde vem a entropia cruzada que compara os
# logits do `MLP` com os rótulos, e como escrevê-la de forma estável.
